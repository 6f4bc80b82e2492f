"""Facts shared by the two local SwanLab sources (log folder and offline dashboard).

Both read data written by swanboard's database and the SDK's local mode, so they share the status
codes, the time format, the spellings of non-finite values and the project naming, and how a
console line is decoded and cut and what a media item's kind and content type are.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from swansync.sources.base import MAX_LOG_LINE, ProjectRecord, RunRecord, SummaryRecord
from swansync.sources.console import REPLACED, clean_text, decode_line
from swansync.sources.swanlab.conventions import metric_class

log = logging.getLogger(__name__)

LOCAL_WORKSPACE = "local"

# swanboard's experiment.status: 1 finished (also "aborted" in 0.10.3), -1 crashed (also "stopped
# from the UI"), 0 running -- which also means "the process died without finishing": there is no
# heartbeat, so a SIGKILLed run stays RUNNING upstream and we report it as such.
STATUS_STATES: dict[int, str] = {1: "FINISHED", -1: "CRASHED", 0: "RUNNING"}

_NONFINITE: dict[str, float] = {
    "nan": math.nan,
    "inf": math.inf,  # 0.7.x writes "INF" for +inf AND -inf (the sign is lost upstream)
    "+inf": math.inf,
    "-inf": -math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-infinity": -math.inf,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Summary:
    """One series' summary as both local sources read it: last point, finite min/max and their
    steps, and what upstream said (``raw``)."""

    last_step: int | None
    last_value: float | None
    min_value: float | None
    min_step: int | None
    max_value: float | None
    max_step: int | None
    raw: dict[str, Any] | None

    def record(self, project: ProjectRecord, run: RunRecord, key: str) -> SummaryRecord:
        return {
            "project": project["project"],
            "run_id": run["run_id"],
            "key": key,
            "klass": metric_class(key),
            "last_step": self.last_step,
            "last_value": self.last_value,
            "min_value": self.min_value,
            "min_step": self.min_step,
            "max_value": self.max_value,
            "max_step": self.max_step,
            "raw": self.raw,
        }


def state_of(status: Any) -> str | None:
    """Warehouse state of a swanboard status code (None for a code we do not know)."""
    try:
        return STATUS_STATES.get(int(status))
    except (TypeError, ValueError):
        return None


def parse_time(value: Any) -> datetime | None:
    """swanboard's ISO-8601 times (``2026-11-23T07:22:55.979153+00:00``) as aware UTC datetimes.
    A naive time is taken as UTC; anything unparsable is None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def time_ms(value: Any) -> int | None:
    """Unix milliseconds of an ISO time string (None when missing or unparsable)."""
    dt = parse_time(value)
    return None if dt is None else (dt - _EPOCH) // _MS


def to_float(value: Any) -> float | None:
    """A metric value as a float: numbers and bools as such, the non-finite spellings of both
    on-disk formats (bare ``NaN``/``Infinity`` tokens already decoded by ``json``; 0.7.x strings
    ``"NaN"``/``"INF"``) as IEEE values, anything else (text payloads, null) as None."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        special = _NONFINITE.get(value.strip().lower())
        if special is not None:
            return special
        try:
            return float(value)
        except ValueError:
            return None
    return None


def project_path(default_name: str, override: str | None) -> tuple[str, str, str]:
    """``(project, workspace, name)`` for a local project.

    Local data has no workspace, so the project is ``local/<name>`` (the ``ws/name`` form every
    other source uses, so views that split on ``/`` keep working). ``override`` replaces it: a
    value with a ``/`` is taken whole (``team/proj``), a bare name gets the ``local/`` prefix.
    """
    if override:
        if "/" in override:
            ws, _, name = override.partition("/")
            return override, ws, name
        return f"{LOCAL_WORKSPACE}/{override}", LOCAL_WORKSPACE, override
    return f"{LOCAL_WORKSPACE}/{default_name}", LOCAL_WORKSPACE, default_name


def project_record(
    row: dict[str, Any], override: str | None, extra: dict[str, Any] | None = None
) -> ProjectRecord:
    """A ProjectRecord from swanboard's project row (same fields in the db and in ``/project``)."""
    project, ws, name = project_path(str(row.get("name") or "default"), override)
    raw = {k: v for k, v in row.items() if k != "experiments"}
    raw.update(extra or {})
    count = row.get("sum")
    return {
        "project": project,
        "project_id": None if row.get("id") is None else str(row["id"]),
        "workspace": ws,
        "name": name,
        "description": row.get("description") or None,
        "visibility": None,
        "labels": [],
        "run_count": int(count) if isinstance(count, int) else None,
        "created_at": parse_time(row.get("create_time")),
        "updated_at": parse_time(row.get("update_time")),
        "url": None,
        "raw": raw,
    }


