"""W&B's settings: the ``[sources.wandb]`` section, its flags, and the two kinds of W&B source it
configures (the W&B cloud or a W&B server, and folders of offline runs). Light on purpose: the
sources are imported only by ``build``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from swansync.errors import ConfigError
from swansync.secret import Secret
from swansync.sources.base import SourceConfig, SourceOptions
from swansync.sources.registry import Section, SourcePlugin

if TYPE_CHECKING:
    from swansync.sources.base import Source


@dataclass(frozen=True)
class WandbCloud:
    """The W&B API (cloud or W&B server) and the projects/entities to mirror.

    Host: ``host`` (``--wandb-host``) > ``WANDB_BASE_URL`` > ``config_host`` (the config file) >
    https://api.wandb.ai. Key: ``api_key`` (``--wandb-api-key``) > ``WANDB_API_KEY`` > the
    ``~/.netrc`` entry ``wandb login`` writes for that host.
    """

    projects: tuple[str, ...] = ()  # entity/project
    entities: tuple[str, ...] = ()  # every project of these entities
    host: str | None = None
    config_host: str | None = None
    api_key: Secret | None = field(default=None, repr=False)
    source_name: str | None = None  # the warehouse `source` value; default wandb:<host[:port]>

    def __post_init__(self) -> None:
        for p in self.projects:
            parts = p.split("/")
            if len(parts) != 2 or "" in parts:
                raise ConfigError(f"W&B project {p!r} must look like ENTITY/PROJECT")

    @property
    def targets(self) -> tuple[str, ...]:
        return (*self.projects, *(f"entity:{e}" for e in self.entities))

    def build(self, options: SourceOptions) -> Source:
        from swansync.sources.wandb.cloud.source import WandbCloudSource

        return WandbCloudSource.from_config(self, options)


@dataclass(frozen=True)
class WandbOffline:
    """A folder holding W&B run folders (``wandb/offline-run-*``, ``wandb/run-*``), read from
    disk, never modified."""

    path: Path

    @property
    def targets(self) -> tuple[str, ...]:
        return (f"wandb-dir:{self.path}",)

    def build(self, options: SourceOptions) -> Source:
        from swansync.sources.wandb.offline.source import WandbOfflineSource

        return WandbOfflineSource(self.path)


def parse(values: Mapping[str, Any]) -> list[SourceConfig]:
    """The sources a merged ``[sources.wandb]`` section names (none when it names no target)."""
    section = Section("sources.wandb", values)
    out: list[SourceConfig] = []
    projects, entities = section.strs("projects"), section.strs("entities")
    if projects or entities:
        key = values.get("api_key")
        if key is not None and not isinstance(key, Secret):
            key = Secret(str(key))
        out.append(
            WandbCloud(
                projects=projects,
                entities=entities,
                host=section.opt_str("cli_host"),
                config_host=section.opt_str("host"),
                api_key=key,
                source_name=section.opt_str("source_name"),
            )
        )
    out += [WandbOffline(Path(p)) for p in section.strs("dirs")]
    return out


PLUGIN = SourcePlugin(
    section="wandb",
    title="Weights & Biases",
    keys=frozenset({"host", "source_name", "projects", "entities", "dirs"}),
    target_keys=frozenset({"projects", "entities", "dirs"}),
    parse=parse,
    flags={
        "wandb": "projects",
        "wandb_entity": "entities",
        "wandb_dir": "dirs",
        "wandb_host": "cli_host",  # the flag outranks WANDB_BASE_URL; the file's host does not
        "wandb_api_key": "api_key",
    },
    secret_keys=frozenset({"api_key"}),
    path_keys=frozenset({"dirs"}),
)
