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

from swansync.config.jobs import JobConfig, MaintenanceConfig, parse_every
from swansync.config.load import load_settings
from swansync.config.settings import DEFAULT_DB, Settings, describe_targets, merged_targets
from swansync.secret import Secret

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
