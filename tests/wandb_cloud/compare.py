"""A W&B warehouse against :func:`.expected.expected`, table by table, with
:mod:`tests.support.truth` (floats exactly, NaN == NaN, the sign of zero counting): every
difference as one line; [] when the mirror is exact. What is W&B's own (the columns compared,
the host out of run metadata, deleted runs) is here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from swansync.warehouse import Warehouse
from tests.support.truth import diff_points, diff_table, query, without_runs

COLUMNS = {
    "projects": [
        "project_id",
        "workspace",
        "name",
        "description",
        "visibility",
        "labels",
        "run_count",
        "created_at",
        "updated_at",
        "url",
    ],
    "runs": [
        "slug",
        "name",
        "description",
        "state",
        "cluster",
        "job",
        "labels",
        "username",
        "created_at",
        "finished_at",
        "config",
        "url",
        "host",
        "deleted",
    ],
    "run_config": ["value", "value_double", "value_text", "value_bool"],
    "metric_keys": ["kind", "class"],
    "summaries": ["last_step", "last_value", "min_value", "min_step", "max_value", "max_step"],
}


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def compare(
    db: Path,
    want: dict[str, dict[str, list[Any]]],
    source: str,
    *,
    deleted: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Differences between the warehouse rows of ``source`` and ``want``. Runs in ``deleted``
    must be marked deleted; their other rows are what was mirrored before, not compared."""
    problems: list[str] = []
    with Warehouse(db, read_only=True) as wh:
        got = query(wh, "SELECT * FROM projects WHERE source = ?", source)
        problems += diff_table("projects", want["projects"], got, ("project",), COLUMNS["projects"])
        got = query(
            wh,
            "SELECT *, metadata->>'host' AS host, deleted_at IS NOT NULL AS deleted "
            "FROM runs WHERE source = ?",
            source,
        )
        got["config"] = [_json(c) for c in got["config"]]
        flagged = {r for r, d in zip(got["run_id"], got["deleted"], strict=True) if d}
        if flagged != set(deleted):
            problems.append(f"runs: deleted {sorted(flagged)}, want {sorted(deleted)}")
        got = without_runs(got, deleted)
        problems += diff_table("runs", want["runs"], got, ("project", "run_id"), COLUMNS["runs"])
        for table, key in (
            ("run_config", ("run_id", "key")),
            ("metric_keys", ("run_id", "key")),
            ("summaries", ("run_id", "key")),
        ):
            got = without_runs(
                query(wh, f"SELECT * FROM {table} WHERE source = ?", source), deleted
            )
            if table == "run_config":
                got["value"] = [_json(v) for v in got["value"]]
            problems += diff_table(table, want[table], got, key, COLUMNS[table])
        problems += _points(wh, want["metrics"], source, deleted)
    return problems


def _points(
    wh: Warehouse, want_cols: dict[str, list[Any]], source: str, deleted: set[str] | frozenset[str]
) -> list[str]:
    want = pl.DataFrame(
        want_cols,
        schema={
            "run_id": pl.String,
            "key": pl.String,
            "step": pl.Int64,
            "value": pl.Float64,
            "ts_ms": pl.Int64,
        },
    )
    got = wh.query(
        "SELECT run_id, key, step, value, epoch_ms(ts) AS ts_ms FROM metrics WHERE source = ?",
        [source],
    ).filter(~pl.col("run_id").is_in(sorted(deleted)))
    return diff_points(want, got)
