"""Lazily generated run history: keys on their own step grids, values from formulas.

A key is logged at steps ``first, first + every, ...`` (relative to the run's ``step_base``)
while the run's step counter is below its current ``ticks``. A history row exists at every
step where at least one key was logged and holds only those keys (sparse rows), plus
``_step``, ``_runtime`` and ``_timestamp``. Values depend only on (key seed, step), so growing
a run appends rows and never changes earlier ones, and any window can be produced in any order.

Value kinds: ``number`` (float, with NaN/±inf at chosen steps), ``int``, ``string``,
``image`` / ``table`` / ``histogram`` (W&B ``_type`` objects, i.e. media).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

NAN = float("nan")
INF = float("inf")
KINDS = ("number", "int", "string", "image", "table", "histogram")
MEDIA_KINDS = ("image", "table", "histogram")
CHUNK = 1024
_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64: a fast, well-spread hash of a 64-bit integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def unit(seed: int, n: int) -> float:
    """A deterministic uniform number in [0, 1) for (seed, n)."""
    return _mix((seed * 0x100000001B3 + n) & _MASK) / 2.0**64


def stable_seed(*parts: object) -> int:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


PNG = b"\x89PNG\r\n\x1a\n"
TABLE = b'{"columns": ["a", "b", "c"], "data": []}'


def media_bytes(seed: int, offset: int, kind: str, size: int) -> bytes:
    """The file a media value names: a PNG signature or a JSON table head, padded to ``size``
    with bytes made from (seed, offset); the value's ``sha256``/``size`` are this file's."""
    head = PNG if kind == "image" else TABLE
    pad = bytes(int(unit(seed ^ 0x5EED, offset * 4099 + i) * 256) for i in range(64))
    body = head + pad * (max(0, size - len(head)) // 64 + 1)
    return body[: max(size, len(head))]


@dataclass(eq=False)
class KeySpec:
    """One history key of one run."""

    name: str
    seed: int
    kind: str = "number"
    first: int = 0  # first step offset (relative to the run's step_base)
    every: int = 1
    start: float = 2.0  # number: value at step 0 ...
    end: float = 0.1  # ... decaying towards this
    tau: float = 300.0
    noise: float = 0.05
    specials: dict[int, float] = field(default_factory=dict)  # offset step -> NaN/±inf
    until: int | None = None  # stop logging at this offset step (exclusive)

    def logged_at(self, offset: int) -> bool:
        if offset < self.first or (self.until is not None and offset >= self.until):
            return False
        return (offset - self.first) % self.every == 0

    def value(self, offset: int) -> Any:
        special = self.specials.get(offset)
        if special is not None:
            return special
        u = unit(self.seed, offset)
        if self.kind == "number":
            base = self.end + (self.start - self.end) * math.exp(-offset / self.tau)
            return base + self.noise * (u - 0.5)
        if self.kind == "int":
            return offset // max(1, self.every * 10)
        if self.kind == "string":
            return ("train", "eval", "warm-up", "ünïcode ✓", 'quote " and , comma')[int(u * 5)]
        digest = f"{_mix(self.seed ^ offset):016x}"
        if self.kind == "image":
            safe = self.name.replace("/", "_")
            data = media_bytes(self.seed, offset, "image", 1000 + int(u * 9000))
            return {
                "_type": "image-file",
                "path": f"media/images/{safe}_{offset}_{digest[:20]}.png",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "format": "png",
                "width": 64,
                "height": 48,
            }
        if self.kind == "table":
            safe = self.name.replace("/", "_")
            data = media_bytes(self.seed, offset, "table", 200 + int(u * 800))
            return {
                "_type": "table-file",
                "path": f"media/table/{safe}_{offset}_{digest[:20]}.table.json",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "ncols": 3,
                "nrows": 5 + offset % 7,
                "log_mode": "IMMUTABLE",
            }
        bins = [round(-1 + 0.25 * i, 2) for i in range(9)]
        counts = [int(unit(self.seed, offset * 8 + i) * 50) for i in range(8)]
        return {"_type": "histogram", "values": counts, "bins": bins}


@dataclass
class SystemSpec:
    """System metrics sampled every ``every_s`` seconds of run time (the ``events`` stream)."""

    seed: int
    every_s: float = 15.0
    gpus: int = 1


SYSTEM_KEYS = ("system.cpu", "system.memory", "system.disk", "system.network.sent")


def system_row(spec: SystemSpec, index: int) -> dict[str, Any]:
    u = unit(spec.seed, index)
    row: dict[str, Any] = {
        "system.cpu": round(20 + 60 * u, 2),
        "system.memory": round(30 + 10 * unit(spec.seed, index + 7919), 2),
        "system.disk": round(55.5 + index * 0.001, 3),
        "system.network.sent": 1000 * index + int(u * 1000),
    }
    for g in range(spec.gpus):
        row[f"system.gpu.{g}.gpu"] = round(100 * unit(spec.seed + g + 1, index), 2)
        row[f"system.gpu.{g}.memoryAllocated"] = round(70 + 5 * u, 2)
    return row


class RowCache:
    """Bounded LRU of generated row chunks keyed by (run uid, chunk, version, end)."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._data: OrderedDict[tuple[int, ...], list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, ...]) -> list[dict[str, Any]] | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[int, ...], value: list[dict[str, Any]]) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)


CACHE = RowCache()


def is_media(value: Any) -> bool:
    return isinstance(value, dict) and "_type" in value


def type_name(value: Any) -> str:
    """The W&B historyKeys type of a value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return str(value.get("_type", "map"))
    return "unknown"
