"""The offline dashboard's read surface: which paths may be requested, and a parsed ``/tag``
(metric series) answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from swansync.errors import FatalApiError
from swansync.sources.swanlab.local import Summary

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

    def summary(self) -> Summary | None:
        """The last point returned and the answer's true ``min``/``max`` with the first returned
        step holding each (None when sampling dropped it); None for an empty series."""
        if not self.steps:
            return None
        return Summary(
            self.steps[-1],
            self.values[-1],
            self.min_value,
            self._step_of(self.min_value),
            self.max_value,
            self._step_of(self.max_value),
            {"sum": self.total, "returned": len(self.steps)},
        )

    def _step_of(self, value: float | None) -> int | None:
        if value is None:
            return None
        for step, v in zip(self.steps, self.values, strict=True):
            if v == value:
                return step
        return None
