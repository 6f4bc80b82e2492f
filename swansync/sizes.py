"""Byte sizes as people write them: ``1048576``, ``"512KiB"``, ``"100MB"``, ``"4GiB"``."""

from __future__ import annotations

import re

from swansync.errors import ConfigError

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$", re.IGNORECASE)
_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_size(value: int | str, what: str) -> int | None:
    """Bytes from an integer or a text with a unit (``KB``/``MB``/``GB`` are powers of 1000,
    ``KiB``/``MiB``/``GiB`` of 1024); 0 means no bound (None)."""
    if isinstance(value, bool):
        raise ConfigError(f"{what} must be a size like 100MiB, got {value!r}")
    if isinstance(value, int):
        n = value
    else:
        m = _SIZE.match(str(value))
        if not m:
            raise ConfigError(f"{what} must be a size like 100MiB or 2GB, got {value!r}")
        number, unit, binary = m.groups()
        base = 1024 if binary or (unit and not _has_b(str(value))) else 1000
        n = int(float(number) * base ** _POWER[unit.lower()])
    if n < 0:
        raise ConfigError(f"{what} must not be negative, got {value!r}")
    return None if n == 0 else n


def _has_b(text: str) -> bool:
    return text.strip().lower().endswith("b")


def format_size(n: int | None) -> str:
    if n is None:
        return "no bound"
    for unit, power in (("GiB", 3), ("MiB", 2), ("KiB", 1)):
        if n >= 1024**power and n % 1024**power == 0:
            return f"{n // 1024**power} {unit}"
    return f"{n:,} bytes"
