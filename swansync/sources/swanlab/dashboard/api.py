"""The offline dashboard's read surface: which paths may be requested (a strict allow-list: the
same server has data-changing routes, one of them a GET), and a parsed ``/tag`` (metric series)
answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from swansync.errors import ConfigError, FatalApiError
from swansync.sources.swanlab.local import Summary, time_ms, to_float

API = "/api/v1"
_READ_ROUTES: tuple[re.Pattern[str], ...] = (
    re.compile(r"/project"),
    re.compile(r"/experiment/\d+"),
    re.compile(r"/experiment/\d+/(?:chart|status|summary|recent_log)"),
    re.compile(r"/experiment/\d+/tag/[^/?#]+"),  # the key as ONE percent-encoded segment
)


# The media route serves ``media/<kid>/<name>`` of a run folder, the name joined unchecked:
# only file names the SDK writes (``000-6bb27953.png``, ``image-step0-<hash>.png``) are sent.
_MEDIA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")


def base_url(url: str) -> tuple[str, str]:
    """``(http://host:port[/prefix]/api/v1, host:port)`` of a dashboard URL given with or
    without its ``/api/v1``; ConfigError (exit 2) for anything that is not an http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"dashboard URL {url!r} must look like http://127.0.0.1:5092")
    path = parts.path.rstrip("/")
    if path.endswith(API):
        path = path[: -len(API)]
    return f"{parts.scheme}://{parts.netloc}{path}{API}", parts.netloc


def guard_path(path: str) -> str:
    """``path`` if it is one of the dashboard's read endpoints, else FatalApiError (never sent)."""
    if not any(p.fullmatch(path) for p in _READ_ROUTES):
        raise FatalApiError(f"refusing to request {path!r}: not a read-only dashboard endpoint")
    return path


def guard_media(name: str) -> str:
    """``/media/<name>`` for a plain media file name (letters, digits, ``-``, ``_`` and single
    dots; no ``..``, no slash), else FatalApiError (never sent)."""
    if not _MEDIA_NAME.fullmatch(name):
        raise FatalApiError(f"refusing to request media {name!r}: not a plain media file name")
    return f"/media/{name}"


@dataclass(frozen=True)
class Tag:
    """One ``/tag`` answer, parsed."""

    steps: list[int]
    values: list[float | None]
    ts_ms: list[int | None]
    total: int | None  # ``sum``: the true number of points
    min_value: float | None
    max_value: float | None

    @classmethod
    def parse(cls, data: Any) -> Tag | None:
        """A ``/tag`` answer's points (items without an integer ``index`` skipped); None when
        it has no ``list``."""
        items = data.get("list") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return None
        steps: list[int] = []
        values: list[float | None] = []
        ts: list[int | None] = []
        for item in items:
            step = item.get("index") if isinstance(item, dict) else None
            if not isinstance(step, int) or isinstance(step, bool):
                continue
            steps.append(step)
            values.append(to_float(item.get("data")))
            ts.append(time_ms(item.get("create_time")))
        total = data.get("sum")
        return cls(
            steps,
            values,
            ts,
            total if isinstance(total, int) else None,
            to_float(data.get("min")),
            to_float(data.get("max")),
        )

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
