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


# How SwanLab 0.10 names media files (one file per item, ``{step:03d}-{sha256[:8]}.{ext}``): the
# extension is the only place that says the kind, since no media endpoint does. ``swanlab.Video``
# writes GIFs (``swanlab.Image`` refuses them); ``swanlab.ECharts`` writes the chart's JSON
# option; ``swanlab.Object3D`` writes ``.glb`` models and ``.swanlab.pts.json`` point clouds.
_MEDIA_SUFFIXES: dict[str, str] = {
    ".swanlab.pts.json": "object3d",
    ".pts.json": "object3d",
    ".glb": "object3d",
    ".gltf": "object3d",
    ".obj": "object3d",
    ".ply": "object3d",
    ".stl": "object3d",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".bmp": "image",
    ".webp": "image",
    ".tif": "image",
    ".tiff": "image",
    ".svg": "image",
    ".gif": "video",
    ".mp4": "video",
    ".webm": "video",
    ".mov": "video",
    ".wav": "audio",
    ".mp3": "audio",
    ".flac": "audio",
    ".ogg": "audio",
    ".m4a": "audio",
    ".txt": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".pdb": "molecule",
    ".sdf": "molecule",
    ".mol": "molecule",
    ".mol2": "molecule",
    ".xyz": "molecule",
    ".cif": "molecule",
    ".json": "echarts",
}
_LONGEST_FIRST = sorted(_MEDIA_SUFFIXES, key=len, reverse=True)


def media_kind(name: str) -> str:
    """The media kind (one of ``MEDIA_KINDS``) a SwanLab file name says; ``other`` when it says
    none (the sync may still learn it from the download's Content-Type)."""
    low = name.rsplit("/", 1)[-1].lower()  # a storage path: `?` is part of a key, not a query
    for suffix in _LONGEST_FIRST:
        if low.endswith(suffix) and len(low) > len(suffix):
            return _MEDIA_SUFFIXES[suffix]
    return "other"
