"""What the source remembers about a run between pulls: its *cursor* (a JSON text the sync
commits with the run's rows and hands back through ``Source.resume``).

It holds the run's history marker when it was read (state, heartbeat, line count, last step),
the last history step read, and per metric key the summary of every point mirrored so far (last
step and value, finite min/max and their first steps). With it, a pull answers the summaries of
an unchanged run without a request, and after reading only the new steps of a grown run still
knows min/max over the whole history.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

VERSION = 1


@dataclass
class KeyState:
    """The summary of one series over every point seen (ascending steps)."""

    last_step: int | None = None
    last_value: float | None = None
    min_value: float | None = None
    min_step: int | None = None
    max_value: float | None = None
    max_step: int | None = None
    points: int = 0

    def add(self, step: int, value: float) -> None:
        if self.last_step is not None and step <= self.last_step:
            return  # an overlap already counted
        self.last_step, self.last_value = step, value
        self.points += 1
        if math.isfinite(value):
            if self.min_value is None or value < self.min_value:
                self.min_value, self.min_step = value, step
            if self.max_value is None or value > self.max_value:
                self.max_value, self.max_step = value, step

    def dump(self) -> list[Any]:
        return [
            self.last_step,
            _num(self.last_value),
            self.min_value,
            self.min_step,
            self.max_value,
            self.max_step,
            self.points,
        ]

    @classmethod
    def load(cls, item: Any) -> KeyState:
        if not isinstance(item, list) or len(item) != 7:
            raise ValueError("bad key state")
        last, value, mn, mn_step, mx, mx_step, points = item
        return cls(last, _unnum(value), mn, mn_step, mx, mx_step, int(points))


def _num(value: float | None) -> Any:
    """JSON has no NaN/inf: spell them as strings inside the cursor."""
    if value is None or math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _unnum(value: Any) -> float | None:
    return float(value) if isinstance(value, str) else value


Marker = tuple[str | None, str | None, int | None, int | None]  # state, heartbeat, lines, last


@dataclass
class RunState:
    """A run's cursor, decoded."""

    marker: Marker
    history_to: int | None = None  # every history row with _step <= this was read
    lines: int = 0  # history rows read
    keys: dict[str, KeyState] = field(default_factory=dict)  # scalar history keys
    other: set[str] = field(default_factory=set)  # keys seen without a number (media, text)
    system: dict[str, KeyState] = field(default_factory=dict)  # system.* keys (event index)
    events: int = 0
    console_lines: int = 0  # output.log lines read ...
    console_bytes: int = 0  # ... and the byte offset just after the last of them
    media_last: dict[str, int] = field(default_factory=dict)  # key -> last step with a file
    console_failed: bool = False  # the console could not be read: read the run again
    system_skipped: bool = False  # system metrics exist but were not read (--no-system)

    def encode(self) -> str:
        return json.dumps(
            {
                "v": VERSION,
                "m": list(self.marker),
                "h": self.history_to,
                "n": self.lines,
                "k": {k: s.dump() for k, s in self.keys.items()},
                "o": sorted(self.other),
                "s": {k: s.dump() for k, s in self.system.items()},
                "e": self.events,
                "c": [self.console_lines, self.console_bytes],
                "ml": self.media_last,
                "cf": self.console_failed,
                **({"ns": True} if self.system_skipped else {}),
            },
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )

    @classmethod
    def decode(cls, text: str | None) -> RunState | None:
        """The state a cursor holds; None for no cursor or one this version cannot read (the
        run is then read afresh)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("v") != VERSION:
                return None
            m = data["m"]
            return cls(
                marker=(m[0], m[1], m[2], m[3]),
                history_to=data["h"],
                lines=int(data["n"]),
                keys={k: KeyState.load(v) for k, v in data["k"].items()},
                other=set(data["o"]),
                system={k: KeyState.load(v) for k, v in data["s"].items()},
                events=int(data["e"]),
                console_lines=int((data.get("c") or [0, 0])[0]),
                console_bytes=int((data.get("c") or [0, 0])[1]),
                media_last={str(k): int(v) for k, v in (data.get("ml") or {}).items()},
                console_failed=bool(data.get("cf")),
                system_skipped=bool(data.get("ns")),
            )
        except (ValueError, KeyError, TypeError, IndexError):
            return None

    def copy_history(self, marker: Marker) -> RunState:
        """A new state that continues this one's history (system metrics are re-read whole)."""
        return RunState(
            marker=marker,
            history_to=self.history_to,
            lines=self.lines,
            keys={k: KeyState(**vars(s)) for k, s in self.keys.items()},
            other=set(self.other),
            console_lines=self.console_lines,
            console_bytes=self.console_bytes,
            media_last=dict(self.media_last),
        )
