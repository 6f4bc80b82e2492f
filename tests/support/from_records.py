"""A simulated cloud holding exactly what a :class:`~swansync.sources.base.Source` yields.

``world_from_source(LogDirSource(path))`` reads every project, run, config, metadata file, metric
key and point of a SwanLab log folder (or of any other source) and builds a :class:`World` that
serves the very same data over the OpenAPI: explicit points (not the generator's formulas), the
same run names, slugs, states, labels, configs (re-wrapped ``{value, desc, sort}`` by the
renderer, as the cloud stores them), created/finished times and point timestamps. Pulling that
world through the cloud path (run list -> detail -> key listing -> CSV export) must then give the
same warehouse rows as pulling the source directly, up to what the wire protocol cannot carry:

* times travel as ISO strings with milliseconds: created/finished times lose sub-millisecond
  digits (a log folder stores microseconds);
* run ids are new cuids (the cloud's ids), deterministic from (project, source run_id);
  the source's ``run_id`` is not kept anywhere the cloud would send it;
* a point whose value is None (not a number) cannot travel in the CSV export: it is skipped with
  a warning; a point without a timestamp is a :class:`DataError` (the cloud stamps every point);
* a scalar key without points is not listed (the cloud lists a key once it has a point; a
  warning says so); a media key gets one placeholder step so the key listing shows it; media
  content and console logs are not copied;
* a sampled series (``complete=False``, e.g. from ``--dashboard``) is served as if complete.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from swansync.errors import DataError
from swansync.sources.base import (
    CsvPoints,
    Points,
    ProjectRecord,
    RunRecord,
    SeriesPoints,
    Source,
)
from trackersim.swanlab.model import Project, Run, Workspace, api_key, cuid
from trackersim.swanlab.series import CHUNK, MediaSeries, Series, Stats
from trackersim.swanlab.world import World

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class RecordedSeries(Series):
    """A scalar series of explicit points (ascending unique steps), for worlds built from data.

    It overrides the geometry (``count``/``step``/``ts_ms``), the value and CSV chunks and the
    statistics; the base's ``value``/``values``/``iter_points`` read through those.
    ``first_t``/``every`` still describe the step grid for the CSV export's aligned fast path: an
    arithmetic series (``s0, s0+d, s0+2d, ...``) declares ``first_t=s0, every=d`` so columns
    sharing that grid are aligned row by row (correct for it); an irregular one declares a grid no
    other series has (``every`` = minus its unique id), so the export takes the merged, step-keyed
    path.
    """

    def __init__(self, key: str, steps: list[int], values: list[float], ts_ms: list[int]) -> None:
        if not (len(steps) == len(values) == len(ts_ms)):
            raise DataError(f"series {key!r}: steps, values and timestamps differ in length")
        if any(b <= a for a, b in pairwise(steps)):
            raise DataError(f"series {key!r}: steps must be strictly increasing")
        super().__init__(key=key, seed=0, first_t=0, every=1, step_base=0, ts0_ms=0, tick_ms=1)
        self._steps, self._vals, self._ts = list(steps), list(values), list(ts_ms)
        self.ticks = len(steps)
        if steps:
            self.first_t = steps[0]
            gaps = {b - a for a, b in pairwise(steps)}
            self.every = gaps.pop() if len(gaps) == 1 else (1 if not gaps else -self.uid)
            self.ts0_ms = ts_ms[0]

    # -- geometry and values ---------------------------------------------------------------------
    def count(self, ticks: int | None = None) -> int:
        return len(self._steps)

    def step(self, i: int) -> int:
        return self._steps[i]

    def ts_ms(self, i: int) -> int:
        return self._ts[i]

    def values_chunk(self, c: int) -> list[float]:
        return self._vals[c * CHUNK : (c + 1) * CHUNK]

    def cells_chunk(self, c: int) -> list[str]:
        lo, hi = c * CHUNK, (c + 1) * CHUNK
        return [_cell(v, t) for v, t in zip(self._vals[lo:hi], self._ts[lo:hi], strict=True)]

    def rows_chunk(self, c: int, m: int) -> list[str]:
        lo = c * CHUNK
        return [f"{self._steps[i]},{_cell(self._vals[i], self._ts[i])}" for i in range(lo, lo + m)]

    def stats(self, n: int | None = None) -> Stats | None:
        """min/max ignore NaN (infinities count); ties keep the lowest step (the world's rule)."""
        total = len(self._steps) if n is None else min(n, len(self._steps))
        if total <= 0:
            return None
        cached = self._stats
        if cached is not None and cached.count == total:
            return cached
        mn_i: int | None = None
        mx_i: int | None = None
        for i in range(total):
            v = self._vals[i]
            if math.isnan(v):
                continue
            if mn_i is None or v < self._vals[mn_i]:
                mn_i = i
            if mx_i is None or v > self._vals[mx_i]:
                mx_i = i
        stats = Stats(
            count=total,
            last_step=self._steps[total - 1],
            last_value=self._vals[total - 1],
            min_value=None if mn_i is None else self._vals[mn_i],
            min_step=None if mn_i is None else self._steps[mn_i],
            max_value=None if mx_i is None else self._vals[mx_i],
            max_step=None if mx_i is None else self._steps[mx_i],
        )
        self._stats = stats
        return stats


def _cell(value: float, ts: int) -> str:
    """``value,timestamp`` as the export writes it: repr round-trips doubles, NaN is ``NaN``,
    infinities ``inf``/``-inf``."""
    return f"NaN,{ts}" if math.isnan(value) else f"{value!r},{ts}"


# -- building -----------------------------------------------------------------------------------
def world_from_source(source: Source, *, workspace: str = "local") -> World:
    """A new world holding every project of ``source`` under ``workspace`` (see module doc).

    The world's user is ``workspace`` (a PERSON workspace); its API key is deterministic from the
    source's name. Raises the source's errors, and DataError for data the cloud cannot hold."""
    rng = random.Random(f"swansync-from-records:{source.name}")
    user = Workspace(workspace, workspace, "PERSON")
    world = World(f"from:{source.name}", 0, user=user, api_key=api_key(rng))
    add_source(world, source, workspace=workspace)
    return world


def add_source(world: World, source: Source, *, workspace: str = "local") -> list[str]:
    """Add every project of ``source`` to ``world`` under ``workspace``; returns their paths
    (``workspace/name``). A project path already in the world is a DataError."""
    ws = world.workspaces.get(workspace) or world.add_workspace(
        Workspace(workspace, workspace, "TEAM")
    )
    added: list[str] = []
    records = {p["project"]: p for t in source.targets for p in source.resolve(t)}
    for record in records.values():
        path = f"{workspace}/{record['name']}"
        if path in world.project_map:
            raise DataError(f"project {path!r} is already in the world")
        with world.lock:
            project = _project(world, source, ws, record)
        added.append(project.path)
    return added


def _ms(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    aware = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MS


def _project(world: World, source: Source, ws: Workspace, record: ProjectRecord) -> Project:
    rng = random.Random(f"swansync-from-records:{ws.username}/{record['name']}")
    runs: list[RunRecord] = []
    for item in source.list_runs(record):
        if isinstance(item, dict):
            runs.append(source.run_detail(record, item))
        else:  # a list item the source could not read: the sync skips it too
            log.warning("project %r: an unreadable run was not copied: %r", record["project"], item)
    created = _ms(record["created_at"])
    starts = [ms for r in runs if (ms := _ms(r["created_at"])) is not None]
    if created is None:
        created = min(starts, default=world.now_ms())
    project = Project(
        workspace=ws,
        name=record["name"],
        cuid=cuid(rng),
        description=record["description"] or "",
        visibility=record["visibility"] or "PRIVATE",
        labels=list(record["labels"]),
        created_ms=created,
        updated_ms=created,
    )
    for run_record in runs:
        project.runs.append(_run(project, source, record, run_record))
    stamps = [created, _ms(record["updated_at"]) or 0] + [r.updated_ms for r in project.runs]
    project.updated_ms = max(stamps)
    world.add_project(project)
    return project


def _run(project: Project, source: Source, proj: ProjectRecord, rec: RunRecord) -> Run:
    where = f"run {rec['run_id']!r} of project {proj['project']!r}"
    created = _ms(rec["created_at"])
    if created is None:
        raise DataError(f"{where} has no created time; the cloud's metric store needs one")
    if not rec["state"]:
        raise DataError(f"{where} has no state")
    finished = _ms(rec["finished_at"])
    rng = random.Random(f"swansync-from-records:{proj['project']}:{rec['run_id']}")
    run = Run(
        project=project,
        cuid=cuid(rng),
        slug=rec["slug"],
        name=rec["name"] or "",
        created_ms=created,
        seed=0,
        description=rec["description"] or "",
        state=rec["state"],
        cluster=rec["cluster"],
        job=rec["job"],
        labels=list(rec["labels"]),
        username=rec["username"],
        user_name=rec["username"] or "",
        finished_ms=finished,
        updated_ms=finished if finished is not None else created,
        config=dict(rec["config"] or {}),  # plain values; the renderer wraps them
        metadata=dict(rec["metadata"] or {}),
        requirements=rec["requirements"],
        conda=rec["conda"],
        pinned_ms=created if rec["pinned"] else None,
    )
    keys = source.metric_keys(proj, rec)
    scalar = [k["key"] for k in keys if k["kind"] == "SCALAR"]
    for points in source.scalar_points(proj, rec, scalar) if scalar else ():
        for series in _series(points, where):
            run.series[series.key] = series
    for k in keys:
        if k["kind"] == "MEDIA":
            run.media[k["key"]] = MediaSeries(k["key"], first_t=0, every=1, step_base=0, ticks=1)
        elif k["key"] not in run.series:
            log.warning("%s: scalar key %r has no points; the cloud lists no such key", where, k)
    return run


def _series(points: Points, where: str) -> list[RecordedSeries]:
    columns = _columns(points) if isinstance(points, CsvPoints) else [_from_series(points)]
    out: list[RecordedSeries] = []
    for key, rows in columns:
        latest: dict[int, tuple[float | None, int | None]] = {}
        for step, value, ts in rows:
            latest.pop(step, None)  # a repeated step: the last one wins, as in the warehouse
            latest[step] = (value, ts)
        steps, values, stamps = [], [], []
        skipped = 0
        for step in sorted(latest):
            value, ts = latest[step]
            if value is None:
                skipped += 1
                continue
            if ts is None:
                raise DataError(f"{where}: point {step} of {key!r} has no timestamp")
            steps.append(step)
            values.append(value)
            stamps.append(ts)
        if skipped:
            log.warning("%s: %d non-numeric points of %r not copied", where, skipped, key)
        if steps:
            out.append(RecordedSeries(key, steps, values, stamps))
    return out


Row = tuple[int, float | None, int | None]


def _from_series(points: SeriesPoints) -> tuple[str, list[Row]]:
    rows = list(zip(points.steps, points.values, points.ts_ms, strict=True))
    return points.key, rows


def _columns(points: CsvPoints) -> Iterable[tuple[str, list[Row]]]:
    """The per-key rows of a wide export CSV (header ignored; empty value = no point)."""
    reader = csv.reader(io.StringIO(points.data.decode("utf-8")))
    next(reader, None)
    cols: list[list[Row]] = [[] for _ in points.keys]
    for line in reader:
        if not line:
            continue
        step = int(line[0])
        for i, rows in enumerate(cols):
            value = line[1 + 2 * i] if len(line) > 1 + 2 * i else ""
            ts = line[2 + 2 * i] if len(line) > 2 + 2 * i else ""
            if value != "":
                rows.append((step, float(value), int(float(ts)) if ts else None))
    return list(zip(points.keys, cols, strict=True))


__all__ = ["RecordedSeries", "add_source", "world_from_source"]
