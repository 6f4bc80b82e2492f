"""Settings: resolved once at the edge (flags > environment > TOML file > defaults) and passed down.

The file has general settings at the top and one section per tracker, ``[sources.<name>]``, whose
keys each tracker's plugin declares (:mod:`swansync.sources.registry`); ``[[jobs]]`` tables name
their targets in the same sections (``sources.swanlab.projects = [...]``). Target flags
(``--project``, ``--logdir``, ...) replace the file's targets; other flags override single keys.
Older releases' top-level keys (``projects = [...]``) still work, with a deprecation line.

API keys are never read from the file and never stored: they come from flags, the environment or
a tracker's own login file (resolved by that tracker's source) and travel wrapped in
:class:`Secret`.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from swansync.errors import ConfigError
from swansync.options import MEDIA_MODES, MediaMode
from swansync.secret import Secret
from swansync.sizes import parse_size
from swansync.sources.base import SourceConfig, SourceOptions

log = logging.getLogger(__name__)

DEFAULT_DB = Path("swansync.duckdb")
DEFAULT_CONFIG = Path("swansync.toml")
DEFAULT_MEDIA_MAX_BYTES = 128 << 20  # 128 MiB per media file
DEFAULT_MEDIA_MAX_TOTAL = 4 << 30  # 4 GiB of media files per pull

__all__ = [
    "DEFAULT_DB",
    "JobConfig",
    "MaintenanceConfig",
    "Secret",
    "Settings",
    "describe_targets",
    "load_settings",
    "merged_targets",
    "parse_every",
]


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


def _maintenance(raw: Any) -> MaintenanceConfig:
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


@dataclass(frozen=True)
class Settings:
    """Everything a pull, a schedule or a query needs to know."""

    db: Path = DEFAULT_DB  # the warehouse file (unless `lake` is given)
    lake: str | None = None  # a DuckLake address "ducklake:postgres:..." (given as db)
    data_path: str | None = None  # a lake's Parquet files: a folder or s3://bucket/prefix/
    sources: tuple[SourceConfig, ...] = ()  # what to pull, one config per source
    filters: tuple[str, ...] = ()
    full: bool = False
    system: bool = True  # also mirror SYSTEM metrics (hardware monitors)
    workers: int = 4
    timeout: float = 60.0
    retries: int = 5
    backoff: float = 0.5
    apply_views: bool = True
    serving: Path | None = None  # serving copy path; None = no serving copy
    media: MediaMode = "list"  # none | list | download
    media_max_bytes: int | None = DEFAULT_MEDIA_MAX_BYTES  # per file (None: no bound)
    media_max_total_bytes: int | None = DEFAULT_MEDIA_MAX_TOTAL  # per pull (None: no bound)
    jobs: tuple[JobConfig, ...] = ()
    maintenance: MaintenanceConfig | None = None  # lake maintenance by the scheduler
    config_file: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.workers < 1 or self.workers > 64:
            raise ConfigError(f"workers must be between 1 and 64, got {self.workers}")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be positive, got {self.timeout}")
        if self.retries < 0:
            raise ConfigError(f"retries must be >= 0, got {self.retries}")
        if self.media not in MEDIA_MODES:
            raise ConfigError(f"media must be one of {', '.join(MEDIA_MODES)}, got {self.media!r}")

    @property
    def warehouse(self) -> Path | str:
        """Where the warehouse is: a file path, or a lake's address."""
        return self.lake if self.lake is not None else self.db

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def secrets(self) -> list[str]:
        """Every secret the settings hold (flag-given API keys), for redaction."""
        found: list[str] = []
        for config in (*self.sources, *(c for job in self.jobs for c in job.sources)):
            for value in vars(config).values():
                if isinstance(value, Secret) and value:
                    found.append(value.reveal())
        return found

    def source_options(self) -> SourceOptions:
        """What every source is built with besides its own config."""
        return SourceOptions(
            timeout=self.timeout, retries=self.retries, backoff=self.backoff, env=self.env
        )


