"""Number spellings: every way a server may write the same float, chosen deterministically.

A hostile world writes each CSV cell and each JSON float in one of several spellings that parse
back to the *same* IEEE double (``1e-05``/``1E-5``/``0.000010000000000000001``, ``-0.0``/``-0``,
``NaN``/``nan``, ``Infinity``/``inf``/``INF`` ...). Which spelling a cell gets is a pure function
of a hash, so one export mixes them and the same world always writes the same bytes.

The guarantee every spelling keeps: ``float(text)`` (and every sane float parser) returns the
original value bit for bit, the sign of zero included. JSON spellings also keep the JSON type: a
float is never written in a form that a JSON parser reads as an integer (``2.0`` is never ``2``,
``-0.0`` never ``-0``). A server that stores ``2.0`` as ``2`` has changed the *data*, not its
spelling, and the truth could not say which one a perfect mirror holds. CSV cells have no types,
so there ``2`` is one more spelling of ``2.0``.
"""

from __future__ import annotations

import math
from decimal import Decimal

_MASK = (1 << 64) - 1

NAN_SPELLINGS = ("NaN", "nan", "NAN")
INF_SPELLINGS = ("inf", "Infinity", "INF")
NEG_INF_SPELLINGS = ("-inf", "-Infinity", "-INF")
NEG_ZERO_CSV = ("-0.0", "-0", "-0E0", "-0.0e+00")
NEG_ZERO_JSON = ("-0.0", "-0E0", "-0.0e+00")  # "-0" is the integer 0 to a JSON parser


def mix(*parts: int) -> int:
    """A cheap, well-spread 64-bit hash of integers (splitmix64 steps)."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h = (h ^ (p & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        h = (h ^ (h >> 31)) * 0x94D049BB133111EB & _MASK
        h ^= h >> 29
    return h


def _sci(value: float, upper: bool) -> str:
    """Shortest round-trip digits in scientific notation: ``1E5``, ``1.5e-07``, ``-3E308``."""
    d = Decimal(repr(value)).normalize()
    text = f"{d:E}" if upper else f"{d:e}"
    mantissa, _, exp = text.partition("E" if upper else "e")
    exp = exp.lstrip("+")
    return f"{mantissa}{'E' if upper else 'e'}{exp or '0'}"


def _finite(value: float, h: int, json: bool) -> str:
    if value == 0.0:
        if math.copysign(1.0, value) < 0:
            spellings = NEG_ZERO_JSON if json else NEG_ZERO_CSV
            return spellings[h % len(spellings)]
        zeros = ("0.0", "0E0", "0e-5") if json else ("0.0", "0", "0E0", "0e-5")
        return zeros[h % len(zeros)]
    choice = h % 5
    if choice == 0:
        return repr(value)
    if choice == 1:
        return format(value, ".17g")  # 17 significant digits: always round-trips
    if choice == 2:
        return _sci(value, upper=True)
    if choice == 3:
        return _sci(value, upper=False)
    if not json and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # CSV only: "2" is 2.0 (JSON would read an integer)
    return repr(value).upper()


def spell_float(value: float, h: int) -> str:
    """A CSV cell for ``value`` (any float, NaN and infinities included)."""
    if value != value:
        return NAN_SPELLINGS[h % len(NAN_SPELLINGS)]
    if value == math.inf:
        return INF_SPELLINGS[h % len(INF_SPELLINGS)]
    if value == -math.inf:
        return NEG_INF_SPELLINGS[h % len(NEG_INF_SPELLINGS)]
    return _finite(value, h, json=False)


def spell_json_float(value: float, h: int) -> str:
    """A JSON number token for a finite ``value`` (JSON has no NaN/inf: the server sends those
    as the strings ``"NaN"``/``"INF"``/``"-INF"``, never through here)."""
    text = _finite(value, h, json=True)
    if text.lstrip("-").isdigit():  # "%.17g" writes 2.0 as "2": keep it a JSON float
        text += ".0"
    return text


def spell_ms(ms: int, h: int) -> str:
    """A millisecond timestamp, as an integer or as a float some servers write
    (``1735689601500.0``, ``1.7356896015E12``, ``1735689601.500e3``); every form is exact
    below 2**53."""
    choice = h % 4
    if choice == 0:
        return str(ms)
    if choice == 1:
        return f"{ms}.0"
    if choice == 2:
        return _sci(float(ms), upper=True)
    return f"{ms // 1000}.{ms % 1000:03d}e3"
