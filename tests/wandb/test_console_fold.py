"""Console lines from raw chunks (``swansync.sources.wandb.console``): however a program's
output was cut into chunks, interleaved between stdout and stderr, and however a pull's read
was cut between them (the fold saved to a cursor and taken up again), the lines are the same."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from swansync.sources.wandb.console import LineFold, file_lines

TEXT = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b""))
LINES = st.lists(st.tuples(st.sampled_from(["stdout", "stderr"]), TEXT), max_size=12)


@given(LINES, st.data())
def test_any_chunking_and_any_cut_give_the_same_lines(lines, data):
    # Each line cut into pieces; the pieces of stdout and stderr interleaved at random (each
    # stream keeps its own order), as two writers sharing one console do.
    queues: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    for stream, text in lines:
        raw = text.replace(b"\n", b" ") + b"\n"
        top = len(raw) - 1
        cuts = sorted(data.draw(st.sets(st.integers(1, top), max_size=3))) if top else []
        queues[stream] += [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    chunks: list[tuple[str, bytes]] = []
    while queues["stdout"] or queues["stderr"]:
        ready = [s for s in ("stdout", "stderr") if queues[s]]
        stream = data.draw(st.sampled_from(ready))
        chunks.append((stream, queues[stream].pop(0)))
    # The oracle: each stream's bytes up to each newline, in the order the newlines came.
    want, pending = [], {"stdout": b"", "stderr": b""}
    for stream, piece in chunks:
        pending[stream] += piece
        if pending[stream].endswith(b"\n"):
            want.append((stream, pending[stream][:-1].decode("utf-8", "replace")))
            pending[stream] = b""
    stop = data.draw(st.integers(0, len(chunks)))
    fold = LineFold()
    got = []
    for i, (stream, piece) in enumerate(chunks):
        if i == stop:  # a pull ends here: the fold goes into a cursor and comes back
            fold = LineFold.load(json.loads(json.dumps(fold.dump())))
        got += fold.add(stream, piece, None)
    assert [(ln.stream, ln.text) for ln in got] == want
    assert [ln.seq for ln in got] == list(range(1, len(want) + 1))
    assert fold.flush() == []


@given(st.lists(TEXT, max_size=10), st.data())
def test_an_output_log_read_from_any_line_on_gives_the_rest(lines, data):
    raw = b"".join(
        t.replace(b"\n", b" ") + (b"\r\n" if i % 3 == 2 else b"\n") for i, t in enumerate(lines)
    )
    whole = list(file_lines([raw], 0, 1, False))
    assert [fl.line.text for fl in whole] == [
        t.replace(b"\n", b" ").decode("utf-8", "replace") for t in lines
    ]
    k = data.draw(st.integers(0, len(whole)))
    start = whole[k - 1].end if k else 0
    rest = list(file_lines([raw[start:]], start, k + 1, False))
    assert rest == whole[k:]


def test_a_last_line_without_newline_waits_for_the_end():
    assert [fl.line.text for fl in file_lines([b"a\nb"], 0, 1, False)] == ["a"]
    assert [fl.line.text for fl in file_lines([b"a\nb"], 0, 1, True)] == ["a", "b"]
    fold = LineFold()
    assert fold.add("stdout", b"partial", 5) == []
    (line,) = fold.flush()
    assert (line.seq, line.text, line.ts_ms, line.stream) == (1, "partial", 5, "stdout")
