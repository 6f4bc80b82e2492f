"""Settings for tests: a pull from a simulator or from local folders, in one call."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from swansync.config import Secret, Settings
from swansync.sources.base import SourceConfig
from swansync.sources.swanlab.plugin import SwanLabCloud, SwanLabDashboard, SwanLabLogDir


def cloud(sim: Any, *, projects: Iterable[str] | None = None, **kw: Any) -> SwanLabCloud:
    """The SwanLab source config of a running simulator (``source`` = "sim" unless given)."""
    kw.setdefault("source_name", "sim")
    kw.setdefault("api_key", Secret(sim.api_key))
    return SwanLabCloud(
        projects=tuple(sim.world.projects() if projects is None else projects), host=sim.url, **kw
    )


def sim_settings(
    sim: Any, db: Path, *, projects: Iterable[str] | None = None, **kw: Any
) -> Settings:
    """Settings pulling ``projects`` (default: every project) of a simulator into ``db``, with
    views off and a tiny backoff (tests must not wait on retries)."""
    cloud_kw = {k: kw.pop(k) for k in ("workspaces", "source_name") if k in kw}
    kw.setdefault("apply_views", False)
    kw.setdefault("backoff", 0.01)
    kw.setdefault("env", {})
    return Settings(db=db, sources=(cloud(sim, projects=projects, **cloud_kw),), **kw)


def local_settings(
    db: Path,
    logdirs: Iterable[Path] = (),
    dashboards: Iterable[str] = (),
    *,
    project_name: str | None = None,
    **kw: Any,
) -> Settings:
    """Settings pulling local log folders and/or offline dashboards into ``db``."""
    kw.setdefault("apply_views", False)
    kw.setdefault("env", {})
    sources: tuple[SourceConfig, ...] = (
        *(SwanLabLogDir(Path(p), project_name) for p in logdirs),
        *(SwanLabDashboard(u) for u in dashboards),
    )
    return Settings(db=db, sources=sources, **kw)
