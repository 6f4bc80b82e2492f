"""A W&B warehouse against :func:`.expected.expected`, table by table (NaN == NaN): every
difference as one line; [] when the mirror is exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from swansync.warehouse import Warehouse
from tests.e2e.compare import _diff, _rows

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


def _cols(wh: Warehouse, sql: str, source: str) -> dict[str, list[Any]]:
    frame = wh.query(sql, [source])
    return {c: frame.get_column(c).to_list() for c in frame.columns}


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
        got = _cols(wh, "SELECT * FROM projects WHERE source = ?", source)
        problems += _diff(
            "projects",
            _rows(want["projects"], ("project",)),
            _rows(got, ("project",)),
            COLUMNS["projects"],
        )
        got = _cols(
            wh,
            "SELECT *, metadata->>'host' AS host, deleted_at IS NOT NULL AS deleted "
            "FROM runs WHERE source = ?",
            source,
        )
        got["config"] = [_json(c) for c in got["config"]]
        flagged = {r for r, d in zip(got["run_id"], got["deleted"], strict=True) if d}
        if flagged != set(deleted):
            problems.append(f"runs: deleted {sorted(flagged)}, want {sorted(deleted)}")
        keep = [i for i, r in enumerate(got["run_id"]) if r not in deleted]
        got = {c: [v[i] for i in keep] for c, v in got.items()}
        problems += _diff(
            "runs",
            _rows(want["runs"], ("project", "run_id")),
            _rows(got, ("project", "run_id")),
            COLUMNS["runs"],
        )
        for table, key in (
            ("run_config", ("run_id", "key")),
            ("metric_keys", ("run_id", "key")),
            ("summaries", ("run_id", "key")),
        ):
            got = _cols(wh, f"SELECT * FROM {table} WHERE source = ?", source)
            keep = [i for i, r in enumerate(got["run_id"]) if r not in deleted]
            got = {c: [v[i] for i in keep] for c, v in got.items()}
            if table == "run_config":
                got["value"] = [_json(v) for v in got["value"]]
            problems += _diff(table, _rows(want[table], key), _rows(got, key), COLUMNS[table])
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
    problems: list[str] = []
    dupes = got.group_by("run_id", "key", "step").len().filter(pl.col("len") > 1)
    if dupes.height:
        problems.append(f"metrics: {dupes.height} duplicated (run, key, step), e.g. {dupes.row(0)}")
    on = ["run_id", "key", "step"]
    missing = want.join(got, on=on, how="anti")
    extra = got.join(want, on=on, how="anti")
    if missing.height:
        problems.append(f"metrics: {missing.height} missing points, e.g. {missing.head(3).rows()}")
    if extra.height:
        problems.append(f"metrics: {extra.height} unexpected points, e.g. {extra.head(3).rows()}")
    both = want.join(got, on=on, suffix="_got")
    bad = both.filter(
        ~(
            (pl.col("value") == pl.col("value_got"))
            | (pl.col("value").is_nan() & pl.col("value_got").is_nan())
        )
        | (pl.col("ts_ms") != pl.col("ts_ms_got"))
    )
    if bad.height:
        problems.append(f"metrics: {bad.height} points differ, e.g. {bad.head(3).rows()}")
    return problems