def run_record(
    project: ProjectRecord,
    run_id: str,
    exp: dict[str, Any],
    *,
    slug: str | None,
    raw: dict[str, Any],
    marker: str,
) -> RunRecord:
    """A local run (a row of ``runs.swanlab`` or an experiment of the dashboard) as a record
    without its profile: local runs have no user, cluster, job, labels or web URL."""
    return {
        "project": project["project"],
        "run_id": run_id,
        "slug": slug,
        "name": exp.get("name"),
        "description": exp.get("description") or None,
        "state": state_of(exp.get("status")),
        "cluster": None,
        "job": None,
        "labels": [],
        "username": None,
        "created_at": parse_time(exp.get("create_time")),
        "finished_at": parse_time(exp.get("finish_time")),
        "url": None,
        "config": None,
        "metadata": None,
        "requirements": None,
        "conda": None,
        "pinned": None,
        "project_id": project["project_id"],
        "root_project_id": None,
        "root_run_id": None,
        "raw": raw,
        "has_profile": False,
        "change_marker": marker,
    }


# -- console lines and media items, as both local sources read them ----------------------

ERROR_LEVEL = "ERROR"
# error.log (and the dashboard's ``error`` list) starts with the writer's local, naive time.
_ERROR_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?")


def line_text(head: bytes, size: int) -> tuple[str, bool, bool]:
    """``(text, cut, invalid)`` of a console line read as bytes: ``head`` holds its first bytes
    (more than MAX_LOG_LINE of them when it is longer), ``size`` its whole length; decoded and
    cut as the contract says (:func:`swansync.sources.console.decode_line`)."""
    text, problems = decode_line(head, size)
    return text, size > MAX_LOG_LINE, REPLACED in problems


def str_line(text: str) -> tuple[str, bool, bool]:
    """``(text, cut, invalid)`` of a console line that arrived decoded (a JSON answer, a
    record stream), repaired and cut as the contract says (:func:`~swansync.sources.console.
    clean_text`)."""
    shown, problems = clean_text(text)
    return shown, any(p != REPLACED for p in problems), REPLACED in problems


def error_text(lines: list[str]) -> str | None:
    """The error a crashed run finished with, from the lines of its ``error.log`` (or the
    dashboard's ``error`` list): the writer's timestamp line and the trailing empty line
    dropped. None when nothing is left."""
    if lines and _ERROR_STAMP.fullmatch(lines[0].strip()):
        lines = lines[1:]
    while lines and lines[-1] == "":
        lines = lines[:-1]
    return "\n".join(lines) if lines else None


class Problems:
    """Console and media problems of one pull, counted per (run, problem) so each becomes one
    warning, however many lines or items it hit. Safe from worker threads."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], list[Any]] = {}  # -> [count, first example]

    def add(self, run_id: str, problem: str, example: Any) -> None:
        with self._lock:
            entry = self._seen.setdefault((run_id, problem), [0, example])
            entry[0] += 1
            first = entry[0] == 1
        if first:
            log.warning("%s run %s: %s (first: %s)", self._source, run_id, problem, example)

    def warnings(self) -> list[str]:
        with self._lock:
            return [
                f"{self._source} run {run_id}: {problem} ({n}; first: {example})"
                for (run_id, problem), (n, example) in self._seen.items()
            ]


# What a media item is, from what the SDK recorded: the tag type (image/audio/text) the local
# dashboard registers, or a 0.7.x column type (ECHARTS, VIDEO, ...) from its record stream.
_KINDS: dict[str, str] = {
    "image": "image",
    "audio": "audio",
    "text": "text",
    "html": "html",
    "video": "video",
    "echarts": "echarts",
    "object3d": "object3d",
    "molecule": "molecule",
    "table": "table",
}
_CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "bmp": "image/bmp",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "glb": "model/gltf-binary",
    "gltf": "model/gltf+json",
    "obj": "model/obj",
    "ply": "application/octet-stream",
    "pdb": "chemical/x-pdb",
    "sdf": "chemical/x-mdl-sdfile",
    "mol": "chemical/x-mdl-molfile",
}
TEXT_CONTENT_TYPE = _CONTENT_TYPES["txt"]


def media_kind(tag_type: str | None) -> str:
    """The warehouse ``kind`` of a tag/column type (``other`` for one we do not know)."""
    return _KINDS.get((tag_type or "").lower(), "other")


def content_type(filename: str) -> str | None:
    """The content type of a media file, from its extension (None when unknown)."""
    _, dot, ext = filename.rpartition(".")
    return _CONTENT_TYPES.get(ext.lower()) if dot else None


def plain_name(name: Any) -> str | None:
    """``name`` if it is a plain file name the SDK could have written (no folder parts, no
    ``..``, no NUL), else None: names read from files are never used as paths unchecked."""
    if not isinstance(name, str) or not name or name in (".", ".."):
        return None
    if "/" in name or "\\" in name or "\x00" in name:
        return None
    return name


def caption_of(more: Any, idx: int) -> str | None:
    """The caption of item ``idx`` from a media point's ``more`` list (``[{"caption": ..}]``
    or None per item)."""
    if not isinstance(more, list) or idx >= len(more):
        return None
    entry = more[idx]
    caption = entry.get("caption") if isinstance(entry, dict) else None
    return caption if isinstance(caption, str) and caption else None
