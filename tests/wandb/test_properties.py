"""Property-based tests of the reader against hostile input.

- Record streams made by the independent test-side writer read back equal, whatever the keys,
  values, record sizes (records spanning blocks) and key spelling (``key`` or ``nested_key``).
- Any cut of a real log: a prefix of its records and a resume offset, never an exception.
- Random byte flips in a real log: never an exception but :class:`WandbFileError` (only for
  the 7 header bytes), and never a record that was not written: what comes back is a prefix.

The default profile is small and derandomized so ``make test`` stays fast and repeatable;
``SWANSYNC_HYPOTHESIS=thorough`` runs many more examples with fresh randomness.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swansync.sources.wandb.offline import (
    ConfigRecord,
    ExitRecord,
    HistoryRecord,
    StatsRecord,
    SummaryRecord,
    WandbFileError,
    read_log,
)
from tests.wandb import writer as w
from tests.wandb.manifest import fixtures

settings.register_profile(
    "wandb-fast",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "wandb-thorough",
    database=None,
    deadline=None,
    max_examples=1500,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(
    "wandb-thorough" if os.environ.get("SWANSYNC_HYPOTHESIS") == "thorough" else "wandb-fast"
)

REAL = {f"{f.sdk}-{f.entry['scenario']}": f.log.read_bytes() for f in fixtures()}
REAL_LOGS = [REAL["0.31.0-full"], REAL["0.31.0-killed"], REAL["0.17.9-full"]]
_ORIGINALS: dict[int, list[str]] = {}


def original(which: int) -> list[str]:
    """The records of REAL_LOGS[which] as reprs (read once)."""
    if which not in _ORIGINALS:
        _ORIGINALS[which] = [repr(r) for r in _read(REAL_LOGS[which]).records]
    return _ORIGINALS[which]


# ------------------------------------------------------------------ strategies

NO_SURROGATES: list[Literal["Cs"]] = ["Cs"]  # lone surrogates cannot be UTF-8 encoded

segments = st.text(
    alphabet=st.characters(exclude_categories=NO_SURROGATES, exclude_characters="."), max_size=12
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(exclude_categories=NO_SURROGATES), max_size=30),
    st.lists(st.floats(allow_nan=True) | st.integers(-5, 5), max_size=4),
    st.fixed_dictionaries(
        {"_type": st.sampled_from(["image-file", "table-file", "histogram"]), "n": st.integers()}
    ),
)


@st.composite
def items(draw: st.DrawFn, min_size: int = 0) -> list[tuple[tuple[str, ...], Any]]:
    """Items with distinct first segments (so no path is set twice or inside another)."""
    heads = draw(st.lists(segments, unique=True, min_size=min_size, max_size=6))
    out = []
    for head in heads:
        tail = draw(st.lists(segments, max_size=2))
        out.append(((head, *tail), draw(leaves)))
    return out


def _encode_item(path: tuple[str, ...], value: Any, nested: bool) -> bytes:
    if nested or len(path) == 1:
        return w.item(list(path), value, nested=nested)
    for part in reversed(path[1:]):  # the 0.17 spelling: the top key holds a JSON object
        value = {part: value}
    return w.item([path[0]], value, nested=False)


@st.composite
def streams(draw: st.DrawFn) -> list[tuple[str, Any, bytes]]:
    """(kind, what the reader must return, the record payload) for a random stream."""
    out: list[tuple[str, Any, bytes]] = []
    for num in range(1, draw(st.integers(1, 12)) + 1):
        kind = draw(st.sampled_from(["history", "summary", "config", "exit", "stats"]))
        nested = draw(st.booleans())
        if kind == "history":
            step = draw(st.integers(0, 2**40))
            its = [(("_step",), step), *draw(items())]
            if draw(st.integers(0, 4)) == 0:  # a record that spans blocks
                its.append((("pad",), "x" * draw(st.integers(30_000, 80_000))))
            body = w.history([_encode_item(p, v, nested) for p, v in its])
            expected: Any = (step, {".".join(p): v for p, v in its})
            out.append((kind, expected, w.record(w.HISTORY, body, num)))
        elif kind in ("summary", "config"):
            its = draw(items())
            removes = draw(st.lists(st.lists(segments, min_size=1, max_size=3), max_size=2))
            body = w.update(
                [w.item(list(p), v, nested=True) for p, v in its],
                [b"".join(w.f_bytes(2, part) for part in r) for r in removes],
            )
            expected = ([(p, v) for p, v in its], [tuple(r) for r in removes])
            field = w.SUMMARY if kind == "summary" else w.CONFIG
            out.append((kind, expected, w.record(field, body, num)))
        elif kind == "exit":
            code = draw(st.integers(-(2**31), 2**31 - 1))
            runtime = draw(st.integers(0, 2**31 - 1))
            body = w.exit_body(code & 0xFFFFFFFFFFFFFFFF, runtime)
            out.append((kind, (code, runtime), w.record(w.EXIT, body, num)))
        else:
            seconds = draw(st.integers(0, 2**34))
            keys = draw(st.lists(st.text(min_size=1, max_size=10), unique=True, max_size=4))
            values = {k: draw(st.floats(allow_nan=False) | st.integers(0, 10**6)) for k in keys}
            out.append((kind, (seconds, values), w.record(w.STATS, w.stats_body(seconds, values))))
    return out


def same(a: Any, b: Any) -> bool:
    """Exact equality: NaN equals NaN, -0.0 differs from 0.0, 1 differs from 1.0."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and repr(a) == repr(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _read(data: bytes, start: int = 0):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run-x.wandb"
        path.write_bytes(data)
        return read_log(path, start)


