"""What a pull of the real W&B fixtures must have stored, from the generator's manifest.

The manifest (``tests/wandb/realdata/make_offline_runs.py``) records every logged value
(floats by ``repr``, so NaN, ±inf and -0.0 are exact). The expected ``metrics`` rows follow
the mapping of ``docs/wandb-offline.md``: a number (or a boolean, as 1.0/0.0) is a point at
the row's ``_step``; a key that only ever held text or a media object is a MEDIA key with no
points. Floats compare by identity: NaN equals NaN only, -0.0 equals -0.0 only.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from swansync.config import Settings
from swansync.report import PullSummary
from swansync.sources.wandb.offline import HistoryRecord, read_log
from swansync.sources.wandb.offline.source import WandbOfflineSource
from swansync.sync import pull
from tests.wandb.manifest import DATA, Fixture, fixtures, mismatches

PROJECT = "fixture-entity/swansync-fixtures"
FIXTURES = {f.entry["run_id"]: f for f in fixtures()}
Series = dict[str, list[tuple[int, float]]]


def fixture(scenario: str, sdk: str = "0.31.0") -> Fixture:
    (found,) = [f for f in FIXTURES.values() if (f.entry["scenario"], f.sdk) == (scenario, sdk)]
    return found


def copy_fixture(fx: Fixture, dest: Path) -> Path:
    """The run's folder copied under ``dest/wandb/`` (a private folder to pull from)."""
    target = dest / "wandb" / fx.folder.name
    shutil.copytree(fx.folder, target)
    return target


# -- pulling -----------------------------------------------------------------------------


def pull_dir(db: Path, folder: Path, **settings: Any) -> tuple[PullSummary, WandbOfflineSource]:
    """One pull of ``folder`` into ``db`` through a fresh source (returned: it counts bytes)."""
    source = WandbOfflineSource(folder)
    settings.setdefault("apply_views", False)
    summary = pull(Settings(db=db, env={}, **settings), sources=[source])
    return summary, source


