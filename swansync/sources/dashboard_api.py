"""The offline dashboard's read surface: which paths may be requested, and a parsed ``/tag``
(metric series) answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from swansync.errors import FatalApiError

API = "/api/v1"
_READ_ROUTES: tuple[re.Pattern[str], ...] = (
    re.compile(r"/project"),
    re.compile(r"/experiment/\d+"),
    re.compile(r"/experiment/\d+/(?:chart|status|summary|recent_log)"),
    re.compile(r"/experiment/\d+/tag/[^/?#]+"),  # the key as ONE percent-encoded segment
)


def guard_path(path: str) -> str:
    """``path`` if it is one of the dashboard's read endpoints, else FatalApiError (never sent)."""
    if not any(p.fullmatch(path) for p in _READ_ROUTES):
        raise FatalApiError(f"refusing to request {path!r}: not a read-only dashboard endpoint")
    return path


@dataclass(frozen=True)
class Tag:
    """One ``/tag`` answer, parsed."""

    steps: list[int]
    values: list[float | None]
    ts_ms: list[int | None]
    total: int | None  # ``sum``: the true number of points
    min_value: float | None
    max_value: float | None

    @property
    def complete(self) -> bool:
        return self.total is not None and len(self.steps) >= self.total


def step_of(tag: Tag, value: float | None) -> int | None:
    if value is None:
        return None
    for step, v in zip(tag.steps, tag.values, strict=True):
        if v == value:
            return step
    return None
