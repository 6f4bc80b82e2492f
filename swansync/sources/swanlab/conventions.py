"""SwanLab's naming and wrapping conventions, known only inside ``sources/swanlab``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from swansync.sources.base import MetricClass

SYSTEM_PREFIX = "__swanlab__"  # SwanLab's own hardware-monitor series (CPU, GPU, memory)
_WRAPPER_KEYS = frozenset({"value", "desc", "sort"})


def metric_class(key: str) -> MetricClass:
    """``SYSTEM`` for SwanLab's hardware-monitor series, ``CUSTOM`` for what the user logged."""
    return "SYSTEM" if key.startswith(SYSTEM_PREFIX) else "CUSTOM"


def unwrap_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """SwanLab stores each top-level config value as ``{"value": v, "desc": "", "sort": n}``.

    Unwrap those to ``v``; keys that are not wrapped (older SDKs, local sources) pass unchanged.
    """
    if not config:
        return {}
    out: dict[str, Any] = {}
    for key, item in config.items():
        if isinstance(item, dict) and "value" in item and set(item) <= _WRAPPER_KEYS:
            out[str(key)] = item["value"]
        else:
            out[str(key)] = item
    return out
