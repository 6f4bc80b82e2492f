"""Per-tracker ``[sources.<name>]`` sections: merged from the file, the environment and the
flags, checked against each tracker plugin's declared keys, then parsed into source configs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from swansync.errors import ConfigError
from swansync.sources.base import SourceConfig

log = logging.getLogger("swansync.config")  # one logger name for the whole package

SECRET_FIX = "keep the key out of files; use the environment or the tracker's login command"


def strs(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{what} must be a list of strings")


class SourceSections:
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
                raise ConfigError(f"{where}: sources.{name} holds {secret[0]}: {SECRET_FIX}")
            unknown = sorted(set(section) - plugin.keys)
            if unknown:
                raise ConfigError(
                    f"{where}: sources.{name}: unknown setting(s) {', '.join(unknown)} "
                    f"(known: {', '.join(sorted(plugin.keys))})"
                )
            for key, value in section.items():
                if key in plugin.path_keys:
                    value = tuple(str(base / v) for v in strs(value, f"sources.{name}.{key}"))
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
