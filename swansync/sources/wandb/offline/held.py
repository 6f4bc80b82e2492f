"""Console lines and media items a pull met while folding a log, held for ``logs``/``media``.

The whole pull shares one :class:`HoldBudget` (bytes of console text, media items): a run whose
share would pass it holds nothing of that kind and is read again when asked (``overflow``), so
memory stays bounded however large the new part of the logs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from swansync.sources.wandb.console import Line
from swansync.sources.wandb.media import Item

HOLD_TEXT = 256 << 20  # bytes of console text held per pull
HOLD_ITEMS = 2_000_000  # media items held per pull
_ITEM_COST = 1


class HoldBudget:
    def __init__(self, text: int = HOLD_TEXT, items: int = HOLD_ITEMS) -> None:
        self._lock = threading.Lock()
        self.text, self.items = text, items

    def take(self, text: int, items: int) -> bool:
        with self._lock:
            if text > self.text or items > self.items:
                return False
            self.text -= text
            self.items -= items
            return True

    def give(self, text: int, items: int) -> None:
        with self._lock:
            self.text += text
            self.items += items


@dataclass
class Held:
    budget: HoldBudget
    lines: list[Line] = field(default_factory=list)
    media: list[tuple[str, int, Item]] = field(default_factory=list)
    lines_overflow: bool = False
    media_overflow: bool = False
    _text: int = 0

    def add_lines(self, lines: list[Line]) -> None:
        if self.lines_overflow:
            return
        size = sum(len(ln.text) + 64 for ln in lines)
        if not self.budget.take(size, 0):
            self.lines_overflow = True
            self.budget.give(self._text, 0)
            self.lines, self._text = [], 0
            return
        self._text += size
        self.lines.extend(lines)

    def add_media(self, key: str, step: int, items: list[Item]) -> None:
        if self.media_overflow:
            return
        if not self.budget.take(0, len(items) * _ITEM_COST):
            self.media_overflow = True
            self.budget.give(0, len(self.media) * _ITEM_COST)
            self.media = []
            return
        self.media.extend((key, step, it) for it in items)

    def take_lines(self) -> list[Line]:
        out, self.lines = self.lines, []
        self.budget.give(self._text, 0)
        self._text = 0
        return out

    def take_media(self) -> list[tuple[str, int, Item]]:
        out, self.media = self.media, []
        self.budget.give(0, len(out) * _ITEM_COST)
        return out

    def release(self) -> None:
        self.budget.give(self._text, len(self.media) * _ITEM_COST)
        self.lines, self.media, self._text = [], [], 0