# ------------------------------------------------------------------ properties


@PROFILE
@given(streams())
def test_written_streams_read_back_equal(stream):
    data, ends = w.frame(payload for _, _, payload in stream)
    result = _read(data)
    assert result.end == "clean" and result.warnings == () and result.end_offset == ends[-1]
    assert len(result.records) == len(stream)
    for (kind, expected, _), rec in zip(stream, result.records, strict=True):
        if kind == "history":
            assert isinstance(rec, HistoryRecord)
            assert rec.step == expected[0] and same(dict(rec.values), expected[1])
        elif kind in ("summary", "config"):
            assert isinstance(rec, SummaryRecord if kind == "summary" else ConfigRecord)
            assert same([(i.path, i.value) for i in rec.update], expected[0])
            assert list(rec.remove) == expected[1]
        elif kind == "exit":
            assert isinstance(rec, ExitRecord) and (rec.exit_code, rec.runtime) == expected
        else:
            assert isinstance(rec, StatsRecord)
            assert rec.timestamp is not None and rec.timestamp.timestamp() == expected[0]
            assert same(dict(rec.values), expected[1])


@PROFILE
@given(st.sampled_from(range(len(REAL_LOGS))), st.data())
def test_any_cut_of_a_real_log_is_a_prefix_and_resumes_exactly(which, data):
    log = REAL_LOGS[which]
    cut = data.draw(st.integers(0, len(log)))
    head = _read(log[:cut])
    assert head.end in ("clean", "incomplete") and head.warnings == ()
    rest = _read(log, head.end_offset)
    assert [repr(r) for r in head.records + rest.records] == original(which)


@PROFILE
@given(
    st.sampled_from(range(len(REAL_LOGS))),
    st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), min_size=1, max_size=4),
)
def test_byte_flips_never_raise_and_never_invent_a_record(which, flips):
    log = REAL_LOGS[which]
    damaged = bytearray(log)
    for position, mask in flips:
        damaged[position % len(log)] ^= mask
    if any(p % len(log) < 7 for p, _ in flips) and bytes(damaged[:7]) != log[:7]:
        with pytest.raises(WandbFileError, match=r"not a W&B run log|format version"):
            _read(bytes(damaged))
        return
    result = _read(bytes(damaged))
    got = [repr(r) for r in result.records]
    assert got == original(which)[: len(got)]
    if result.end == "corrupt":
        assert len(result.warnings) >= 1 and "stopped at byte" in result.warnings[-1]


@PROFILE
@given(st.binary(max_size=3000))
def test_garbage_after_a_valid_header_never_raises(garbage):
    result = _read(w.HEADER + garbage)
    assert result.end_offset >= 7
    assert all(isinstance(warning, str) for warning in result.warnings)
