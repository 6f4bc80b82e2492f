"""A running offline dashboard (``swanlab watch``) read through its read-only HTTP endpoints."""

from swansync.sources.swanlab.dashboard.source import DashboardSource

__all__ = ["DashboardSource"]
