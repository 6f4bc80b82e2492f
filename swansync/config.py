"""Settings: resolved once at the edge (flags > environment > TOML file > defaults) and passed down.

The API key is never read from the TOML file and never stored: it comes from ``--api-key``,
``SWANLAB_API_KEY`` or the file ``swanlab login`` writes (resolved by the SwanLab source, which
knows that file's rules). It travels wrapped in :class:`Secret` so it cannot leak through a repr.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from swansync.errors import ConfigError

DEFAULT_DB = Path("swansync.duckdb")
DEFAULT_CONFIG = Path("swansync.toml")


class Secret:
    """A string that does not show itself: ``repr``/``str`` print ``***``; ``reveal()`` gives it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(value: str) -> int:
    """``"15m"`` -> 900 seconds. Units s, m, h, d."""
    m = _EVERY.match(value)
    if not m or int(m.group(1)) <= 0:
        raise ConfigError(f"invalid interval {value!r}: use a number and a unit, like 30s, 15m, 2h")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


@dataclass(frozen=True)
class JobConfig:
    """One scheduled pull (a ``[[jobs]]`` table of the config file)."""

    name: str
    projects: tuple[str, ...] = ()
    workspaces: tuple[str, ...] = ()
    logdirs: tuple[Path, ...] = ()
    dashboards: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    every: int | None = None  # seconds
    cron: str | None = None
    full: bool = False

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ConfigError(
                f'job {self.name!r}: give exactly one of every = "15m" or cron = "..."'
            )
        if not (self.projects or self.workspaces or self.logdirs or self.dashboards):
            raise ConfigError(f"job {self.name!r}: name at least one project, workspace or logdir")


@dataclass(frozen=True)
class Settings:
    """Everything a pull, a schedule or a query needs to know."""

    db: Path = DEFAULT_DB
    # SwanLab OpenAPI: explicit values only; the source resolves env vars and the netrc file.
    host: str | None = None  # from --host
    config_host: str | None = None  # from the TOML file
    api_key: Secret | None = None  # from --api-key
    source_name: str | None = None  # warehouse `source` value; default host[:port]
    # What to pull.
    projects: tuple[str, ...] = ()
    workspaces: tuple[str, ...] = ()
    logdirs: tuple[Path, ...] = ()
    project_name: str | None = None  # for --logdir
    dashboards: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    full: bool = False
    system: bool = True
    # How.
    workers: int = 4
    timeout: float = 60.0
    retries: int = 5
    backoff: float = 0.5
    apply_views: bool = True
    serving: Path | None = None  # serving copy path; None = no serving copy
    jobs: tuple[JobConfig, ...] = ()
    config_file: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.workers < 1 or self.workers > 64:
            raise ConfigError(f"workers must be between 1 and 64, got {self.workers}")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be positive, got {self.timeout}")
        if self.retries < 0:
            raise ConfigError(f"retries must be >= 0, got {self.retries}")
        for p in self.projects:
            if p.strip("/@").count("/") != 1 or "" in p.strip("/@").split("/"):
                raise ConfigError(f"project {p!r} must look like WORKSPACE/PROJECT")

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_TOML_KEYS = {
    "db",
    "host",
    "source_name",
    "projects",
    "workspaces",
    "logdirs",
    "project_name",
    "dashboards",
    "filters",
    "full",
    "system",
    "workers",
    "timeout",
    "retries",
    "backoff",
    "apply_views",
    "serving",
    "jobs",
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(f"config file {str(path)!r} not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {e}") from e
    except OSError as e:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {e.strerror}") from e
    if "api_key" in data:
        raise ConfigError(
            f"config file {str(path)!r} holds api_key: keep the key out of files; "
            "use SWANLAB_API_KEY or `swanlab login`"
        )
    unknown = sorted(set(data) - _TOML_KEYS)
    if unknown:
        raise ConfigError(f"config file {str(path)!r}: unknown setting(s) {', '.join(unknown)}")
    return data


def _strs(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{what} must be a list of strings")


def _job(raw: Any, index: int, base: Path) -> JobConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"jobs[{index}] must be a table")
    name = raw.get("name", f"job{index + 1}")
    allowed = {
        "name",
        "projects",
        "workspaces",
        "logdirs",
        "dashboards",
        "filters",
        "every",
        "cron",
        "full",
    }
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"job {name!r}: unknown setting(s) {', '.join(unknown)}")
    every = raw.get("every")
    if every is not None and not isinstance(every, str):
        raise ConfigError(f'job {name!r}: every must be a string like "15m"')
    cron = raw.get("cron")
    if cron is not None and not isinstance(cron, str):
        raise ConfigError(f'job {name!r}: cron must be a string like "*/10 * * * *"')
    return JobConfig(
        name=str(name),
        projects=_strs(raw.get("projects", []), f"job {name!r}: projects"),
        workspaces=_strs(raw.get("workspaces", []), f"job {name!r}: workspaces"),
        logdirs=tuple(base / p for p in _strs(raw.get("logdirs", []), f"job {name!r}: logdirs")),
        dashboards=_strs(raw.get("dashboards", []), f"job {name!r}: dashboards"),
        filters=_strs(raw.get("filters", []), f"job {name!r}: filters"),
        every=parse_every(every) if every is not None else None,
        cron=cron,
        full=bool(raw.get("full", False)),
    )


