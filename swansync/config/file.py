"""The TOML config file: general settings, ``[sources.*]`` sections and raw ``[[jobs]]``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from swansync.config.jobs import JobConfig, parse_every, parse_maintenance
from swansync.config.sections import SECRET_FIX, SourceSections, strs
from swansync.errors import ConfigError
from swansync.sizes import parse_size

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


def _general(data: Mapping[str, Any], base: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "filters":
            out[key] = strs(value, key)
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
            out[key] = parse_maintenance(value)
    return out


def parse_job(raw: Any, index: int, base: Path, sources: SourceSections) -> JobConfig:
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
    own = SourceSections()
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
        filters=strs(raw.get("filters", []), f"{where}: filters"),
        every=parse_every(every) if every is not None else None,
        cron=cron,
        full=bool(raw.get("full", False)),
    )


def read_file(path: Path, sources: SourceSections) -> tuple[dict[str, Any], Any]:
    """The file's general settings (its sections go into ``sources``) and its raw jobs."""
    data = _read_toml(path)
    where = f"config file {str(path)!r}"
    if "api_key" in data:
        raise ConfigError(f"{where} holds api_key: {SECRET_FIX}")
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
