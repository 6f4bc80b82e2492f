"""A run's media from the dashboard's ``/experiment/<id>/tag/<key>`` answers (pure parsing).

For a media key the answer's ``list`` holds one point per step: ``{"index": step, "data":
[item, ...], "more": [{"caption": ...} | null, ...]}``, an item being a file name (image,
audio) or the text itself. A file is served by ``GET /api/v1/media/<name>?tag=<key>&
experiment_id=<id>`` (from ``media/<kid>/`` of the run folder). Like scalar series, the list
is sampled down to 1,499 points above 1,500 (``sum`` says how many there are), with no paging:
a longer media series cannot be read whole from the dashboard.

Each item's ``ref`` is ``inline:<text>`` for a text (nothing to fetch) or the JSON
``[experiment id, key, file name]`` the media route needs; sizes and digests of files are
left to the download.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from swansync.sources.base import MediaRecord
from swansync.sources.swanlab.local import (
    TEXT_CONTENT_TYPE,
    caption_of,
    content_type,
    plain_name,
)

INLINE = "inline:"


def file_ref(exp_id: str, key: str, name: str) -> str:
    return json.dumps([exp_id, key, name], ensure_ascii=False)


def parse_file_ref(ref: str) -> tuple[str, str, str] | None:
    """``(experiment id, key, file name)`` of a :func:`file_ref` (None for anything else)."""
    try:
        value = json.loads(ref)
    except ValueError:
        return None
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value):
        exp_id, key, name = value
        if exp_id.isdigit() and plain_name(name) is not None:
            return exp_id, key, name
    return None


def media_items(
    data: Any,
    *,
    project: str,
    run_id: str,
    exp_id: str,
    key: str,
    kind: str,
    after_step: int | None,
    url_of: Any,
) -> Iterator[MediaRecord | str]:
    """The items of a ``/tag`` answer above ``after_step``, or a problem string for an item
    that names no plain file. ``url_of(name)`` is the media route's URL for a file."""
    points = data.get("list") if isinstance(data, dict) else None
    for point in points if isinstance(points, list) else []:
        step = point.get("index") if isinstance(point, dict) else None
        if isinstance(step, bool) or not isinstance(step, int):
            continue
        if after_step is not None and step <= after_step:
            continue
        values = point.get("data")
        for idx, value in enumerate(values if isinstance(values, list) else [values]):
            rec: MediaRecord = {
                "project": project,
                "run_id": run_id,
                "key": key,
                "step": step,
                "idx": idx,
                "kind": kind,
                "caption": caption_of(point.get("more"), idx),
                "url": None,
                "content_type": None,
                "sha256": None,
                "bytes": None,
                "ref": None,
            }
            if kind == "text":
                text = value if isinstance(value, str) else str(value)
                raw = text.encode("utf-8", errors="surrogatepass")
                rec["content_type"] = TEXT_CONTENT_TYPE
                rec["sha256"], rec["bytes"] = hashlib.sha256(raw).hexdigest(), len(raw)
                rec["ref"] = INLINE + text
            else:
                name = plain_name(value)
                if name is None:
                    yield f"{key} step {step}: {str(value)[:80]!r}"
                    continue
                rec["content_type"] = content_type(name)
                rec["url"] = url_of(name)
                rec["ref"] = file_ref(exp_id, key, name)
            yield rec


def total_points(data: Any) -> int | None:
    """The answer's ``sum`` (the true number of points), if it has one."""
    total = data.get("sum") if isinstance(data, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def returned_points(data: Any) -> int:
    points = data.get("list") if isinstance(data, dict) else None
    return len(points) if isinstance(points, list) else 0
