"""Hypothesis strategies for hostile data: names, numbers in every spelling, arbitrary JSON.

The point is to produce what a SwanLab server (or a user) may legally send and our own simulator
was not written to expect: keys with CSV and shell specials, unicode and emoji, 255+ characters,
case collisions, keys that look like numbers or like ``step``; doubles at the edges (NaN, ±inf,
-0.0, subnormals, ±1e308); configs nested deep with dotted and bracketed keys.
"""

from __future__ import annotations

import math
import os
import struct
from functools import lru_cache
from typing import Any

from hypothesis import Phase, settings
from hypothesis import strategies as st

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


def examples(ci: int, fuzz: int, *, shrink_in_ci: bool = True) -> settings:
    """``max_examples`` for the active profile; ``FUZZ_SCALE`` multiplies the fuzz count.

    Properties that pull a whole world cost ~a second per example, and shrinking a failure takes
    hundreds of them: with ``shrink_in_ci=False`` the ``ci`` profile reports the first failing
    example as found (with its reproduce blob); ``HYPOTHESIS_PROFILE=shrink`` runs the ``ci``
    examples and shrinks, to get the minimal case."""
    if PROFILE in ("ci", "shrink"):
        no_shrink = PROFILE == "ci" and not shrink_in_ci
        phases = [p for p in Phase if p is not Phase.shrink] if no_shrink else list(Phase)
        return settings(max_examples=ci, phases=phases)
    scale = float(os.environ.get("FUZZ_SCALE", "1"))
    return settings(max_examples=max(1, int(fuzz * scale)))


# -- text ---------------------------------------------------------------------------------------

CSV_SPECIALS = [",", '"', "'", "\n", "\r", "\t", ";", "\\", " ", "/", "%", "\ufeff"]
ODD_WORDS = [
    "step",
    "Step",
    "STEP",
    "_step",
    "timestamp",
    "0",
    "-1",
    "1e5",
    "1E-05",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "null",
    "None",
    "true",
    "损失/训练",
    "métrique",
    "🚀",
    "👩\u200d🔬",
    "a\x00b",
    "two\r\nlines",
    " lead",
    "trail ",
    "k" * 300,
    "x" * 255,
    "__swanlab__.gpu.0.util",
]

# Every code point that UTF-8 can carry (surrogates cannot travel in JSON bodies or CSVs).
any_char = st.characters(codec="utf-8")
hostile_char = st.one_of(any_char, st.sampled_from(CSV_SPECIALS))


@lru_cache
def hostile_text(min_size: int = 1, max_size: int = 24) -> st.SearchStrategy[str]:
    """Names from all of unicode, weighted towards the characters that break CSV and SQL."""
    made = st.text(hostile_char, min_size=min_size, max_size=max_size)
    words = st.sampled_from([w for w in ODD_WORDS if len(w) >= min_size])
    joined = st.lists(st.one_of(words, made), min_size=1, max_size=3).map("".join)
    return st.one_of(made, words, joined)


@lru_cache
def key_set(min_size: int = 1, max_size: int = 6) -> st.SearchStrategy[list[str]]:
    """Distinct metric keys, sometimes with case twins (``Loss`` beside ``loss``)."""

    @st.composite
    def build(draw: st.DrawFn) -> list[str]:
        keys: list[str] = draw(
            st.lists(hostile_text(), min_size=min_size, max_size=max_size, unique=True)
        )
        twin_wanted: bool = draw(st.booleans())
        if keys and twin_wanted:
            twin = keys[0].swapcase()
            if twin not in keys and len(keys) < max_size:
                keys.append(twin)
        return keys

    return build()


# -- numbers ------------------------------------------------------------------------------------

EDGE_FLOATS = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    1e-308,
    1e308,
    -1e308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
    1e-05,
    1e21,
    9007199254740993.0,
    0.1,
]

doubles = st.one_of(
    st.sampled_from(EDGE_FLOATS),
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
)

NAN_SPELLINGS = ["NaN", "nan", "NAN"]
INF_SPELLINGS = ["inf", "Inf", "INF", "+inf", "Infinity", "+Infinity", "infinity", "INFINITY"]
FINITE_FORMATS = ["repr", "%.17g", "%.17e", "%.17E", "+repr"]


def spell(value: float, choice: int) -> str:
    """One of the spellings a server may write for ``value`` (all parse back exactly)."""
    if math.isnan(value):
        return NAN_SPELLINGS[choice % len(NAN_SPELLINGS)]
    if math.isinf(value):
        word = INF_SPELLINGS[choice % len(INF_SPELLINGS)]
        return word if value > 0 else "-" + word.lstrip("+")
    fmt = FINITE_FORMATS[choice % len(FINITE_FORMATS)]
    if fmt == "repr":
        return repr(value)
    if fmt == "+repr":
        return repr(value) if math.copysign(1.0, value) < 0 else "+" + repr(value)
    return fmt % value


def spell_ms(ms: int, choice: int) -> str:
    """A millisecond timestamp as an integer or as a float (``1735689600123.0``, ``1.7e12``)."""
    forms = [str(ms), f"{float(ms)!r}", f"{float(ms):.15e}", f"{float(ms):.15E}"]
    return forms[choice % len(forms)]


def same_double(a: float | None, b: float | None) -> bool:
    """Equal as stored: NaN matches any NaN, -0.0 only -0.0, everything else bit for bit."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return struct.pack("<d", a) == struct.pack("<d", b)


def same_json(a: Any, b: Any) -> bool:
    """JSON values equal with floats compared bit for bit (-0.0 is not 0.0), ints kept whole."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, float) and isinstance(b, float) and same_double(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


# -- JSON ---------------------------------------------------------------------------------------

CONFIG_KEY_WORDS = ["a", "a.b", "a[0]", "[0]", "]", "[", ".", "..", "", "value", "desc", "sort"]

json_key = st.one_of(st.sampled_from(CONFIG_KEY_WORDS), hostile_text(min_size=0, max_size=12))
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([float(f) for f in EDGE_FLOATS if math.isfinite(f)]),
    st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True),
    hostile_text(min_size=0, max_size=16),
)


@lru_cache
def json_values(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """Arbitrary JSON (no NaN: JSON has no spelling for it): deep nesting, empty containers."""
    return st.recursive(
        json_scalar,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(json_key, children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


@lru_cache
def json_objects(max_leaves: int = 25) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(json_key, json_values(max_leaves), max_size=6)
