"""Console text for the contract: invalid UTF-8 and lone surrogates become U+FFFD, lines over
1 MiB are cut (on a character boundary) and marked, and a byte stream is split into lines with
bounded memory however long a line is."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from swansync.sources.base import LOG_CUT_MARKER, MAX_LOG_LINE
from swansync.sources.console import (
    REPLACED,
    RawLine,
    RepairLog,
    clean_text,
    cut_problem,
    decode_line,
    split_lines,
)


def test_plain_text_is_kept_as_is() -> None:
    for text in ("", "step 1 loss=0.5", "训练 ✓ 🚀", "\r 45%|████|\x1b[32mOK\x1b[0m\ttab"):
        assert clean_text(text) == (text, [])
        assert decode_line(text.encode()) == (text, [])


def test_invalid_bytes_become_one_replacement_each_like_python_replace() -> None:
    for raw in (b"bad \xff byte", b"\x80\xfe", b"cut lead \xc3( ascii", b"\xe4\xb8 half a char"):
        want = raw.decode("utf-8", "replace")
        assert decode_line(raw) == (want, ["invalid UTF-8 replaced by U+FFFD"])
        # the same bytes read leniently from a JSON body (surrogateescape) repair the same way
        assert clean_text(raw.decode("utf-8", "surrogateescape"))[0] == want


def test_a_lone_surrogate_escape_is_one_replacement() -> None:
    text, problems = clean_text("json \ud800 escape and \udcff byte")
    assert text == "json \ufffd escape and \ufffd byte" and problems
    text.encode("utf-8")  # storable


def test_a_line_over_1_mib_is_cut_on_a_character_boundary_and_marked() -> None:
    raw = ("x" * (MAX_LOG_LINE - 1) + "中" * 10).encode()  # the cut falls inside a 3-byte char
    text, problems = decode_line(raw)
    assert text == "x" * (MAX_LOG_LINE - 1) + LOG_CUT_MARKER.format(total=len(raw))
    assert problems == [f"longer than 1 MiB ({len(raw):,} bytes): cut"]
    assert clean_text(raw.decode())[0] == text
    # a cut line read again is not cut twice (the sync checks what sources hand over)
    assert clean_text(text) == (text, [])


def test_a_line_of_exactly_1_mib_is_not_cut() -> None:
    raw = b"y" * MAX_LOG_LINE
    assert decode_line(raw) == (raw.decode(), [])


def test_a_huge_line_is_never_held_whole() -> None:
    total = 5 * MAX_LOG_LINE
    chunks = [b"a\n", *(b"z" * 65536 for _ in range(total // 65536)), b"\nb"]
    lines = list(split_lines(chunks))
    assert [ln.total for ln in lines] == [1, total, 1]
    assert len(lines[1].head) == MAX_LOG_LINE + 4
    assert lines[2] == RawLine(b"b", 1, complete=False)
    text, _ = decode_line(lines[1].head, lines[1].total)
    assert text.endswith(LOG_CUT_MARKER.format(total=total))


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=80).map(lambda b: b.replace(b"q", b"\n")),
    keep=st.integers(min_value=1, max_value=12),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_split_lines_equals_a_plain_split_whatever_the_chunking(
    data: bytes, keep: int, seed: int
) -> None:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randint(0, 6))))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    parts = data.split(b"\n")
    want = [RawLine(p[:keep], len(p)) for p in parts[:-1]]
    if parts[-1]:
        want.append(RawLine(parts[-1][:keep], len(parts[-1]), complete=False))
    assert list(split_lines(chunks, keep=keep)) == want


def test_repaired_lines_are_one_warning_per_pull_that_counts_them() -> None:
    repairs = RepairLog()
    assert repairs.drain() == []
    repairs.add("p", "r1", 3, [REPLACED])
    assert repairs.drain() == ["console line 3 of run 'r1' (p): invalid UTF-8 replaced by U+FFFD"]
    for run in ("r1", "r2"):
        for seq in range(1, 31):
            repairs.add("p", run, seq, [REPLACED])
    repairs.add("q", "r3", 7, [REPLACED, cut_problem(2_000_000)])
    repairs.add("q", "r3", 8, [])  # nothing repaired
    assert repairs.drain() == [
        "console: 61 line(s) repaired in 3 run(s) (61 invalid UTF-8 replaced, 1 cut at 1 MiB); "
        "first: console line 1 of run 'r1' (p): invalid UTF-8 replaced by U+FFFD"
    ]
    assert repairs.drain() == []  # counted per pull
