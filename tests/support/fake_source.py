"""An in-memory Source for testing the sync logic without HTTP: runs grow, finish, vanish;
calls are counted; failures can be injected per run or at the Nth call."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from swansync.errors import ApiError, NotFoundError, RetriableApiError
from swansync.sources.base import (
    Counters,
    LogRecord,
    MediaBody,
    MediaRecord,
    MetricKeyRecord,
    Points,
    ProjectRecord,
    RunFilter,
    RunKey,
    RunRecord,
    SeriesPoints,
    SummaryRecord,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeRun:
    def __init__(self, run_id: str, keys: Sequence[str], steps: int, state: str = "FINISHED"):
        self.run_id = run_id
        self.state = state
        self.config: dict[str, Any] = {"lr": 0.1}
        self.series: dict[str, list[tuple[int, float]]] = {
            k: [(s, float(s) * (i + 1)) for s in range(steps)] for i, k in enumerate(keys)
        }

        self.lines: list[tuple[int, str, str | None]] = []  # (seq, text, level)
        # MEDIA key -> step -> [(content, caption)]
        self.media: dict[str, dict[int, list[tuple[bytes, str | None]]]] = {}

    def grow(self, n: int) -> None:
        for pts in self.series.values():
            start = pts[-1][0] + 1 if pts else 0
            pts.extend((s, float(s) + 0.5) for s in range(start, start + n))

    def print_lines(self, n: int, *, level: str | None = "INFO") -> None:
        start = self.lines[-1][0] + 1 if self.lines else 1
        self.lines.extend((s, f"{self.run_id} line {s}", level) for s in range(start, start + n))

    def log_media(self, key: str, step: int, *contents: bytes) -> None:
        items = [(c, f"{key} {step} #{i}" if i % 2 == 0 else None) for i, c in enumerate(contents)]
        self.media.setdefault(key, {})[step] = items


class FakeSource:
    def __init__(self, runs: Sequence[FakeRun], name: str = "fake") -> None:
        self.name = name
        self.counters = Counters()
        self.runs = {r.run_id: r for r in runs}
        self.calls: dict[str, int] = {}
        self.fail_runs: set[str] = set()
        self.fail_after: int | None = None  # raise on the Nth scalar_points call
        self.hide_once: set[str] = set()  # runs the next listing misses (paging shifted)
        self.crash_after_lines: int | None = None  # KeyboardInterrupt after this many lines
        self.fail_media_runs: set[str] = set()
        self.gone: set[tuple[str, str, int, int]] = set()  # media_content -> NotFoundError
        self.break_once: set[tuple[str, str, int, int]] = set()  # a read that breaks once
        self.lines_read = 0
        self._lock = threading.Lock()
        self.project: ProjectRecord = {
            "project": "ws/proj",
            "project_id": "p1",
            "workspace": "ws",
            "name": "proj",
            "description": None,
            "visibility": "PRIVATE",
            "labels": [],
            "run_count": None,
            "created_at": T0,
            "updated_at": T0,
            "url": None,
            "raw": {},
        }

    def _count(self, what: str) -> int:
        with self._lock:
            self.calls[what] = self.calls.get(what, 0) + 1
            self.counters.requests += 1
            return self.calls[what]

    @property
    def targets(self) -> tuple[str, ...]:
        return ("ws/proj",)

    def resolve(self, target: str) -> list[ProjectRecord]:
        self._count("project")
        return [self.project]

    def _record(self, r: FakeRun) -> RunRecord:
        return {
            "project": "ws/proj",
            "run_id": r.run_id,
            "slug": r.run_id,
            "name": r.run_id,
            "description": None,
            "state": r.state,
            "cluster": None,
            "job": None,
            "labels": [],
            "username": "u",
            "created_at": T0,
            "finished_at": None if r.state == "RUNNING" else T0 + timedelta(hours=1),
            "url": None,
            "config": r.config,
            "metadata": {},
            "requirements": None,
            "conda": None,
            "pinned": False,
            "project_id": "p1",
            "root_project_id": None,
            "root_run_id": None,
            "raw": {},
            "has_profile": True,
            "change_marker": r.state,
        }

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Nothing to resume: every pull lists afresh."""

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord]:
        self._count("list_runs")
        hidden, self.hide_once = self.hide_once, set()
        return iter([self._record(r) for r in self.runs.values() if r.run_id not in hidden])

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        self._count("run_detail")
        return self._record(self.runs[run["run_id"]])

    def summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        self._count("summaries")
        out: dict[RunKey, list[SummaryRecord]] = {}
        for rec in (run for _, runs in groups for run in runs):
            r = self.runs[rec["run_id"]]
            out[("ws/proj", r.run_id)] = [
                {
                    "project": "ws/proj",
                    "run_id": r.run_id,
                    "key": k,
                    "klass": "SYSTEM" if k.startswith("__swanlab__") else "CUSTOM",
                    "last_step": pts[-1][0],
                    "last_value": pts[-1][1],
                    "min_value": min(v for _, v in pts),
                    "min_step": None,
                    "max_value": max(v for _, v in pts),
                    "max_step": None,
                    "raw": None,
                }
                for k, pts in r.series.items()
                if pts
            ]
        return out

    def metric_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        self._count("metric_keys")
        r = self.runs[run["run_id"]]
        keys: list[MetricKeyRecord] = [
            {
                "project": "ws/proj",
                "run_id": run["run_id"],
                "key": k,
                "kind": "SCALAR",
                "klass": "SYSTEM" if k.startswith("__swanlab__") else "CUSTOM",
            }
            for k in r.series
        ]
        for k in r.media:
            keys.append(
                MetricKeyRecord(
                    project="ws/proj", run_id=r.run_id, key=k, kind="MEDIA", klass="CUSTOM"
                )
            )
        return keys

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        n = self._count("scalar_points")
        if run["run_id"] in self.fail_runs:
            raise ApiError(f"run {run['run_id']} is broken upstream", status=500)
        if self.fail_after is not None and n >= self.fail_after:
            raise KeyboardInterrupt("simulated crash")
        r = self.runs[run["run_id"]]
        for k in keys:
            pts = r.series[k]
            yield SeriesPoints(
                "ws/proj",
                r.run_id,
                k,
                [s for s, _ in pts],
                [v for _, v in pts],
                [1767225600000 + s for s, _ in pts],
            )

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        self._count("logs")
        for seq, text, level in list(self.runs[run["run_id"]].lines):
            if after_seq is not None and seq <= after_seq:
                continue
            if self.crash_after_lines is not None and self.lines_read >= self.crash_after_lines:
                raise KeyboardInterrupt("simulated crash while reading a console")
            self.lines_read += 1
            yield LogRecord(
                project="ws/proj",
                run_id=run["run_id"],
                seq=seq,
                ts=T0 + timedelta(seconds=seq),
                level=level,
                stream="stdout",
                text=text,
            )

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        self._count("media")
        rid = run["run_id"]
        if rid in self.fail_media_runs:
            raise ApiError(f"media of run {rid} is broken upstream", status=500)
        after = after_step or {}
        r = self.runs[rid]
        for key in keys:
            for step, items in sorted(r.media.get(key, {}).items()):
                if step <= after.get(key, -1):
                    continue
                for idx, (content, caption) in enumerate(items):
                    yield MediaRecord(
                        project="ws/proj",
                        run_id=rid,
                        key=key,
                        step=step,
                        idx=idx,
                        kind="image" if content.startswith(b"\x89PNG") else "other",
                        caption=caption,
                        url=f"https://files.example/{rid}/{key}/{step}/{idx}?sig=1",
                        content_type=None,
                        sha256=None,
                        bytes=None,
                        ref=f"{key}/{step:03d}-{idx}.png",
                    )

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        self._count("media_content")
        where = (run["run_id"], item["key"], item["step"], item["idx"])
        if where in self.gone:
            raise NotFoundError(f"{item['key']} step {item['step']}: not found upstream")
        content, _ = self.runs[run["run_id"]].media[item["key"]][item["step"]][item["idx"]]

        def chunks() -> Iterator[bytes]:
            yield content[: len(content) // 2]
            if where in self.break_once:
                self.break_once.discard(where)
                raise RetriableApiError("connection reset by the server mid-body")
            yield content[len(content) // 2 :]

        ctype = "image/png" if content.startswith(b"\x89PNG") else "application/octet-stream"
        return MediaBody(chunks(), ctype, len(content))

    def warnings(self) -> list[str]:
        return []

    def close(self) -> None:
        pass

    def truth_points(self) -> set[tuple[str, str, int, float]]:
        return {
            (r.run_id, k, s, v)
            for r in self.runs.values()
            for k, pts in r.series.items()
            for s, v in pts
        }
