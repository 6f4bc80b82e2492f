"""Which trackers swansync can read, and how each one plugs in.

A tracker's package exports a :class:`SourcePlugin`: the name of its config section
(``[sources.<section>]`` in the TOML file, ``sources.<section>`` inside a ``[[jobs]]`` table),
the keys that section takes, which of them name targets, which ``load_settings`` keywords (the
CLI flags) fill it, and ``parse``, which turns a merged section into :class:`SourceConfig`
objects (each builds one source holding its own targets). The merged section's key
:data:`FROM_FLAGS` lists the keys the flags gave (``Section.from_flags``), for checks that concern
the user's own word only (a flag that applies to none of the targets is refused).

Adding a tracker is a new package under ``swansync/sources/`` plus one line in :data:`PLUGINS`
(and its flags in ``cli.py``). Plugins are imported lazily: reading the config imports only the
small module that declares the plugin, never an HTTP client or a file reader.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from swansync.errors import ConfigError
from swansync.sources.base import SourceConfig

# section -> module holding ``PLUGIN``; the order is the order sources are pulled in.
PLUGINS: dict[str, str] = {
    "swanlab": "swansync.sources.swanlab.plugin",
    "wandb": "swansync.sources.wandb.plugin",
}


FROM_FLAGS = "_from_flags"  # in a merged section: the keys the flags gave


@dataclass(frozen=True)
class SourcePlugin:
    """How a tracker's settings are read (see the module docstring)."""

    section: str
    title: str  # for messages: "SwanLab"
    keys: frozenset[str]  # every key its section accepts (from files and flags)
    target_keys: frozenset[str]  # keys that name what to pull; target flags replace them whole
    parse: Callable[[Mapping[str, Any]], list[SourceConfig]]
    # load_settings keyword (= CLI flag) -> section key; flags may also carry secret keys.
    flags: Mapping[str, str] = field(default_factory=dict)
    secret_keys: frozenset[str] = frozenset()  # flags/env only, refused in files
    path_keys: frozenset[str] = frozenset()  # file values resolved against the file's folder
    env: Mapping[str, str] = field(default_factory=dict)  # environment variable -> section key
    # Top-level TOML keys (and flat [[jobs]] keys) of older releases that mean this section's
    # key of the same name; accepted with a deprecation line.
    legacy_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Section:
    """A config section's values with typed getters whose errors name the section and key."""

    name: str  # "sources.swanlab", "job 'nightly': sources.swanlab"
    values: Mapping[str, Any]

    def _fail(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"{self.name}: {key} must be {what}")

    def strs(self, key: str) -> tuple[str, ...]:
        value = self.values.get(key, ())
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise self._fail(key, "a list of strings")

    def from_flags(self, key: str) -> bool:
        """Whether ``key`` was given by a flag (not the file or the environment)."""
        return key in self.values.get(FROM_FLAGS, ())

    def opt_str(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value or None


def plugins() -> list[SourcePlugin]:
    """Every registered plugin, in :data:`PLUGINS` order."""
    return [plugin(section) for section in PLUGINS]


def plugin(section: str) -> SourcePlugin:
    module = PLUGINS.get(section)
    if module is None:
        raise KeyError(section)
    found = importlib.import_module(module).PLUGIN
    if not isinstance(found, SourcePlugin) or found.section != section:
        raise TypeError(f"{module}.PLUGIN does not declare the section {section!r}")
    return found


__all__ = ["FROM_FLAGS", "PLUGINS", "Section", "SourcePlugin", "plugin", "plugins"]
