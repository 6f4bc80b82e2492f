"""Lazily generated metric series.

A series is a formula, not stored data: point ``i`` of a series lives at run tick
``first_t + i * every`` and its value comes from a per-chunk ``random.Random`` seeded from
(series seed, chunk number). Values are therefore prefix-stable: growing a run appends points and
never changes earlier ones, and any point can be regenerated in any order.

Chunks of values and of pre-formatted CSV cells are kept in one bounded LRU cache shared by all
series, so a 10 M point world costs only the chunks somebody is reading.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

CHUNK = 2048
_CACHE_CHUNKS = 512  # ~1 M points of values + formatted cells

NAN = float("nan")
INF = float("inf")


class _ChunkCache:
    """Thread-safe LRU of generated chunks, keyed by (series id, chunk, kind)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._data: OrderedDict[tuple[int, int, str], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int, str]) -> object | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[int, int, str], value: object) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)


_CACHE = _ChunkCache(_CACHE_CHUNKS)
_ids = iter(range(1, 1 << 62))
_ids_lock = threading.Lock()


def _next_id() -> int:
    with _ids_lock:
        return next(_ids)


def json_number(value: float) -> float | str:
    """A float as the metric store sends it in JSON: NaN/inf become "NaN"/"INF"/"-INF"."""
    if value != value:
        return "NaN"
    if value == INF:
        return "INF"
    if value == -INF:
        return "-INF"
    return value


@dataclass(frozen=True)
class Stats:
    """Summary of a series prefix. min/max ignore NaN (infinities count); ties keep the
    lowest step. ``min_*``/``max_*`` are None when every value is NaN."""

    count: int
    last_step: int
    last_value: float
    min_value: float | None
    min_step: int | None
    max_value: float | None
    max_step: int | None