def _from_toml(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    base = path.parent
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in {"projects", "workspaces", "dashboards", "filters"}:
            out[key] = _strs(value, key)
        elif key == "logdirs":
            out[key] = tuple(base / p for p in _strs(value, key))
        elif key in {"db", "serving"}:
            if not isinstance(value, str):
                raise ConfigError(f"{key} must be a path string")
            out[key] = (base / value) if value else None
        elif key == "host":
            if not isinstance(value, str):
                raise ConfigError("host must be a string")
            out["config_host"] = value
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
        elif key == "jobs":
            if not isinstance(value, list):
                raise ConfigError("jobs must be an array of tables ([[jobs]])")
            out[key] = tuple(_job(j, i, base) for i, j in enumerate(value))
        elif key in {"source_name", "project_name"}:
            if not isinstance(value, str):
                raise ConfigError(f"{key} must be a string")
            out[key] = value or None
    return out


def load_settings(
    *,
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    **flags: Any,
) -> Settings:
    """Build :class:`Settings` from flags (keyword arguments; ``None``/empty = not given), the
    environment and the TOML file (``config_file`` > ``$SWANSYNC_CONFIG`` > ``./swansync.toml``
    when it exists)."""
    env = dict(os.environ if env is None else env)
    path = config_file
    if path is None and env.get("SWANSYNC_CONFIG"):
        path = Path(env["SWANSYNC_CONFIG"])
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    values: dict[str, Any] = {}
    if path is not None:
        values.update(_from_toml(_read_toml(path), path))
        values["config_file"] = path
    if env.get("SWANSYNC_DB"):
        values["db"] = Path(env["SWANSYNC_DB"])
    if env.get("SWANSYNC_SOURCE_NAME"):
        values["source_name"] = env["SWANSYNC_SOURCE_NAME"]
    known = {f.name for f in fields(Settings)}
    for key, value in flags.items():
        if key not in known:
            raise TypeError(f"unknown setting {key}")
        if value is None or (isinstance(value, tuple | list) and not value):
            continue
        if key == "api_key" and isinstance(value, str):
            value = Secret(value)
        if key in {"db", "serving"} and isinstance(value, str):
            value = Path(value)
        if key == "logdirs":
            value = tuple(Path(v) for v in value)
        if isinstance(value, list):
            value = tuple(value)
        values[key] = value
    values["env"] = env
    return Settings(**values)


def merged_targets(settings: Settings, job: JobConfig) -> Settings:
    """Settings for one scheduled job: the job's targets replace the top-level ones."""
    return replace(
        settings,
        projects=job.projects,
        workspaces=job.workspaces,
        logdirs=job.logdirs,
        dashboards=job.dashboards,
        filters=job.filters,
        full=job.full,
    )


def describe_targets(settings: Settings) -> list[str]:
    """Human-readable target list, e.g. ``["team/proj", "workspace:team", "logdir:/x"]``."""
    out: list[str] = list(settings.projects)
    out += [f"workspace:{w}" for w in settings.workspaces]
    out += [f"logdir:{p}" for p in settings.logdirs]
    out += [f"dashboard:{u}" for u in settings.dashboards]
    return out