# Top-level keys of the file besides the [sources.*] sections.
_GENERAL_KEYS = frozenset(
    {
        "db",
        "data_path",
        "filters",
        "full",
        "system",
        "workers",
        "timeout",
        "retries",
        "backoff",
        "apply_views",
        "serving",
        "media",
        "media_max_bytes",
        "media_max_total_bytes",
        "jobs",
        "maintenance",
        "sources",
    }
)
_JOB_KEYS = frozenset({"name", "filters", "every", "cron", "full", "sources"})
_SECRET_FIX = "keep the key out of files; use the environment or the tracker's login command"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(f"config file {str(path)!r} not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {e}") from e
    except OSError as e:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {e.strerror}") from e


def _strs(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{what} must be a list of strings")


class _Sources:
    """Raw per-tracker sections, merged from the file, the environment and the flags, then
    parsed by each plugin into source configs."""

    def __init__(self) -> None:
        from swansync.sources.registry import plugins

        self.plugins = {p.section: p for p in plugins()}
        self.values: dict[str, dict[str, Any]] = {name: {} for name in self.plugins}

    def from_file(self, table: Mapping[str, Any], base: Path, where: str) -> None:
        """``[sources.*]`` tables of the file (``where`` names them in messages)."""
        for name, section in table.items():
            plugin = self.plugins.get(name)
            if plugin is None:
                known = ", ".join(sorted(self.plugins))
                raise ConfigError(f"{where}: unknown source [sources.{name}] (known: {known})")
            if not isinstance(section, dict):
                raise ConfigError(f"{where}: sources.{name} must be a table")
            secret = sorted(set(section) & plugin.secret_keys)
            if secret:
                raise ConfigError(f"{where}: sources.{name} holds {secret[0]}: {_SECRET_FIX}")
            unknown = sorted(set(section) - plugin.keys)
            if unknown:
                raise ConfigError(
                    f"{where}: sources.{name}: unknown setting(s) {', '.join(unknown)} "
                    f"(known: {', '.join(sorted(plugin.keys))})"
                )
            for key, value in section.items():
                if key in plugin.path_keys:
                    value = tuple(str(base / v) for v in _strs(value, f"sources.{name}.{key}"))
                self.values[name][key] = value

    def legacy(self, table: Mapping[str, Any], where: str) -> dict[str, dict[str, Any]]:
        """Keys of older releases (top-level ``projects = [...]``) as section tables."""
        out: dict[str, dict[str, Any]] = {}
        for key, value in table.items():
            for plugin in self.plugins.values():
                if key in plugin.legacy_keys:
                    log.warning(
                        "%s: '%s' is deprecated here; write it under [sources.%s]",
                        where,
                        key,
                        plugin.section,
                    )
                    out.setdefault(plugin.section, {})[key] = value
                    break
        return out

    def from_env(self, env: Mapping[str, str]) -> None:
        for plugin in self.plugins.values():
            for var, key in plugin.env.items():
                if env.get(var):
                    self.values[plugin.section][key] = env[var]

    def flag_names(self) -> set[str]:
        return {flag for p in self.plugins.values() for flag in p.flags}

    def from_flags(self, flags: Mapping[str, Any]) -> None:
        """Flags that name targets replace every file target, of every tracker."""
        from swansync.sources.registry import FROM_FLAGS

        given = {k: v for k, v in flags.items() if v is not None and v != () and v != []}
        if any(
            p.flags[flag] in p.target_keys
            for p in self.plugins.values()
            for flag in given
            if flag in p.flags
        ):
            for p in self.plugins.values():
                for key in p.target_keys:
                    self.values[p.section].pop(key, None)
        for p in self.plugins.values():
            for flag, key in p.flags.items():
                if flag in given:
                    value = given[flag]
                    self.values[p.section][key] = (
                        tuple(str(v) for v in value) if isinstance(value, list | tuple) else value
                    )
            flagged = tuple(key for flag, key in p.flags.items() if flag in given)
            if flagged:  # a plugin's checks of the user's own word (Section.from_flags)
                self.values[p.section][FROM_FLAGS] = flagged

    def configs(self, values: Mapping[str, Mapping[str, Any]] | None = None) -> list[SourceConfig]:
        values = self.values if values is None else values
        out: list[SourceConfig] = []
        for name, plugin in self.plugins.items():
            if values.get(name):
                out += plugin.parse(values[name])
        return out

    def for_job(self, job_sections: Mapping[str, Mapping[str, Any]]) -> list[SourceConfig]:
        """A job's sources: the top-level sections without their targets, then the job's."""
        from swansync.sources.registry import FROM_FLAGS

        merged: dict[str, dict[str, Any]] = {}
        for name, plugin in self.plugins.items():
            base = {
                k: v
                for k, v in self.values[name].items()
                if k not in plugin.target_keys and k != FROM_FLAGS  # flags were for the pull's
            }
            merged[name] = {**base, **job_sections.get(name, {})}
            if not any(k in plugin.target_keys for k in merged[name]):
                merged[name] = {}
        return self.configs(merged)


def _general(data: Mapping[str, Any], base: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "filters":
            out[key] = _strs(value, key)
        elif key == "db" and isinstance(value, str) and is_lake_uri(value):
            out["lake"] = value
        elif key == "data_path":
            if not isinstance(value, str):
                raise ConfigError("data_path must be a folder or s3://bucket/prefix/ string")
            out[key] = value if "://" in value else str(base / value)
        elif key in {"db", "serving"}:
            if not isinstance(value, str):
                raise ConfigError(f"{key} must be a path string")
            out[key] = (base / value) if value else None
        elif key in {"workers", "retries"}:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{key} must be an integer")
            out[key] = value
        elif key in {"timeout", "backoff"}:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"{key} must be a number")
            out[key] = float(value)
        elif key in {"full", "system", "apply_views"}:
            if not isinstance(value, bool):
                raise ConfigError(f"{key} must be true or false")
            out[key] = value
        elif key == "media":
            out[key] = value
        elif key in {"media_max_bytes", "media_max_total_bytes"}:
            out[key] = parse_size(value, key)
        elif key == "maintenance":
            out[key] = _maintenance(value)
    return out


def _job(raw: Any, index: int, base: Path, sources: _Sources) -> JobConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"jobs[{index}] must be a table")
    name = str(raw.get("name", f"job{index + 1}"))
    where = f"job {name!r}"
    legacy = {k: v for k, v in raw.items() if k not in _JOB_KEYS}
    sections = sources.legacy(legacy, where)
    unknown = sorted(set(legacy) - {k for s in sections.values() for k in s})
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}")
    table = raw.get("sources", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: sources must be a table, e.g. sources.swanlab.projects")
    # Check the job's own sections like the file's (names, keys, no secrets, paths resolved).
    own = _Sources()
    own.from_file({**sections, **table}, base, where)
    every = raw.get("every")
    if every is not None and not isinstance(every, str):
        raise ConfigError(f'{where}: every must be a string like "15m"')
    cron = raw.get("cron")
    if cron is not None and not isinstance(cron, str):
        raise ConfigError(f'{where}: cron must be a string like "*/10 * * * *"')
    return JobConfig(
        name=name,
        sources=tuple(sources.for_job({k: v for k, v in own.values.items() if v})),
        filters=_strs(raw.get("filters", []), f"{where}: filters"),
        every=parse_every(every) if every is not None else None,
        cron=cron,
        full=bool(raw.get("full", False)),
    )


def _from_file(path: Path, sources: _Sources) -> tuple[dict[str, Any], Any]:
    """The file's general settings (its sections go into ``sources``) and its raw jobs."""
    data = _read_toml(path)
    where = f"config file {str(path)!r}"
    if "api_key" in data:
        raise ConfigError(f"{where} holds api_key: {_SECRET_FIX}")
    legacy = {k: v for k, v in data.items() if k not in _GENERAL_KEYS}
    sections = sources.legacy(legacy, where)
    unknown = sorted(set(legacy) - {k for s in sections.values() for k in s})
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}")
    table = data.get("sources", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: sources must be tables like [sources.swanlab]")
    base = path.parent
    sources.from_file({**sections, **table}, base, where)
    return _general(data, base), data.get("jobs")


def is_lake_uri(value: str) -> bool:
    """A DuckLake address (``ducklake:...``) rather than a warehouse file."""
    return value.startswith("ducklake:")


def _set_db(values: dict[str, Any], value: str) -> None:
    """``db`` from a flag or the environment: a warehouse file, or a lake's address (which
    replaces a file named before it, and the other way round)."""
    if is_lake_uri(value):
        values["lake"] = value
    else:
        values["db"] = Path(value)
        values["lake"] = None


def load_settings(
    *,
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    **flags: Any,
) -> Settings:
    """Build :class:`Settings` from flags (keyword arguments; ``None``/empty = not given), the
    environment and the TOML file (``config_file`` > ``$SWANSYNC_CONFIG`` > ``./swansync.toml``
    when it exists). Flags are the general settings (``db``, ``full``, ``workers``, ...) and
    each tracker's own (``projects``, ``logdirs``, ``api_key``, ... for SwanLab)."""
    env = dict(os.environ if env is None else env)
    path = config_file
    if path is None and env.get("SWANSYNC_CONFIG"):
        path = Path(env["SWANSYNC_CONFIG"])
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    sources = _Sources()
    values: dict[str, Any] = {}
    raw_jobs: Any = None
    if path is not None:
        general_values, raw_jobs = _from_file(path, sources)
        values.update(general_values)
        values["config_file"] = path
    if env.get("SWANSYNC_DB"):
        _set_db(values, env["SWANSYNC_DB"])
    if env.get("SWANSYNC_DATA_PATH"):
        values["data_path"] = env["SWANSYNC_DATA_PATH"]
    sources.from_env(env)
    general = {f.name for f in fields(Settings)} - {
        "sources",
        "jobs",
        "maintenance",
        "env",
        "config_file",
        "lake",
    }
    source_flags = sources.flag_names()
    for key in flags:
        if key not in general and key not in source_flags:
            raise TypeError(f"unknown setting {key}")
    sources.from_flags({k: v for k, v in flags.items() if k in source_flags})
    for key, value in flags.items():
        if key not in general or value is None or (isinstance(value, tuple | list) and not value):
            continue
        if key == "db" and isinstance(value, str | Path):
            _set_db(values, str(value))
            continue
        if key == "serving" and isinstance(value, str):
            value = Path(value)
        if key in {"media_max_bytes", "media_max_total_bytes"}:
            value = parse_size(value, "--" + key.replace("_", "-"))
        if isinstance(value, list):
            value = tuple(value)
        values[key] = value
    if path is not None and raw_jobs is not None:
        if not isinstance(raw_jobs, list):
            raise ConfigError("jobs must be an array of tables ([[jobs]])")
        values["jobs"] = tuple(_job(j, i, path.parent, sources) for i, j in enumerate(raw_jobs))
    values["sources"] = tuple(sources.configs())
    values["env"] = env
    return Settings(**values)


def merged_targets(settings: Settings, job: JobConfig) -> Settings:
    """Settings for one scheduled job: the job's targets replace the top-level ones."""
    return replace(settings, sources=job.sources, filters=job.filters, full=job.full)


def describe_targets(sources: Sequence[SourceConfig]) -> list[str]:
    """Human-readable target list, e.g. ``["team/proj", "workspace:team", "logdir:/x"]``."""
    return [t for config in sources for t in config.targets]
