"""The simulated W&B server's objects (users, entities, projects, runs) and pure helpers."""

from __future__ import annotations

import base64
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trackersim.wandb.history import CACHE, CHUNK, KeySpec, SystemSpec, system_row, unit

_ID = "abcdefghijklmnopqrstuvwxyz0123456789"
_KEY = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
STATES = (
    "running",
    "finished",
    "crashed",
    "failed",
    "killed",
    "preempting",
    "preempted",
    "pending",
)
TERMINAL = ("finished", "crashed", "failed", "killed", "preempted")
_uids = itertools.count(1)


def run_name(rng: random.Random) -> str:
    """An 8-character run id like ``wandb.init`` makes (the ``name`` field on the wire)."""
    return "".join(rng.choice(_ID) for _ in range(8))


def api_key(rng: random.Random) -> str:
    """A self-hosted style key: ``local-`` + 40 alphanumerics (passes the SDK's format check)."""
    return "local-" + "".join(rng.choice(_KEY) for _ in range(40))


def gid(*parts: str) -> str:
    """A global id as W&B builds them: base64 of ``Type:v1:...``."""
    return base64.b64encode(":".join(parts).encode()).decode()


def utc(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def iso(seconds: int | None, style: str = "naive") -> str | None:
    """Epoch seconds -> ``2025-01-01T03:00:00`` (naive UTC) or with a ``Z`` (style "zulu")."""
    if seconds is None:
        return None
    text = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + "Z" if style == "zulu" else text


@dataclass
class User:
    username: str
    name: str
    email: str
    teams: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return gid("User", self.username)


@dataclass
class Project:
    entity: str
    name: str
    internal_id: int
    created_s: int
    user: str | None = None
    description: str | None = None
    runs: list[Run] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.name}"

    @property
    def id(self) -> str:
        return gid("Project", "v1", self.name, self.entity)

    def live_runs(self) -> list[Run]:
        return [r for r in self.runs if not r.deleted]


