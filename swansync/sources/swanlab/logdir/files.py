"""Read one run folder (``run-<ts>-<id>/``) of a SwanLab log directory, tolerating live writers.

Metric points live in ``logs/<folder>/<N>.log`` slices of 1,000 JSON lines
(``{"index": step, "data": value, "create_time": iso}``) named after the point's *ordinal*; a
finite-only ``_summary.json`` sits beside them. The SDK truncates and rewrites ``_summary.json``
and appends to the last slice while a run is live, so a line without its trailing newline is
treated as not written yet, an unreadable summary as absent, and a folder without slices as empty.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from swansync.errors import DataError
from swansync.sources.swanlab.local import Summary, time_ms, to_float
from swansync.sources.swanlab.logdir import backup

log = logging.getLogger(__name__)

_TAIL_BYTES = 64 * 1024


@dataclass
class Series:
    steps: list[int]
    values: list[float | None]
    ts_ms: list[int | None]


def slice_files(folder: Path) -> list[Path]:
    """The metric slices of ``folder``, in ordinal order (``1000.log`` < ``2000.log`` < ...)."""
    try:
        entries = list(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    numbered = [(int(p.stem), p) for p in entries if p.suffix == ".log" and p.stem.isdigit()]
    return [p for _, p in sorted(numbered)]


def _complete_lines(data: bytes) -> list[bytes]:
    """Lines that end in a newline; a partial last line is a write in progress."""
    end = data.rfind(b"\n")
    return [] if end < 0 else data[:end].split(b"\n")


def _parse(line: bytes, where: Path) -> tuple[int, float | None, int | None] | None:
    line = line.strip()
    if not line:
        return None
    try:
        obj = json.loads(line)
        step = obj["index"]
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"index {step!r} is not an integer")
    except (ValueError, KeyError, TypeError) as e:
        log.warning("%s: skipping a malformed metric line (%s)", where, e)
        return None
    return step, to_float(obj.get("data")), time_ms(obj.get("create_time"))


def _first_step(path: Path) -> int | None:
    try:
        with path.open("rb") as f:
            line = f.readline()
    except FileNotFoundError:
        return None
    if not line.endswith(b"\n"):
        return None
    parsed = _parse(line, path)
    return None if parsed is None else parsed[0]


def _first_slice(files: list[Path], after_step: int | None) -> int:
    """Index of the first slice that can hold a step above ``after_step``: the SDK appends
    steps in increasing order, so it is the last one whose first step is <= ``after_step``."""
    if after_step is None:
        return 0
    for i in range(len(files) - 1, -1, -1):
        first = _first_step(files[i])
        if first is not None and first <= after_step:
            return i
    return 0


def read_series(folder: Path, after_step: int | None = None) -> Series:
    """Every complete point of the metric stored in ``folder``, in file order.

    With ``after_step``, slices whose points all lie at or below it are skipped without being
    read (:func:`_first_slice`). (Rewrites of old steps are only seen by ``--full``.)
    """
    files = slice_files(folder)
    out = Series([], [], [])
    for path in files[_first_slice(files, after_step) :]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        for line in _complete_lines(data):
            parsed = _parse(line, path)
            if parsed is None:
                continue
            step, value, ts = parsed
            if after_step is not None and step <= after_step:
                continue
            out.steps.append(step)
            out.values.append(value)
            out.ts_ms.append(ts)
    return out


def read_points(folder: Path, after_step: int | None = None) -> Iterator[dict[str, Any]]:
    """Every complete point of ``folder`` above ``after_step`` as the JSON object the SDK wrote
    (``index`` an int, ``data``, ``more``, ...), in file order; media series are read so."""
    files = slice_files(folder)
    for path in files[_first_slice(files, after_step) :]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        for line in _complete_lines(data):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                log.warning("%s: skipping a malformed line (%s)", path, e)
                continue
            step = obj.get("index") if isinstance(obj, dict) else None
            if isinstance(step, bool) or not isinstance(step, int):
                log.warning("%s: skipping a line without an integer index", path)
                continue
            if after_step is None or step > after_step:
                yield obj


def _tail_point(folder: Path) -> tuple[int, float | None] | None:
    """The last complete point of the metric (read from the end of the last slice)."""
    for path in reversed(slice_files(folder)):
        try:
            with path.open("rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - _TAIL_BYTES))
                data = f.read()
        except FileNotFoundError:
            continue
        lines = _complete_lines(data)
        if size > _TAIL_BYTES and lines:
            lines = lines[1:]  # the first line of a tail window may be cut
        for line in reversed(lines):
            parsed = _parse(line, path)
            if parsed is not None:
                return parsed[0], parsed[1]
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_summary(folder: Path) -> Summary | None:
    """Last point plus the SDK's ``_summary.json`` (finite min/max and their steps).

    None when the metric has no complete point yet. An empty or half-written ``_summary.json``
    (caught mid-rewrite) falls back to min/max computed from the points."""
    tail = _tail_point(folder)
    if tail is None:
        return None
    raw: dict[str, Any] | None = None
    try:
        text = (folder / "_summary.json").read_text(encoding="utf-8")
        loaded = json.loads(text)
        raw = loaded if isinstance(loaded, dict) else None
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        raw = None
    if raw is not None and ("max" in raw or "min" in raw):
        return Summary(
            tail[0],
            tail[1],
            _num(raw.get("min")),
            _int(raw.get("min_step")),
            _num(raw.get("max")),
            _int(raw.get("max_step")),
            raw,
        )
    return summarize(read_series(folder), raw)


def summarize(series: Series, raw: dict[str, Any] | None = None) -> Summary | None:
    """A summary computed from points: last point, finite min/max (first occurrence)."""
    if not series.steps:
        return None
    lo: tuple[float, int] | None = None
    hi: tuple[float, int] | None = None
    for step, value in zip(series.steps, series.values, strict=True):
        if value is None or not math.isfinite(value):
            continue
        if lo is None or value < lo[0]:
            lo = (value, step)
        if hi is None or value > hi[0]:
            hi = (value, step)
    return Summary(
        series.steps[-1],
        series.values[-1],
        lo[0] if lo else None,
        lo[1] if lo else None,
        hi[0] if hi else None,
        hi[1] if hi else None,
        raw,
    )


# -- profile files ------------------------------------------------------------------------


def read_text(path: Path, limit: int | None = None) -> str | None:
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if limit is not None and len(data) > limit:
        data = data[-limit:]
    return data.decode("utf-8", errors="replace")


def read_config(run_dir: Path) -> dict[str, Any]:
    """``files/config.yaml`` as stored (top-level values wrapped as ``{desc, sort, value}``).
    Missing or empty (a run that has not written it yet) gives ``{}``."""
    text = read_text(run_dir / "files" / "config.yaml")
    if not text or not text.strip():
        return {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        loaded = yaml.load(text, Loader=loader)  # a safe loader
    except yaml.YAMLError as e:
        raise DataError(f"{run_dir / 'files' / 'config.yaml'}: not valid YAML: {e}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise DataError(f"{run_dir / 'files' / 'config.yaml'}: expected a mapping")
    return {str(k): v for k, v in loaded.items()}


def read_metadata(run_dir: Path) -> dict[str, Any]:
    """``files/swanlab-metadata.json`` as stored (its shape differs between SDK versions);
    missing, empty or half-written gives ``{}``, as the dashboard shows it."""
    text = read_text(run_dir / "files" / "swanlab-metadata.json")
    if not text:
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        log.warning("%s: unreadable swanlab-metadata.json; stored as {}", run_dir)
        return {}
    return loaded if isinstance(loaded, dict) else {"value": loaded}


def system_columns(run_dir: Path) -> dict[str, str]:
    """0.7.x only: hardware-monitor series live in ``logs/<n>/`` folders that the ``tag`` table
    does not list; their names are ``Column`` records of the SDK's ``backup.swanlab``
    (``{"key": "__swanlab__.cpu.pct", "kid": "9", "cls": "SYSTEM"}``). Returns folder -> key;
    unreadable or missing backups give ``{}``."""
    return {kid: c.key for kid, c in backup.columns(run_dir).items() if c.cls == "SYSTEM"}
