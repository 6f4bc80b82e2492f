"""Media items in W&B history values, shared by the cloud and the offline source.

A logged media object is a history value with ``_type``; the ones backed by a file name it by
``path`` (relative to the run's ``files/`` folder, which is also the name of the run's file in
the cloud) with the ``sha256`` and ``size`` the SDK recorded:

* one item: ``{"_type": "image-file", "path": "media/images/x_3_ab12.png", "sha256", "size",
  "caption"?, ...}`` (also ``audio-file``, ``video-file``, ``html-file``, ``table-file``,
  ``object3D-file``, ``molecule-file``, ``plotly-file``, ...);
* a list of images: ``{"_type": "images/separated", "filenames": [...], "captions": [...]}``
  (no digest per file);
* other lists (audio, videos, ...): an object whose list values hold file objects (with
  ``captions`` beside them when the SDK wrote any).

Items are numbered ``idx`` 0, 1, ... in that order. Objects without a file (``histogram``,
plain strings and numbers) are not media items: their values stay in history only.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

# W&B ``_type`` -> contract kind (lower-case, see sources.base.MEDIA_KINDS).
KINDS: Mapping[str, str] = {
    "image-file": "image",
    "audio-file": "audio",
    "video-file": "video",
    "html-file": "html",
    "table-file": "table",
    "joined-table": "table",
    "partitioned-table": "table",
    "object3D-file": "object3d",
    "molecule-file": "molecule",
    "plotly-file": "other",
    "bokeh-file": "other",
    "graph-file": "other",
}
_EXTRA_TYPES = {".json": "application/json", ".glb": "model/gltf-binary", ".pdb": "chemical/x-pdb"}


@dataclass(frozen=True)
class Item:
    """One media item of a history value."""

    idx: int
    kind: str
    path: str  # relative to the run's files (``media/images/...``)
    caption: str | None
    sha256: str | None
    size: int | None


def _kind(type_name: str, path: str) -> str:
    kind = KINDS.get(type_name)
    if kind is not None:
        return kind
    suffix = PurePosixPath(path).suffix.lower()
    guessed = mimetypes.guess_type(f"x{suffix}")[0] or ""
    for prefix, k in (("image/", "image"), ("audio/", "audio"), ("video/", "video")):
        if guessed.startswith(prefix):
            return k
    return "other"


def content_type(path: str) -> str | None:
    """A Content-Type for a media file name (None when its suffix says nothing)."""
    suffix = PurePosixPath(path).suffix.lower()
    return _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _size(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


def _safe_path(value: Any) -> str | None:
    """A relative file path without ``..`` (anything else is not ours to open)."""
    if not isinstance(value, str) or not value or "\x00" in value:
        return None
    p = PurePosixPath(value)
    if p.is_absolute() or ".." in p.parts:
        return None
    return p.as_posix()


def _file(obj: Mapping[str, Any], idx: int, caption: Any = None) -> Item | None:
    path = _safe_path(obj.get("path"))
    type_name = obj.get("_type")
    if path is None or not isinstance(type_name, str):
        return None
    sha = obj.get("sha256")
    return Item(
        idx,
        _kind(type_name, path),
        path,
        _text(obj.get("caption")) or _text(caption),
        sha.lower() if isinstance(sha, str) and len(sha) == 64 else None,
        _size(obj.get("size")),
    )


def items(value: Any) -> Iterator[Item]:
    """The file-backed media items of one history value (none for other values)."""
    if not isinstance(value, Mapping) or not isinstance(value.get("_type"), str):
        return
    one = _file(value, 0)
    if one is not None:
        yield one
        return
    captions = value.get("captions")
    caps = captions if isinstance(captions, list) else []
    if value["_type"] == "images/separated":
        names = value.get("filenames")
        for i, name in enumerate(names if isinstance(names, list) else []):
            path = _safe_path(name)
            if path is not None:
                cap = caps[i] if i < len(caps) else None
                yield Item(i, "image", path, _text(cap), None, None)
        return
    idx = 0
    for field in value.values():
        if not isinstance(field, list):
            continue
        for i, obj in enumerate(field):
            if isinstance(obj, Mapping):
                item = _file(obj, idx, caps[i] if i < len(caps) else None)
                if item is not None:
                    yield item
                    idx += 1


def has_items(value: Any) -> bool:
    return next(items(value), None) is not None
