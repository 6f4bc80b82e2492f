"""The resolved settings object, and what is derived from it for one scheduled job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from swansync.config.jobs import JobConfig, MaintenanceConfig
from swansync.errors import ConfigError
from swansync.options import MEDIA_MODES, MediaMode
from swansync.secret import Secret
from swansync.sources.base import SourceConfig, SourceOptions

DEFAULT_DB = Path("swansync.duckdb")
DEFAULT_MEDIA_MAX_BYTES = 128 << 20  # 128 MiB per media file
DEFAULT_MEDIA_MAX_TOTAL = 4 << 30  # 4 GiB of media files per pull


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


def merged_targets(settings: Settings, job: JobConfig) -> Settings:
    """Settings for one scheduled job: the job's targets replace the top-level ones."""
    return replace(settings, sources=job.sources, filters=job.filters, full=job.full)


def describe_targets(sources: Sequence[SourceConfig]) -> list[str]:
    """Human-readable target list, e.g. ``["team/proj", "workspace:team", "logdir:/x"]``."""
    return [t for config in sources for t in config.targets]