@dataclass(eq=False)
class Run:
    project: Project
    name: str  # the run id
    display_name: str
    state: str
    created_s: int
    heartbeat_s: int
    user: str
    config: dict[str, Any] = field(default_factory=dict)  # wire form ({k: {value, desc}})
    summary_extra: dict[str, Any] = field(default_factory=dict)  # edited / non-history summary
    tags: list[str] = field(default_factory=list)
    group: str | None = None
    job_type: str | None = None
    sweep: str | None = None
    host: str | None = None
    notes: str | None = None
    commit: str | None = None
    keys: list[KeySpec] = field(default_factory=list)
    ticks: int = 0  # step offsets 0..ticks-1 have been logged
    step_base: int = 0
    tick_s: float = 2.0
    system: SystemSpec | None = None
    deleted: bool = False
    export_offset: int | None = None  # parquet export holds rows with offset < this
    seed: int = 0  # for values that belong to the run itself (its _runtime jitter)
    updated_s: int = 0  # last change of any kind (served only with the run_updated_at option)
    uid: int = field(default_factory=lambda: next(_uids))
    version: int = 0  # bumped whenever existing rows could change (a key added)
    console_long: int | None = None  # the tick whose console line is over 1 MiB (console.py)

    @property
    def path(self) -> str:
        return f"{self.project.path}/{self.name}"

    @property
    def storage_id(self) -> str:
        return gid("Run", "v1", self.name, self.project.name, self.project.entity)

    # -- history --------------------------------------------------------------------------------
    def runtime(self, offset: int) -> float:
        return round(offset * self.tick_s + 0.25 * unit(self.seed * 31 + 7, offset), 3)

    def timestamp(self, offset: int) -> float:
        return round(self.created_s + 1.5 + self.runtime(offset), 3)

    def _chunk(self, c: int) -> list[dict[str, Any]]:
        hi = min(self.ticks, (c + 1) * CHUNK)
        key = (self.uid, c, self.version, hi)
        rows = CACHE.get(key)
        if rows is None:
            rows = []
            for off in range(c * CHUNK, hi):
                row = self.row_at(off)
                if row is not None:
                    rows.append(row)
            CACHE.put(key, rows)
        return rows

    def row_at(self, off: int) -> dict[str, Any] | None:
        """The history row at step offset ``off`` (None if no key was logged there)."""
        row: dict[str, Any] = {}
        for spec in self.keys:
            if spec.logged_at(off):
                row[spec.name] = spec.value(off)
        if not row:
            return None
        row["_step"] = self.step_base + off
        row["_runtime"] = self.runtime(off)
        row["_timestamp"] = self.timestamp(off)
        return row

    def rows(self, lo_step: int | None = None, hi_step: int | None = None) -> list[dict[str, Any]]:
        """History rows with ``lo_step <= _step < hi_step`` (bounds optional), ascending."""
        lo = 0 if lo_step is None else max(0, lo_step - self.step_base)
        hi = self.ticks if hi_step is None else min(self.ticks, max(0, hi_step - self.step_base))
        if hi <= lo:
            return []
        out: list[dict[str, Any]] = []
        for c in range(lo // CHUNK, (hi - 1) // CHUNK + 1):
            for row in self._chunk(c):
                off = row["_step"] - self.step_base
                if lo <= off < hi:
                    out.append(row)
        return out

    def line_count(self) -> int:
        """Number of history rows: steps where at least one key was logged (no values made)."""
        steps: set[int] = set()
        for spec in self.keys:
            end = self.ticks if spec.until is None else min(self.ticks, spec.until)
            steps.update(range(spec.first, end, spec.every))
        return len(steps)

    def last_offset(self, spec: KeySpec) -> int | None:
        end = self.ticks if spec.until is None else min(self.ticks, spec.until)
        if end <= spec.first:
            return None
        return spec.first + ((end - 1 - spec.first) // spec.every) * spec.every

    def last_row(self) -> dict[str, Any] | None:
        offs = [o for o in (self.last_offset(s) for s in self.keys) if o is not None]
        if not offs:
            return None
        return self.row_at(max(offs))

    def summary(self) -> dict[str, Any]:
        """What the server keeps as the run summary: every key's last logged value, the last
        row's ``_step``/``_runtime``/``_timestamp``, ``_wandb.runtime``, then edits on top."""
        out: dict[str, Any] = {}
        for spec in self.keys:
            off = self.last_offset(spec)
            if off is not None:
                out[spec.name] = spec.value(off)
        last = self.last_row()
        if last is not None:
            for k in ("_step", "_runtime", "_timestamp"):
                out[k] = last[k]
        runtime = int(self.ticks * self.tick_s)
        out["_wandb"] = {"runtime": runtime}
        out.update(self.summary_extra)
        return out

    # -- system metrics -------------------------------------------------------------------------
    def events(self) -> list[dict[str, Any]]:
        """The system-metrics stream: one event every ``system.every_s`` seconds of run time."""
        spec = self.system
        if spec is None or self.ticks == 0:
            return []
        n = int(self.ticks * self.tick_s // spec.every_s) + 1
        out = []
        for i in range(n):
            row = system_row(spec, i)
            row["_runtime"] = round(i * spec.every_s, 3)
            row["_timestamp"] = round(self.created_s + 1.0 + i * spec.every_s, 3)
            row["_wandb"] = True
            out.append(row)
        return out

    def system_metrics(self) -> dict[str, Any]:
        """The latest system metrics (the last event's values)."""
        spec = self.system
        if spec is None or self.ticks == 0:
            return {}
        return system_row(spec, int(self.ticks * self.tick_s // spec.every_s))


def unwrap_config(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(user config, W&B internals) from the wire form: ``{value, desc}`` wrappers are removed
    where present (values without a wrapper are kept as they are); ``_wandb`` and
    ``wandb_version`` are internals."""
    user: dict[str, Any] = {}
    internal: dict[str, Any] = {}
    for key, item in config.items():
        value = item["value"] if isinstance(item, dict) and "value" in item else item
        (internal if key in ("_wandb", "wandb_version") else user)[key] = value
    return user, internal


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Leaves of nested dicts/lists: keys joined with ``.``, list items as ``[i]``; empty
    dicts and lists are leaves."""
    if isinstance(value, dict) and value:
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out.extend(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value:
        out = []
        for i, v in enumerate(value):
            out.extend(flatten(v, f"{prefix}[{i}]"))
        return out
    return [(prefix, value)]


def is_nonfinite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)
