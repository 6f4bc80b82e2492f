"""Compare a warehouse with the simulator's truth, table by table.

Floats are compared exactly: NaN equals NaN, and the sign of zero counts (-0.0 is not 0.0), in
plain columns, inside JSON values and in the metrics table."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import polars as pl

from swansync.warehouse import Warehouse, open_warehouse

# Whether -0.0 and 0.0 differ in plain DOUBLE columns. DuckDB 1.5's Parquet writer (a lake's
# data files) stores 0.0 as -0.0 when both occur in a dictionary-encoded column chunk
# (docs/ducklake.md F17), so the lake suite compares those columns without the sign of zero.
ZERO_SIGN = {"strict": True}


def _same(a: Any, b: Any) -> bool:
    """Equality that treats NaN == NaN, tells -0.0 from 0.0 and looks inside lists/dicts."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if not ZERO_SIGN["strict"]:
            return a == b
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) != isinstance(b, float) and isinstance(a, int | float):
        # JSON holds numbers, not int/float types: 2 and 2.0 are the same number here
        return not isinstance(a, bool) and not isinstance(b, bool) and _same(float(a), float(b))
    return bool(a == b)


def _norm_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _rows(
    frame_cols: dict[str, list[Any]], key: tuple[str, ...]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    n = len(next(iter(frame_cols.values()))) if frame_cols else 0
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for i in range(n):
        row = {c: v[i] for c, v in frame_cols.items()}
        out[tuple(row[k] for k in key)] = row
    return out


def _diff(
    table: str,
    want: dict[tuple[Any, ...], dict[str, Any]],
    got: dict[tuple[Any, ...], dict[str, Any]],
    columns: list[str],
    limit: int = 8,
) -> list[str]:
    problems: list[str] = []
    for k in sorted(set(want) - set(got), key=repr)[:limit]:
        problems.append(f"{table}: missing {k}")
    for k in sorted(set(got) - set(want), key=repr)[:limit]:
        problems.append(f"{table}: unexpected {k}")
    for k in sorted(set(want) & set(got), key=repr):
        for c in columns:
            if not _same(want[k][c], got[k][c]):
                problems.append(f"{table} {k} {c}: want {want[k][c]!r}, got {got[k][c]!r}")
                if len(problems) > limit * 3:
                    return problems
    return problems


def _query(wh: Warehouse, sql: str, source: str) -> dict[str, list[Any]]:
    frame = wh.query(sql, [source])
    return {c: frame.get_column(c).to_list() for c in frame.columns}


def _without_runs(cols: dict[str, list[Any]], runs: set[str]) -> dict[str, list[Any]]:
    keep = [i for i, r in enumerate(cols.get("run_id", [])) if r not in runs]
    return {c: [v[i] for i in keep] for c, v in cols.items()}


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
    got_all = _query
    if deleted:
        truth = {
            t: (c if t in ("projects", "runs") else _without_runs(c, deleted))
            for t, c in truth.items()
        }

        def got_all(wh: Warehouse, sql: str, source: str) -> dict[str, list[Any]]:
            return _without_runs(_query(wh, sql, source), deleted)

    with open_warehouse(db, read_only=True) as wh:
        got = _query(wh, "SELECT * FROM projects WHERE source = ?", source)
        cols = COMPARED["projects"]
        problems += _diff(
            "projects", _rows(truth["projects"], ("project",)), _rows(got, ("project",)), cols
        )

        got = _query(
            wh, "SELECT *, deleted_at IS NOT NULL AS deleted FROM runs WHERE source = ?", source
        )
        got["config"] = [_norm_json(c) for c in got["config"]]
        got["metadata"] = [_norm_json(c) for c in got["metadata"]]
        want_runs = dict(truth["runs"])
        cols = COMPARED["runs"]
        problems += _diff(
            "runs", _rows(want_runs, ("project", "run_id")), _rows(got, ("project", "run_id")), cols
        )

        got = got_all(wh, "SELECT * FROM run_config WHERE source = ?", source)
        got["value"] = [_norm_json(v) for v in got["value"]]
        want = dict(truth["run_config"])
        want["value"] = [_norm_json(v) for v in want["value"]]
        problems += _diff(
            "run_config",
            _rows(want, ("run_id", "key")),
            _rows(got, ("run_id", "key")),
            COMPARED["run_config"],
        )

        got = got_all(wh, "SELECT * FROM metric_keys WHERE source = ?", source)
        problems += _diff(
            "metric_keys",
            _rows(truth["metric_keys"], ("run_id", "key")),
            _rows(got, ("run_id", "key")),
            COMPARED["metric_keys"],
        )

        got = got_all(wh, "SELECT * FROM summaries WHERE source = ?", source)
        problems += _diff(
            "summaries",
            _rows(truth["summaries"], ("run_id", "key")),
            _rows(got, ("run_id", "key")),
            COMPARED["summaries"],
        )

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
    problems: list[str] = []
    dupes = got.group_by("run_id", "seq").len().filter(pl.col("len") > 1)
    if dupes.height:
        problems.append(f"logs: {dupes.height} duplicated (run, seq), e.g. {dupes.row(0)}")
    on = ["run_id", "seq"]
    missing = want.join(got, on=on, how="anti")
    extra = got.join(want, on=on, how="anti")
    if missing.height:
        problems.append(f"logs: {missing.height} missing lines, e.g. {missing.head(3).rows()}")
    if extra.height:
        problems.append(f"logs: {extra.height} unexpected lines, e.g. {extra.head(3).rows()}")
    both = want.join(got, on=on, suffix="_got")
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
    got_cols = _query(wh, "SELECT * FROM media WHERE source = ?", source)
    if deleted:
        got_cols = _without_runs(got_cols, deleted)
    want, got = _rows(want_cols, key), _rows(got_cols, key)
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
    want = pl.DataFrame(want_cols).select("run_id", "key", "step", "value", "ts")
    got = wh.query("SELECT run_id, key, step, value, ts FROM metrics WHERE source = ?", [source])
    if deleted:
        got = got.filter(~pl.col("run_id").is_in(sorted(deleted)))
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
    # 1/x tells -0.0 (-inf) from 0.0 (+inf); for every other equal pair it is equal too
    same_sign = (1 / pl.col("value")) == (1 / pl.col("value_got"))
    if not ZERO_SIGN["strict"]:
        same_sign = pl.lit(True)
    same_value = ((pl.col("value") == pl.col("value_got")) & same_sign) | (
        pl.col("value").is_nan() & pl.col("value_got").is_nan()
    )
    bad = both.filter(
        ~same_value | (pl.col("ts").dt.epoch("ms") != pl.col("ts_got").dt.epoch("ms"))
    )
    if bad.height:
        problems.append(f"metrics: {bad.height} points differ, e.g. {bad.head(3).rows()}")
    return problems
