"""swansync: mirror SwanLab experiment tracking into a local DuckDB warehouse, incrementally.

Library use::

    import swansync
    settings = swansync.load_settings(projects=["team/proj"], db="runs.duckdb")
    summary = swansync.pull(settings)          # what the CLI's `swansync pull` does
    print(summary.status, summary.rows)
"""

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