@dataclass(eq=False)
class Series:
    """One scalar metric key of one run (shared by a run and its clones)."""

    key: str
    seed: int
    first_t: int  # first run tick with a point
    every: int  # a point every `every` ticks (sparse keys have every > 1)
    step_base: int  # step of run tick 0 (runs resumed at step 100 have 100)
    ts0_ms: int  # Unix ms of run tick 0
    tick_ms: int  # ms between ticks
    level: float = 0.0
    amp: float = 1.0
    tau: float = 100.0
    noise: float = 0.05
    specials: dict[int, float] = field(default_factory=dict)  # point index -> NaN/inf value
    ticks: int = 0  # how far the owning run has logged (run tick count)
    uid: int = field(default_factory=_next_id)
    _stats: Stats | None = None
    _stats_lock: threading.Lock = field(default_factory=threading.Lock)

    # -- geometry -------------------------------------------------------------------------------
    def count(self, ticks: int | None = None) -> int:
        """Number of points once the run has logged ``ticks`` ticks (default: now)."""
        t = self.ticks if ticks is None else ticks
        if t <= self.first_t:
            return 0
        return (t - self.first_t - 1) // self.every + 1

    def step(self, i: int) -> int:
        return self.step_base + self.first_t + i * self.every

    def ts_ms(self, i: int) -> int:
        return self.ts0_ms + (self.first_t + i * self.every) * self.tick_ms

    # -- values ---------------------------------------------------------------------------------
    def values_chunk(self, c: int) -> list[float]:
        """Values of points ``c*CHUNK .. c*CHUNK+CHUNK-1`` (generated past the end too)."""
        cached = _CACHE.get((self.uid, c, "v"))
        if cached is not None:
            return cached  # type: ignore[return-value]
        rnd = random.Random(self.seed * 1_000_003 + c).random
        i0 = c * CHUNK
        # values in micro-units, then /1e6: short decimal text, cheap to generate and format
        level, noise = self.level * 1e6, self.noise * 1e6
        decay = self.amp * 1e6 * math.exp(-(self.first_t + i0 * self.every) / self.tau)
        q = math.exp(-self.every / self.tau)
        vals: list[float] = []
        append = vals.append
        for _ in range(CHUNK):
            append(int(level + decay + noise * (rnd() - 0.5)) / 1e6)
            decay *= q
        for i, special in self.specials.items():
            if i0 <= i < i0 + CHUNK:
                vals[i - i0] = special
        _CACHE.put((self.uid, c, "v"), vals)
        return vals

    def value(self, i: int) -> float:
        return self.values_chunk(i // CHUNK)[i % CHUNK]

    def cells_chunk(self, c: int) -> list[str]:
        """CSV ``value,timestamp`` cells for the points of chunk ``c``."""
        cached = _CACHE.get((self.uid, c, "c"))
        if cached is not None:
            return cached  # type: ignore[return-value]
        vals = self.values_chunk(c)
        base = self.ts0_ms + self.first_t * self.tick_ms
        stride = self.every * self.tick_ms
        start = base + c * CHUNK * stride
        stamps = range(start, start + CHUNK * stride, stride)
        cells = [f"{v!r},{t}" for v, t in zip(vals, stamps, strict=True)]
        for i in self.specials:  # only specials can be NaN; write it as "NaN" (not Python's "nan")
            j = i - c * CHUNK
            if 0 <= j < CHUNK and vals[j] != vals[j]:
                cells[j] = f"NaN,{stamps[j]}"
        _CACHE.put((self.uid, c, "c"), cells)
        return cells

    def rows_chunk(self, c: int, m: int) -> list[str]:
        """CSV rows ``step,value,timestamp`` of the first ``m`` points of chunk ``c``."""
        cached = _CACHE.get((self.uid, c, "c"))
        s0 = self.step(c * CHUNK)
        steps = range(s0, s0 + m * self.every, self.every)
        if isinstance(cached, list):
            return [f"{st},{cell}" for st, cell in zip(steps, cached, strict=False)]
        vals = self.values_chunk(c)
        t0 = self.ts_ms(c * CHUNK)
        stride = self.every * self.tick_ms
        stamps = range(t0, t0 + m * stride, stride)
        rows = [f"{st},{v!r},{t}" for st, v, t in zip(steps, vals, stamps, strict=False)]
        for i in self.specials:
            j = i - c * CHUNK
            if 0 <= j < m and vals[j] != vals[j]:
                rows[j] = f"{steps[j]},NaN,{stamps[j]}"
        return rows

    def iter_points(self, n: int | None = None) -> Iterator[tuple[int, float, int]]:
        """(step, value, ts_ms) of the first ``n`` points (default: all current points)."""
        total = self.count() if n is None else n
        for c in range((total + CHUNK - 1) // CHUNK):
            vals = self.values_chunk(c)
            i0 = c * CHUNK
            for j in range(min(CHUNK, total - i0)):
                i = i0 + j
                yield self.step(i), vals[j], self.ts_ms(i)

    def values(self, n: int | None = None) -> list[float]:
        total = self.count() if n is None else n
        out: list[float] = []
        for c in range((total + CHUNK - 1) // CHUNK):
            out.extend(self.values_chunk(c)[: total - c * CHUNK])
        return out

    # -- statistics -----------------------------------------------------------------------------
    def stats(self, n: int | None = None) -> Stats | None:
        """Stats of the first ``n`` points, computed incrementally and cached for growth."""
        total = self.count() if n is None else n
        if total <= 0:
            return None
        with self._stats_lock:
            prev = self._stats
            if prev is not None and prev.count == total:
                return prev
            if prev is None or prev.count > total:
                prev = None
            start = 0 if prev is None else prev.count
            mn = None if prev is None else prev.min_value
            mn_i = None if prev is None or prev.min_step is None else self._index(prev.min_step)
            mx = None if prev is None else prev.max_value
            mx_i = None if prev is None or prev.max_step is None else self._index(prev.max_step)
            for c in range(start // CHUNK, (total + CHUNK - 1) // CHUNK):
                vals = self.values_chunk(c)
                i0 = c * CHUNK
                lo, hi = max(0, start - i0), min(CHUNK, total - i0)
                seg = vals[lo:hi]
                if any(i0 + lo <= i < i0 + hi for i in self.specials):
                    seg = [v for v in seg if v == v]  # drop NaN, keep positions via lookup
                    if not seg:
                        continue
                    cmin, cmax = min(seg), max(seg)
                    jmin = vals.index(cmin, lo, hi) if cmin in seg else lo
                    jmax = vals.index(cmax, lo, hi)
                else:
                    cmin, cmax = min(seg), max(seg)
                    jmin, jmax = lo + seg.index(cmin), lo + seg.index(cmax)
                if mn is None or cmin < mn:
                    mn, mn_i = cmin, i0 + jmin
                if mx is None or cmax > mx:
                    mx, mx_i = cmax, i0 + jmax
            stats = Stats(
                count=total,
                last_step=self.step(total - 1),
                last_value=self.value(total - 1),
                min_value=mn,
                min_step=None if mn_i is None else self.step(mn_i),
                max_value=mx,
                max_step=None if mx_i is None else self.step(mx_i),
            )
            self._stats = stats
            return stats

    def _index(self, step: int) -> int:
        return (step - self.step_base - self.first_t) // self.every


# kind -> (file extension, Content-Type, leading bytes): what the SDK writes per media type.
MEDIA_FORMATS: dict[str, tuple[str, str, bytes]] = {
    "image": ("png", "image/png", b"\x89PNG\r\n\x1a\n"),
    "audio": ("wav", "audio/wav", b"RIFF\x00\x00\x00\x00WAVEfmt "),
    "video": ("gif", "image/gif", b"GIF89a"),
    "text": ("txt", "text/plain; charset=utf-8", b""),
    "html": ("html", "text/html; charset=utf-8", b"<!DOCTYPE html><p>"),
    "object3d": ("glb", "model/gltf-binary", b"glTF\x02\x00\x00\x00"),
    "molecule": ("pdb", "chemical/x-pdb", b"HEADER    SIMULATED\n"),
    "echarts": ("json", "application/json", b'{"series":'),
}


@dataclass(frozen=True)
class MediaItem:
    path: str  # the storage path the metric store lists ("data")
    caption: str | None
    content: bytes
    content_type: str
    kind: str
    lost: bool  # listed, but its object is gone from storage (404)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(eq=False)
class MediaSeries:
    """A media key: ``per_step`` items (one more at odd steps when ``vary``) every ``every``
    ticks from ``first_t``. Item bytes are a function of (seed, key, step, idx); with
    ``shared`` the step is left out, so every step holds the same bytes (a mirror stores them
    once). ``lost`` lists (step, idx) whose object storage file is gone."""

    key: str
    first_t: int
    every: int
    step_base: int
    kind: str = "image"
    per_step: int = 1
    vary: bool = False
    shared: bool = False
    seed: int = 0
    ticks: int = 0
    lost: frozenset[tuple[int, int]] = frozenset()

    def steps(self) -> list[int]:
        if self.ticks <= self.first_t:
            return []
        return [self.step_base + t for t in range(self.first_t, self.ticks, self.every)]

    def count_at(self, step: int) -> int:
        return self.per_step + (step % 2 if self.vary else 0)

    def item(self, step: int, idx: int) -> MediaItem:
        ext, ctype, magic = MEDIA_FORMATS[self.kind]
        basis = f"{self.seed}/{self.key}/{'*' if self.shared else step}/{idx}".encode()
        digest = hashlib.blake2b(basis, digest_size=32).digest()
        if self.kind == "text":
            content = f"sample {step}/{idx}: prediction {digest[0]} 预测 ✓\n".encode()
        elif self.kind == "echarts":
            content = b'{"series":[{"type":"line","data":[%d,%d,%d]}]}' % tuple(digest[:3])
        else:
            size = 64 + int.from_bytes(digest[:2], "big") % 2048
            content = magic + (digest * (size // 32 + 1))[:size]
        sha8 = hashlib.sha256(content).hexdigest()[:8]
        caption: str | None = f"{self.key} @ {step} #{idx}"
        if idx % 3 == 1:
            caption = None  # logged without a caption
        elif self.vary and idx == 0:
            caption = f'caption "q", 逗号; 🚀\nline two @ {step}'
        return MediaItem(
            path=f"media/{self.key}/{step:03d}-{idx}-{sha8}.{ext}",
            caption=caption,
            content=content,
            content_type=ctype,
            kind=self.kind,
            lost=(step, idx) in self.lost,
        )

    def items(self, step: int) -> list[MediaItem]:
        return [self.item(step, i) for i in range(self.count_at(step))]
