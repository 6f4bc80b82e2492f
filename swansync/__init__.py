"""swansync: mirror SwanLab experiment tracking into a local DuckDB warehouse, incrementally.

Library use::

    import swansync
    settings = swansync.load_settings(projects=["team/proj"], db="runs.duckdb")
    summary = swansync.pull(settings)          # what the CLI's `swansync pull` does
    print(summary.status, summary.rows)

The names below load on first use, so ``import swansync`` (and the ``swansync`` command's
``--help``) does not pay for polars, DuckDB and requests until they are needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swansync.config import JobConfig, Secret, Settings, load_settings
    from swansync.errors import (
        ApiError,
        AuthError,
        ConfigError,
        DataError,
        NotFoundError,
        SwansyncError,
        WarehouseError,
    )
    from swansync.status import warehouse_status
    from swansync.sync import Failure, PullSummary, pull
    from swansync.warehouse import Warehouse

__version__ = "0.2.0"

_WHERE = {
    "ApiError": "swansync.errors",
    "AuthError": "swansync.errors",
    "ConfigError": "swansync.errors",
    "DataError": "swansync.errors",
    "Failure": "swansync.sync",
    "JobConfig": "swansync.config",
    "NotFoundError": "swansync.errors",
    "PullSummary": "swansync.sync",
    "Secret": "swansync.config",
    "Settings": "swansync.config",
    "SwansyncError": "swansync.errors",
    "Warehouse": "swansync.warehouse",
    "WarehouseError": "swansync.errors",
    "load_settings": "swansync.config",
    "pull": "swansync.sync",
    "warehouse_status": "swansync.status",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'swansync' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "DataError",
    "Failure",
    "JobConfig",
    "NotFoundError",
    "PullSummary",
    "Secret",
    "Settings",
    "SwansyncError",
    "Warehouse",
    "WarehouseError",
    "__version__",
    "load_settings",
    "pull",
    "warehouse_status",
]
