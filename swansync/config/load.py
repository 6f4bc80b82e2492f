"""``load_settings``: flags > environment > TOML file > defaults, into one :class:`Settings`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from swansync.config.file import is_lake_uri, parse_job, read_file
from swansync.config.sections import SourceSections
from swansync.config.settings import Settings
from swansync.errors import ConfigError
from swansync.sizes import parse_size

DEFAULT_CONFIG = Path("swansync.toml")


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
    sources = SourceSections()
    values: dict[str, Any] = {}
    raw_jobs: Any = None
    if path is not None:
        general_values, raw_jobs = read_file(path, sources)
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
        values["jobs"] = tuple(
            parse_job(j, i, path.parent, sources) for i, j in enumerate(raw_jobs)
        )
    values["sources"] = tuple(sources.configs())
    values["env"] = env
    return Settings(**values)
