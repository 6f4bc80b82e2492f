"""Scheduled work named in the config file: ``[[jobs]]`` tables and the ``[maintenance]`` table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from swansync.errors import ConfigError
from swansync.sources.base import SourceConfig

_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(value: str) -> int:
    """``"15m"`` -> 900 seconds. Units s, m, h, d."""
    m = _EVERY.match(value)
    if not m or int(m.group(1)) <= 0:
        raise ConfigError(f"invalid interval {value!r}: use a number and a unit, like 30s, 15m, 2h")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


@dataclass(frozen=True)
class MaintenanceConfig:
    """Lake maintenance run by ``swansync schedule`` (the ``[maintenance]`` table)."""

    every: int  # seconds between passes (the first runs at start-up, after the jobs due then)
    keep: int = 7 * 86400  # seconds of time travel kept
    orphan_age: int = 86400  # seconds before a file no commit names is deleted


def parse_maintenance(raw: Any) -> MaintenanceConfig:
    if not isinstance(raw, dict):
        raise ConfigError('maintenance must be a table: [maintenance] every = "1h"')
    unknown = sorted(set(raw) - {"every", "keep", "orphan_age"})
    if unknown:
        raise ConfigError(f"maintenance: unknown setting(s) {', '.join(unknown)}")
    if not isinstance(raw.get("every"), str):
        raise ConfigError('maintenance: every must be a string like "1h"')
    ages = {k: raw[k] for k in ("keep", "orphan_age") if k in raw}
    for key, value in ages.items():
        if not isinstance(value, str):
            raise ConfigError(f'maintenance: {key} must be a string like "7d"')
    return MaintenanceConfig(
        every=parse_every(raw["every"]), **{k: parse_every(v) for k, v in ages.items()}
    )


@dataclass(frozen=True)
class JobConfig:
    """One scheduled pull (a ``[[jobs]]`` table of the config file)."""

    name: str
    sources: tuple[SourceConfig, ...] = ()
    filters: tuple[str, ...] = ()
    every: int | None = None  # seconds
    cron: str | None = None
    full: bool = False

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ConfigError(
                f'job {self.name!r}: give exactly one of every = "15m" or cron = "..."'
            )
        if not self.sources:
            raise ConfigError(
                f"job {self.name!r}: name at least one target, e.g. "
                'sources.swanlab.projects = ["team/proj"]'
            )
