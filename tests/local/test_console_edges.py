"""Console files the SDK does not write every day: several day files, a line still being
written, bytes that are not UTF-8, a line over 1 MiB, and bookmarks falling anywhere (also
across read chunks). Checked on a copy of a real 0.10.3 folder and on generated files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swansync.sources.base import LOG_CUT_MARKER, MAX_LOG_LINE, RunRecord
from swansync.sources.swanlab.logdir import LogDirSource, console
from tests.local.expect import folder_digest
from tests.local.media_expect import load, runs_of


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return load("new").copy_to(tmp_path / "media-demo")


def _finished(src: LogDirSource) -> tuple[object, RunRecord, Path]:
    project, runs = runs_of(src)
    run = next(r for r in runs.values() if r["state"] == "FINISHED")
    return project, run, src.path / run["run_id"]


def _texts(src: LogDirSource, run: RunRecord, after: int | None = None) -> list[tuple[int, str]]:
    project, _ = runs_of(src)
    return [(r["seq"], r["text"]) for r in src.logs(project, run, after)]


def test_day_files_are_numbered_in_date_order(folder: Path) -> None:
    src = LogDirSource(folder)
    _, run, run_dir = _finished(src)
    before = _texts(src, run)
    (day,) = console.day_files(run_dir)
    (run_dir / "console" / "2099-01-02.log").write_bytes(b"next day\n")
    (run_dir / "console" / "2099-01-01.log").write_bytes(b"no newline at the end")  # not newest
    (run_dir / "console" / "notes.log").write_bytes(b"not the SDK's\n")
    n = len(before)
    assert _texts(src, run) == [*before, (n + 1, "no newline at the end"), (n + 2, "next day")]
    assert _texts(src, run, n + 1) == [(n + 2, "next day")]
    assert day.name < "2099-01-01.log"


def test_a_live_run_s_unfinished_last_line_waits(folder: Path) -> None:
    src = LogDirSource(folder)
    _, run, run_dir = _finished(src)
    (day,) = console.day_files(run_dir)
    n = len(_texts(src, run))
    with day.open("ab") as f:
        f.write(b"half-writ")
    live: RunRecord = {**run, "state": "RUNNING"}
    assert _texts(src, live, n) == []
    assert _texts(src, run, n) == [(n + 1, "half-writ")]  # the run ended: it is the last line
    with day.open("ab") as f:
        f.write("ten ✓\nnext\n".encode())
    assert _texts(src, live, n) == [(n + 1, "half-written ✓"), (n + 2, "next")]


def test_bytes_that_are_not_utf8_cost_only_their_line_and_one_warning(folder: Path) -> None:
    src = LogDirSource(folder)
    _, run, run_dir = _finished(src)
    (day,) = console.day_files(run_dir)
    n = len(_texts(src, run))
    with day.open("ab") as f:
        f.write(b"bad \xff\xfe bytes\nalso \xc3 bad\ngood \xc3\xa9\n")
    assert _texts(src, run, n) == [
        (n + 1, "bad \ufffd\ufffd bytes"),
        (n + 2, "also \ufffd bad"),
        (n + 3, "good é"),
    ]
    (warning,) = src.warnings()
    assert run["run_id"] in warning and "not in UTF-8" in warning and "(2;" in warning


def test_a_line_over_1_mib_is_cut_with_a_marker_and_one_warning(folder: Path) -> None:
    src = LogDirSource(folder)
    _, run, run_dir = _finished(src)
    (day,) = console.day_files(run_dir)
    n = len(_texts(src, run))
    long_ascii = b"x" * (3 * MAX_LOG_LINE)
    long_wide = "é".encode() * MAX_LOG_LINE  # 2 bytes each: the cut falls inside none
    with day.open("ab") as f:
        f.write(long_ascii + b"\n" + long_wide + b"\nafter\n")
    got = _texts(src, run, n)
    assert [seq for seq, _ in got] == [n + 1, n + 2, n + 3]
    assert got[0][1] == "x" * MAX_LOG_LINE + LOG_CUT_MARKER.format(total=len(long_ascii))
    assert got[1][1] == "é" * (MAX_LOG_LINE // 2) + LOG_CUT_MARKER.format(total=len(long_wide))
    assert got[2][1] == "after"
    (warning,) = src.warnings()
    assert "over 1 MiB cut" in warning and "(2;" in warning


def test_error_log_is_the_last_line_once_the_run_has_ended(folder: Path) -> None:
    src = LogDirSource(folder)
    project, runs = runs_of(src)
    crashed = next(r for r in runs.values() if r["state"] == "CRASHED")
    lines = list(src.logs(project, crashed, None))
    assert lines[-1]["level"] == "ERROR"
    live: RunRecord = {**crashed, "state": "RUNNING"}
    assert [r["seq"] for r in src.logs(project, live, None)] == [r["seq"] for r in lines[:-1]]
    assert list(src.logs(project, crashed, lines[-1]["seq"])) == []


def test_reading_never_changes_the_folder(folder: Path) -> None:
    before = folder_digest(folder)
    src = LogDirSource(folder)
    project, runs = runs_of(src)
    for run in runs.values():
        list(src.logs(project, run, None))
        list(src.logs(project, run, 3))
    assert folder_digest(folder) == before


def _reference(lines: list[bytes], tail: bytes, ended: bool) -> list[tuple[int, str]]:
    out = [(i + 1, b.decode("utf-8", errors="replace")) for i, b in enumerate(lines)]
    if tail and ended:
        out.append((len(out) + 1, tail.decode("utf-8", errors="replace")))
    return out


_LINE = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"."))


@settings(max_examples=150, deadline=None)
@given(
    files=st.lists(st.tuples(st.lists(_LINE, max_size=6), _LINE), min_size=1, max_size=3),
    chunk=st.integers(min_value=1, max_value=9),
    ended=st.booleans(),
    data=st.data(),
)
def test_any_bookmark_gives_exactly_the_rest(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[tuple[list[bytes], bytes]],
    chunk: int,
    ended: bool,
    data: st.DataObject,
) -> None:
    """Day files of any lines (empty ones, any bytes, a tail without newline) read in chunks
    of any size: the lines after any bookmark, numbered as one file read whole would be."""
    run_dir = tmp_path_factory.mktemp("run")
    (run_dir / "console").mkdir()
    expected_lines: list[bytes] = []
    last_tail = b""
    for i, (lines, tail) in enumerate(files):
        raw = b"".join(line + b"\n" for line in lines) + tail
        (run_dir / "console" / f"2026-01-{i + 1:02d}.log").write_bytes(raw)
        newest = i == len(files) - 1
        expected_lines += lines
        if tail and not newest:
            expected_lines.append(tail)
        last_tail = tail if newest else b""
    want = _reference(expected_lines, last_tail, ended)
    after = data.draw(st.integers(min_value=0, max_value=len(want) + 1))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(console, "_CHUNK", chunk)
        got = [(line.seq, line.text) for line in console.read_console(run_dir, after, ended)]
    assert got == want[after:]


def test_0_7_lines_the_record_stream_lacks_still_come_with_their_text(tmp_path: Path) -> None:
    """The SDK buffers backup.swanlab: a live run's newest lines (a killed run's last ones) are
    only in the console file. They come anyway, without level, stream or time."""
    folder = load("old").copy_to(tmp_path / "media-demo")
    src = LogDirSource(folder)
    project, runs = runs_of(src)
    run = next(r for r in runs.values() if r["state"] == "FINISHED")
    whole = list(src.logs(project, run, None))
    stream = folder / run["run_id"] / "backup.swanlab"
    data = stream.read_bytes()
    stream.write_bytes(data[: data.index(b"== media ==")])  # cut inside that line's record
    cut_at = next(r["seq"] for r in whole if r["text"] == "== media ==")
    again = list(LogDirSource(folder).logs(project, run, None))
    assert [(r["seq"], r["text"]) for r in again] == [(r["seq"], r["text"]) for r in whole]
    assert again[: cut_at - 1] == whole[: cut_at - 1]
    assert all((r["level"], r["stream"], r["ts"]) == (None,) * 3 for r in again[cut_at - 1 :])
    # a line whose text is not the record's (the counter and the file disagree) keeps its own
    day = next((folder / run["run_id"] / "console").glob("2*.log"))
    day.write_bytes(day.read_bytes().replace(b"plain ascii line", b"plain ASCII line"))
    changed = next(r for r in LogDirSource(folder).logs(project, run, None) if "ASCII" in r["text"])
    assert changed["level"] is None and changed["ts"] is None
