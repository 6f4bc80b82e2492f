"""The simulated cloud's objects (workspaces, projects, runs) and small pure helpers."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trackersim.swanlab.series import MediaSeries, Series

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def cuid(rng: random.Random) -> str:
    """A cuid-style server id: 'c' + 24 lower-case base36 characters."""
    return "c" + "".join(rng.choice(_B36) for _ in range(24))


def slug(rng: random.Random) -> str:
    """An 8-character lower-case alnum run slug, like the SDK generates."""
    return "".join(rng.choice(_B36) for _ in range(8))


def api_key(rng: random.Random) -> str:
    """A 21-character [0-9A-Za-z] API key (the legacy SDK validates this form)."""
    return "".join(rng.choice(_ALNUM) for _ in range(21))


def iso_ms(ms: int | None) -> str | None:
    """Unix ms -> '2025-12-09T17:57:38.224Z' (None stays None)."""
    if ms is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(ms // 1000)) + f"{ms % 1000:03d}Z"


def dt_ms(ms: int | None) -> datetime | None:
    """Unix ms -> tz-aware UTC datetime (None stays None)."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms // 1000, tz=UTC).replace(microsecond=(ms % 1000) * 1000)


def parse_iso_ms(text: str) -> int | None:
    """ISO-8601 (with Z or offset) or Unix s/ms digits -> Unix ms; None if unparsable."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        num = int(text)
        return num * 1000 if abs(num) < 10**11 else num
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def json_text(value: Any) -> str:
    """Compact JSON text as truth uses it for run_config.value (unicode kept, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def flatten_config(config: dict[str, Any]) -> list[tuple[str, Any]]:
    """Leaves of a plain config: nested dict keys joined with '.', list items as '[i]'.

    Empty dicts/lists and None are leaves themselves. Top-level keys that already contain dots
    are kept verbatim (so "a.b" at the top and {"a": {"b": ..}} would collide; worlds avoid it).
    """
    out: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and value:
            for i, v in enumerate(value):
                walk(f"{prefix}[{i}]", v)
        else:
            out.append((prefix, value))

    for k, v in config.items():
        walk(str(k), v)
    return out


def config_lookup(config: dict[str, Any], key: str) -> tuple[bool, Any]:
    """Find a config value by literal top-level key first, then by dotted path."""
    if key in config:
        return True, config[key]
    node: Any = config
    for part in key.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False, None
    return True, node


def config_set(config: dict[str, Any], key: str, value: Any) -> None:
    """Set a value by dotted path (literal top-level key wins if it exists)."""
    if key in config:
        config[key] = value
        return
    parts = key.split(".")
    node = config
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def wrap_config(config: dict[str, Any]) -> dict[str, Any]:
    """The SDK's upload shape: each top-level key as {value, desc, sort}."""
    return {k: {"value": v, "desc": "", "sort": i} for i, (k, v) in enumerate(config.items())}


@dataclass
class Workspace:
    username: str
    name: str
    type: str  # PERSON | TEAM
    role: str = "OWNER"
    comment: str = ""

    def to_api(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name,
            "type": self.type,
            "comment": self.comment,
            "role": self.role,
            "profile": {
                "bio": f"{self.name} on the simulated cloud",
                "url": "",
                "institution": "swansync",
                "school": None,
                "email": None,
                "location": "127.0.0.1",
            },
        }


@dataclass(eq=False)
class Project:
    workspace: Workspace
    name: str
    cuid: str
    description: str
    visibility: str
    labels: list[str]
    created_ms: int
    updated_ms: int
    runs: list[Run] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.workspace.username}/{self.name}"

    def live_runs(self) -> list[Run]:
        return [r for r in self.runs if not r.deleted]


@dataclass(eq=False)
class Run:
    project: Project
    cuid: str
    slug: str | None
    name: str
    created_ms: int
    seed: int
    description: str = ""
    state: str = "FINISHED"
    cluster: str | None = ""  # None: no such field upstream (worlds built from local data)
    job: str | None = ""
    labels: list[str] = field(default_factory=list)
    username: str | None = ""
    user_name: str = ""
    finished_ms: int | None = None
    updated_ms: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    requirements: str | None = None
    conda: str | None = None
    pinned_ms: int | None = None
    root: Run | None = None  # cloned runs: the run whose stored data they reuse
    deleted: bool = False
    ticks: int = 0
    step_base: int = 0
    tick_ms: int = 1000
    series: dict[str, Series] = field(default_factory=dict)
    media: dict[str, MediaSeries] = field(default_factory=dict)
    log_every: int = 0  # one console line every `log_every` ticks (0 = no logs)
    log_extra: int = 0  # lines appended besides the ticks (World.append_logs, quirks)
    log_fixed: int | None = None  # a fixed line count instead of one per log_every ticks
    log_gaps: int = 0  # skip a line counter every this many lines (0 = gap-free)
    log_hostile: bool = False  # odd bytes in some lines (see trackersim.swanlab.console)
    log_long: frozenset[int] = frozenset()  # counters of lines over 1 MiB
    log_width: int = 0  # > 0: cheap lines of about this many bytes (huge consoles)
    colors: tuple[str, str] = ("#528d59", "#528d59")

    @property
    def pinned(self) -> bool:
        return self.pinned_ms is not None

    @property
    def data_run(self) -> Run:
        """The run whose metric data this run shows (its root for clones)."""
        return self.root.data_run if self.root is not None else self

    def scalar_series(self) -> list[Series]:
        """Series with at least one point (a key exists once something was logged)."""
        return [s for s in self.data_run.series.values() if s.count() > 0]

    def media_series(self) -> list[MediaSeries]:
        return [m for m in self.data_run.media.values() if m.steps()]

    def log_count(self) -> int:
        """Lines of the console now (see :mod:`trackersim.swanlab.console`)."""
        run = self.data_run
        if run.log_fixed is not None:
            return run.log_fixed + run.log_extra
        ticked = 0 if run.log_every <= 0 else (run.ticks + run.log_every - 1) // run.log_every
        return ticked + run.log_extra

    def set_ticks(self, ticks: int) -> None:
        self.ticks = ticks
        for s in self.series.values():
            s.ticks = ticks
        for m in self.media.values():
            m.ticks = ticks