def rows(db: Path, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


# -- the truth -------------------------------------------------------------------------------


def _decode(value: Any) -> float | str | None:
    """A manifest value as a point (float), ``"other"`` (text, media) or None (no value)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict) and "float" in value:
        return float(value["float"])
    if value is None:
        return None
    return "other"


def expected(entry: dict[str, Any], n_rows: int | None = None) -> tuple[Series, set[str]]:
    """(numeric series per key, keys that only held non-numbers) of the first ``n_rows``."""
    series: Series = {}
    other: set[str] = set()
    for row in entry["rows"][:n_rows]:
        for key, value in row["values"].items():
            point = _decode(value)
            if isinstance(point, float):
                series.setdefault(key, []).append((row["step"], point))
            elif point == "other":
                other.add(key)
    return series, other - set(series)


def summary_of(points: list[tuple[int, float]]) -> tuple[Any, ...]:
    """(last_step, last_value, min, min_step, max, max_step): finite min/max, earliest step."""
    last_step, last_value = max(points, key=lambda p: p[0])
    finite = [(v, s) for s, v in points if math.isfinite(v)]
    lo = min(finite, key=lambda p: (p[0], p[1])) if finite else (None, None)
    hi = max(finite, key=lambda p: (p[0], -p[1])) if finite else (None, None)
    return (last_step, last_value, lo[0], lo[1], hi[0], hi[1])


def same(a: Any, b: Any) -> bool:
    """Equality that tells NaN (equal to NaN) and -0.0 (not equal to 0.0) apart."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and type(a) is type(b)


def history_rows(log: Path) -> int:
    """How many complete history rows the log holds (the reader is tested on its own)."""
    return sum(isinstance(r, HistoryRecord) for r in read_log(log).records)


# -- the comparison --------------------------------------------------------------------------


def metric_problems(db: Path, run_id: str, entry: dict[str, Any], n_rows: int | None) -> list[str]:
    """Custom keys, their kinds, every point and every summary of ``run_id`` against the first
    ``n_rows`` rows of the manifest."""
    series, other = expected(entry, n_rows)
    problems: list[str] = []
    keys = {
        k: kind
        for k, kind in rows(
            db,
            "SELECT key, kind FROM metric_keys WHERE run_id = ? AND class = 'CUSTOM'",
            [run_id],
        )
    }
    want_keys = {**dict.fromkeys(series, "SCALAR"), **dict.fromkeys(other, "MEDIA")}
    if keys != want_keys:
        problems.append(f"{run_id}: keys {sorted(keys.items())} != {sorted(want_keys.items())}")
    stored: Series = {}
    for key, step, value in rows(
        db, "SELECT key, step, value FROM metrics WHERE run_id = ? ORDER BY key, step", [run_id]
    ):
        stored.setdefault(key, []).append((step, value))
    for key, points in series.items():
        got = stored.get(key, [])
        if len(got) != len(points) or not all(
            same(g, p) for g, p in zip(got, points, strict=False)
        ):
            problems.append(f"{run_id} {key!r}: stored {got[:5]}... != logged {points[:5]}...")
    for key in other:
        if stored.get(key):
            problems.append(f"{run_id} {key!r}: a MEDIA key with points {stored[key][:3]}")
    sums = {
        r[0]: r[1:]
        for r in rows(
            db,
            "SELECT key, last_step, last_value, min_value, min_step, max_value, max_step "
            "FROM summaries WHERE run_id = ? AND NOT starts_with(key, 'system.')",
            [run_id],
        )
    }
    if set(sums) != set(series):
        problems.append(f"{run_id}: summaries for {sorted(sums)}, points for {sorted(series)}")
    for key, points in series.items():
        if key in sums and not same(tuple(sums[key]), summary_of(points)):
            problems.append(f"{run_id} {key!r}: summary {sums[key]} != {summary_of(points)}")
    return problems


def system_problems(db: Path, run_id: str) -> list[str]:
    """System samples: keys ``system.*`` of class SYSTEM, steps 0, 1, ... per sample."""
    found = rows(
        db,
        "SELECT k.key, k.class, k.kind, list(m.step ORDER BY m.step) FROM metric_keys k "
        "LEFT JOIN metrics m USING (source, project, run_id, key) "
        "WHERE k.run_id = ? AND starts_with(k.key, 'system.') GROUP BY ALL",
        [run_id],
    )
    if not found:
        return [f"{run_id}: no system metrics"]
    problems = []
    for key, klass, kind, steps in found:
        if (klass, kind) != ("SYSTEM", "SCALAR") or steps != list(range(len(steps))):
            problems.append(f"{run_id} {key}: {klass} {kind} steps {steps[:5]}")
    return problems


def run_problems(db: Path, fx: Fixture) -> list[str]:
    """The run row and config of a ``full`` fixture against its manifest entry."""
    entry = fx.entry
    got = rows(
        db,
        "SELECT project, slug, name, description, labels, cluster, job, state, created_at, "
        "config FROM runs WHERE run_id = ?",
        [entry["run_id"]],
    )
    if len(got) != 1:
        return [f"{entry['run_id']}: {len(got)} run rows"]
    project, slug, name, notes, labels, group, job, state, created, config = got[0]
    problems = []
    want = (
        PROJECT,
        entry["run_id"],
        entry["display_name"],
        entry["notes"],
        entry["tags"],
        entry["group"],
        entry["job_type"],
        "FINISHED" if entry["exit_code"] == 0 else "CRASHED",
    )
    if (project, slug, name, notes, labels, group, job, state) != want:
        problems.append(f"run row {(project, slug, name, notes, labels, group, job, state)}")
    if created is None:
        problems.append("no created_at")
    problems += mismatches({"dict": entry["config"]}, json.loads(config), "config", False)
    return problems


def tree(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under ``root``: size, mtime and content digest."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            stat = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            out[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns, digest)
    return out


__all__ = ["DATA"]
