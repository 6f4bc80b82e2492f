"""Compare a warehouse with the SwanLab simulator's truth, table by table, with
:mod:`tests.support.truth` (which says how values compare: exactly, NaN equal to NaN, the sign of
zero counting); what is SwanLab's own (the columns compared, run metadata as JSON, consoles and
media) is here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import polars as pl

from swansync.warehouse import Warehouse, open_warehouse
from tests.support.truth import (
    ZERO_SIGN,
    diff_points,
    diff_table,
    join_rows,
    query,
    rows,
    without_runs,
)
from tests.support.truth import diff as _diff

__all__ = ["ZERO_SIGN", "compare", "compare_logs", "compare_media", "compare_points"]


def _norm_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


# The columns compared per table (the rest -- url, raw, synced_at -- the truth does not hold).
COMPARED: dict[str, list[str]] = {
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
        "metadata",
        "requirements",
        "conda",
        "pinned",
        "root_project_id",
        "root_run_id",
        "deleted",
    ],
    "run_config": ["value", "value_double", "value_text", "value_bool"],
    "metric_keys": ["kind", "class"],
    "media": ["kind", "caption", "sha256", "bytes", "content_type"],
    "summaries": ["last_step", "last_value", "min_value", "min_step", "max_value", "max_step"],
}


def compare(
    db: Path | str, truth: dict[str, dict[str, list[Any]]], source: str, media: str = "list"
) -> list[str]:
    """Every difference between the warehouse (rows of ``source``) and the truth; [] if equal.

    Runs deleted upstream must be in ``runs`` with ``deleted_at`` set; their other rows are kept
    by the mirror (the contract) but absent from the truth, so they are not compared. ``media``
    is the pull's ``--media``: with ``download`` every item's local copy is checked too.
    """
    problems: list[str] = []
    deleted = {
        r for r, d in zip(truth["runs"]["run_id"], truth["runs"]["deleted"], strict=True) if d
    }
    got_all = query
    if deleted:
        truth = {
            t: (c if t in ("projects", "runs") else without_runs(c, deleted))
            for t, c in truth.items()
        }

        def got_all(wh: Warehouse, sql: str, source: str) -> dict[str, list[Any]]:
            return without_runs(query(wh, sql, source), deleted)

    with open_warehouse(db, read_only=True) as wh:
        got = query(wh, "SELECT * FROM projects WHERE source = ?", source)
        problems += diff_table(
            "projects", truth["projects"], got, ("project",), COMPARED["projects"]
        )

        got = query(
            wh, "SELECT *, deleted_at IS NOT NULL AS deleted FROM runs WHERE source = ?", source
        )
        got["config"] = [_norm_json(c) for c in got["config"]]
        got["metadata"] = [_norm_json(c) for c in got["metadata"]]
        problems += diff_table("runs", truth["runs"], got, ("project", "run_id"), COMPARED["runs"])

        got = got_all(wh, "SELECT * FROM run_config WHERE source = ?", source)
        got["value"] = [_norm_json(v) for v in got["value"]]
        want = dict(truth["run_config"])
        want["value"] = [_norm_json(v) for v in want["value"]]
        problems += diff_table("run_config", want, got, ("run_id", "key"), COMPARED["run_config"])

        for table in ("metric_keys", "summaries"):
            got = got_all(wh, f"SELECT * FROM {table} WHERE source = ?", source)
            problems += diff_table(table, truth[table], got, ("run_id", "key"), COMPARED[table])

        if "metrics" in truth:
            problems += compare_points(wh, truth["metrics"], source, deleted)
        if "logs" in truth:
            problems += compare_logs(wh, truth["logs"], source, deleted)
        if "media" in truth:
            problems += compare_media(wh, Path(db).parent, truth["media"], source, media, deleted)
    return problems


_LOG_SCHEMA: dict[str, Any] = {
    "run_id": pl.String,
    "seq": pl.Int64,
    "ts": pl.Datetime("us", "UTC"),
    "level": pl.String,
    "stream": pl.String,
    "text": pl.String,
    "tag": pl.String,
}


def compare_logs(
    wh: Warehouse, want_cols: dict[str, list[Any]], source: str, deleted: set[str] | None = None
) -> list[str]:
    """Console lines compared with polars joins (a console can be long)."""
    want = pl.DataFrame({c: want_cols[c] for c in _LOG_SCHEMA}, schema=_LOG_SCHEMA)
    got = wh.query(
        "SELECT run_id, seq, ts, level, stream, text, tag FROM logs WHERE source = ?", [source]
    )
    if deleted:
        got = got.filter(~pl.col("run_id").is_in(sorted(deleted)))
    problems, both = join_rows("logs", "lines", want, got, ["run_id", "seq"])
    same = pl.lit(True)
    for c in ("ts", "level", "stream", "text", "tag"):
        same = same & pl.col(c).eq_missing(pl.col(f"{c}_got"))
    bad = both.filter(~same)
    if bad.height:
        row = bad.row(0, named=True)
        diff = {c: (row[c], row[f"{c}_got"]) for c in _LOG_SCHEMA if f"{c}_got" in row}
        problems.append(
            f"logs: {bad.height} lines differ, e.g. {row['run_id']} {row['seq']}:"
            f" {_short({k: v for k, v in diff.items() if v[0] != v[1]})}"
        )
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 400 else text[:400] + "..."


def compare_media(
    wh: Warehouse,
    folder: Path,
    want_cols: dict[str, list[Any]],
    source: str,
    mode: str,
    deleted: set[str] | None = None,
) -> list[str]:
    """Media rows: kind and caption always; with downloads, the digest, size, Content-Type and
    the local copy (its bytes hash to the digest); a lost item has no copy."""
    key = ("run_id", "key", "step", "idx")
    got_cols = query(wh, "SELECT * FROM media WHERE source = ?", source)
    if deleted:
        got_cols = without_runs(got_cols, deleted)
    want, got = rows(want_cols, key), rows(got_cols, key)
    if mode == "none":
        return [f"media: {len(got)} rows with --media none"] if got else []
    cols = ["kind", "caption"]
    if mode == "download":
        cols += ["sha256", "bytes", "content_type"]
    problems = _diff("media", want, got, cols)
    for k in sorted(set(want) & set(got), key=repr):
        row = got[k]
        if not row["url"] or not row["ref"]:
            problems.append(f"media {k}: no url/ref")
        if mode == "list" and row["path"] is not None:
            problems.append(f"media {k}: a local copy without --media download")
        if mode == "download":
            sha = want[k]["sha256"]
            if sha is None:
                if row["path"] is not None:
                    problems.append(f"media {k}: a copy of an item gone upstream")
                continue
            path = row["path"]
            if path is None or not path.startswith(f"media/{sha[:2]}/{sha}."):
                problems.append(f"media {k}: path {path!r} is not media/{sha[:2]}/{sha}.<ext>")
            elif hashlib.sha256((folder / path).read_bytes()).hexdigest() != sha:
                problems.append(f"media {k}: {path} does not hold its bytes")
        if len(problems) > 24:
            break
    return problems


def compare_points(
    wh: Warehouse, want_cols: dict[str, list[Any]], source: str, deleted: set[str] | None = None
) -> list[str]:
    """Points compared with polars joins (fast on large worlds)."""
    ms = pl.col("ts").dt.epoch("ms").alias("ts_ms")
    want = pl.DataFrame(want_cols).select("run_id", "key", "step", "value", ms)
    got = wh.query("SELECT run_id, key, step, value, ts FROM metrics WHERE source = ?", [source])
    if deleted:
        got = got.filter(~pl.col("run_id").is_in(sorted(deleted)))
    return diff_points(want, got.select("run_id", "key", "step", "value", ms))
