"""SwanLab's settings: the ``[sources.swanlab]`` section, its flags, and the three kinds of
SwanLab source it configures (the cloud or a self-hosted server, local log folders, offline
dashboards). Light on purpose: the sources themselves are imported only by ``build``.
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
class SwanLabCloud:
    """The SwanLab OpenAPI (cloud or self-hosted) and the projects/workspaces to mirror.

    Host precedence: ``host`` (the ``--host`` flag) > ``SWANLAB_API_HOST`` > ``config_host``
    (the config file) > the host of ``swanlab login`` > the cloud. Key: ``api_key`` (the
    ``--api-key`` flag) > ``SWANLAB_API_KEY`` > the ``swanlab login`` file.
    """

    projects: tuple[str, ...] = ()
    workspaces: tuple[str, ...] = ()
    host: str | None = None
    config_host: str | None = None
    api_key: Secret | None = field(default=None, repr=False)
    source_name: str | None = None  # the warehouse `source` value; default host[:port]

    def __post_init__(self) -> None:
        for p in self.projects:
            parts = p.strip("/@").split("/")
            if len(parts) != 2 or "" in parts:
                raise ConfigError(f"project {p!r} must look like WORKSPACE/PROJECT")

    @property
    def targets(self) -> tuple[str, ...]:
        return (*self.projects, *(f"workspace:{w}" for w in self.workspaces))

    def build(self, options: SourceOptions) -> Source:
        from swansync.sources.swanlab.cloud.credentials import resolve_credentials
        from swansync.sources.swanlab.cloud.source import SwanLabSource

        creds = resolve_credentials(
            self.api_key.reveal() if self.api_key else None,
            self.host,
            env=options.env,
            cwd=options.cwd,
            home=options.home,
            config_host=self.config_host,
        )
        return SwanLabSource(
            creds.api_host,
            creds.api_key,
            web_host=creds.web_host,
            name=self.source_name,
            projects=self.projects,
            workspaces=self.workspaces,
            timeout=options.timeout,
            retries=options.retries,
            backoff=options.backoff,
        )


@dataclass(frozen=True)
class SwanLabLogDir:
    """One SwanLab local log folder, read directly from disk."""

    path: Path
    project_name: str | None = None  # replaces the project: "team/proj", or "proj" -> local/proj

    def __post_init__(self) -> None:
        name = self.project_name
        if name is not None and (
            not name.strip() or name.count("/") > 1 or "" in name.split("/") or name != name.strip()
        ):
            raise ConfigError(
                f"--project-name {name!r} must look like NAME or WORKSPACE/NAME (one '/' at most)"
            )

    @property
    def targets(self) -> tuple[str, ...]:
        return (f"logdir:{self.path}",)

    def build(self, options: SourceOptions) -> Source:
        from swansync.sources.swanlab.logdir import LogDirSource

        return LogDirSource(self.path, project_name=self.project_name)


@dataclass(frozen=True)
class SwanLabDashboard:
    """One running offline dashboard (``swanlab watch``), read over HTTP."""

    url: str

    @property
    def targets(self) -> tuple[str, ...]:
        return (f"dashboard:{self.url}",)

    def build(self, options: SourceOptions) -> Source:
        from swansync.sources.swanlab.dashboard import DashboardSource

        return DashboardSource(
            self.url, timeout=options.timeout, retries=options.retries, backoff=options.backoff
        )


def parse(values: Mapping[str, Any]) -> list[SourceConfig]:
    """The sources a merged ``[sources.swanlab]`` section names (none when it names no target)."""
    section = Section("sources.swanlab", values)
    out: list[SourceConfig] = []
    projects, workspaces = section.strs("projects"), section.strs("workspaces")
    if projects or workspaces:
        key = values.get("api_key")
        if key is not None and not isinstance(key, Secret):
            key = Secret(str(key))
        out.append(
            SwanLabCloud(
                projects=projects,
                workspaces=workspaces,
                host=section.opt_str("cli_host"),
                config_host=section.opt_str("host"),
                api_key=key,
                source_name=section.opt_str("source_name"),
            )
        )
    elif (
        section.from_flags("source_name")
        and section.opt_str("source_name")
        and (section.strs("logdirs") or section.strs("dashboards"))
    ):
        # Local folders and dashboards are named logdir:<path> / dashboard:<host:port> (one
        # name for several would mix their runs): refused, not silently ignored.
        raise ConfigError(
            "--source-name names a SwanLab server's runs; --logdir and --dashboard sources are "
            "named logdir:<path> and dashboard:<host:port>"
        )
    project_name = section.opt_str("project_name")
    for path in section.strs("logdirs"):
        out.append(SwanLabLogDir(Path(path), project_name))
    out += [SwanLabDashboard(url) for url in section.strs("dashboards")]
    return out


PLUGIN = SourcePlugin(
    section="swanlab",
    title="SwanLab",
    keys=frozenset(
        {"host", "source_name", "projects", "workspaces", "logdirs", "project_name", "dashboards"}
    ),
    target_keys=frozenset({"projects", "workspaces", "logdirs", "dashboards"}),
    parse=parse,
    flags={
        "projects": "projects",
        "workspaces": "workspaces",
        "logdirs": "logdirs",
        "project_name": "project_name",
        "dashboards": "dashboards",
        "host": "cli_host",  # the flag outranks SWANLAB_API_HOST; the file's host does not
        "api_key": "api_key",
        "source_name": "source_name",
    },
    secret_keys=frozenset({"api_key"}),
    path_keys=frozenset({"logdirs"}),
    env={"SWANSYNC_SOURCE_NAME": "source_name"},
    legacy_keys=frozenset(
        {"host", "source_name", "projects", "workspaces", "logdirs", "project_name", "dashboards"}
    ),
)
