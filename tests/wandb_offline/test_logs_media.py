"""Consoles and media of W&B offline folders: from output records (stream and time) or
``files/output.log``, media items from history values with the files on disk; exact, read once
per pull (a grown log costs its new bytes), read again from the start only when the warehouse's
bookmark lies behind, bad input costing only itself, the folder never written."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from swansync.config import Settings
from swansync.sources.base import LOG_CUT_MARKER, MAX_LOG_LINE, LogRecord, ProjectRecord, RunRecord
from swansync.sources.wandb.offline.source import WandbOfflineSource
from swansync.sync import pull
from tests.wandb import writer as w
from tests.wandb_offline import synth
from tests.wandb_offline.expect import DATA, pull_dir, rows, tree

T0 = synth.T0
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
JSON = b'{"columns": ["a"], "data": [[1]]}'


def out(stream: str, data: bytes, sec: int, num: int) -> bytes:
    """An ``output_raw`` record: stdout is output_type 1, stderr 0 (absent)."""
    body = (w.f_varint(1, 1) if stream == "stdout" else b"") + w.timestamp(2, sec)
    return w.record(w.OUTPUT_RAW, body + w.f_bytes(3, data), num=num)


def image(path: str, data: bytes, caption: str | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "_type": "image-file",
        "path": path,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "format": "png",
    }
    if caption:
        value["caption"] = caption
    return value


LONG = b"x" * (MAX_LOG_LINE + 10)
# (stream, bytes) chunks as a program wrote them, and the lines they make, in order.
CHUNKS: list[tuple[str, bytes]] = [
    ("stdout", b"epoch 1 start"),
    ("stderr", b"warn: slow\n"),
    ("stdout", b" done\nsecond line\r\n"),
    ("stdout", b"bad \xff\xfe bytes\n\xc3\xa9t\xc3\xa9\n"),
    ("stderr", LONG + b"\n"),
    ("stdout", b"no newline at the end"),
]
LINES = [
    ("stderr", "warn: slow", 1),
    ("stdout", "epoch 1 start done", 0),
    ("stdout", "second line", 2),
    ("stdout", "bad \ufffd\ufffd bytes", 3),
    ("stdout", "été", 3),
    ("stderr", "x" * MAX_LOG_LINE + LOG_CUT_MARKER.format(total=len(LONG)), 4),
    ("stdout", "no newline at the end", 5),  # taken once the run has ended
]


def media_rows() -> list[tuple[int, dict[str, Any]]]:
    return [
        (0, {"loss": 1.0, "img": image("media/images/img_0_aa.png", PNG, "first")}),
        (1, {"loss": 0.5, "hist": {"_type": "histogram", "values": [1], "bins": [0, 1]}}),
        (
            2,
            {
                "imgs": {
                    "_type": "images/separated",
                    "filenames": ["media/images/imgs_2_a.png", "media/images/imgs_2_b.png"],
                    "captions": ["a", "b"],
                    "count": 2,
                },
                "tbl": {
                    "_type": "table-file",
                    "path": "media/table/tbl_2_cc.table.json",
                    "sha256": hashlib.sha256(JSON).hexdigest(),
                    "size": len(JSON),
                },
                "evil": {"_type": "image-file", "path": "../../../etc/passwd", "size": 1},
            },
        ),
        (3, {"img": image("media/images/img_3_gone.png", b"never written")}),
    ]


def make_run(root: Path, *, exit_code: int | None = 0, chunks=CHUNKS) -> Path:
    payloads = synth.payloads("r1", media_rows(), exit_code=None)
    payloads[1:1] = [out(s, d, T0 + i, 100 + i) for i, (s, d) in enumerate(chunks)]
    if exit_code is not None:
        payloads.append(w.record(w.EXIT, w.exit_body(exit_code, 7), num=9999))
    data, _ = w.frame(payloads)
    log = synth.write_run(root, "r1", data)
    files = log.parent / "files"
    for rel, content in [
        ("media/images/img_0_aa.png", PNG),
        ("media/images/imgs_2_a.png", PNG[:50]),
        ("media/images/imgs_2_b.png", PNG[50:]),
        ("media/table/tbl_2_cc.table.json", JSON),
    ]:
        (files / rel).parent.mkdir(parents=True, exist_ok=True)
        (files / rel).write_bytes(content)
    (files / "output.log").write_text("ignored: the log has output records\n")
    return log


def logs(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT seq, stream, level, text, ts FROM logs ORDER BY seq")


def expected_logs(n: int = len(LINES)) -> list[tuple[Any, ...]]:
    return [
        (i + 1, s, None, t, datetime.fromtimestamp(T0 + c, UTC))
        for i, (s, t, c) in enumerate(LINES[:n])
    ]


def media(db: Path) -> list[tuple[Any, ...]]:
    return rows(
        db,
        "SELECT key, step, idx, kind, caption, url, sha256, bytes, content_type, path "
        "FROM media ORDER BY key, step, idx",
    )


def test_console_and_media_of_a_finished_run_are_exact(tmp_path):
    make_run(tmp_path / "dir")
    before = tree(tmp_path / "dir")
    db = tmp_path / "w.duckdb"
    summary, _ = pull_dir(db, tmp_path / "dir", media="download")
    assert summary.status == "ok", summary.failures
    assert logs(db) == expected_logs()
    sha = hashlib.sha256
    got = media(db)
    assert [g[:9] for g in got] == [
        ("img", 0, 0, "image", "first", None, sha(PNG).hexdigest(), len(PNG), "image/png"),
        ("img", 3, 0, "image", None, None, sha(b"never written").hexdigest(), 13, "image/png"),
        ("imgs", 2, 0, "image", "a", None, sha(PNG[:50]).hexdigest(), 50, "image/png"),
        ("imgs", 2, 1, "image", "b", None, sha(PNG[50:]).hexdigest(), len(PNG) - 50, "image/png"),
        ("tbl", 2, 0, "table", None, None, sha(JSON).hexdigest(), len(JSON), "application/json"),
    ]
    for key, step, _idx, *_, path in got:
        if (key, step) == ("img", 3):
            assert path is None  # its file is not there: that item only
            continue
        stored = (tmp_path / path).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == path.rsplit("/", 1)[1].split(".")[0]
    # One warning counts the repaired lines (bad bytes twice over one line, the cut line); the
    # missing file is a skip, not a failure.
    repaired = [x for x in summary.warnings if x.startswith("console")]
    assert len(repaired) == 1 and repaired[0].startswith(
        "console: 2 line(s) repaired in 1 run(s) (1 invalid UTF-8 replaced, 1 cut at 1 MiB)"
    ), summary.warnings
    assert rows(db, "SELECT key, step, status FROM _swansync.media_skips") == [("img", 3, "gone")]
    assert tree(tmp_path / "dir") == before  # nothing written into the folder
    again, src = pull_dir(db, tmp_path / "dir", media="download")
    assert again.rows["logs"] == 0 and again.rows["media"] == 0
    assert src.counters.by_route.get("log", 0) == 0  # a mirrored finished run: no read


def test_a_growing_log_gives_only_its_new_lines_and_items(tmp_path):
    """The log written in three pieces, cut inside a console line and between records of one
    step; each pull reads from the committed offset and the rows end the same as in one go."""
    root = tmp_path / "dir"
    full = make_run(root).read_bytes()
    payloads = synth.payloads("r1", media_rows(), exit_code=None)
    payloads[1:1] = [out(s, d, T0 + i, 100 + i) for i, (s, d) in enumerate(CHUNKS)]
    payloads.append(w.record(w.EXIT, w.exit_body(0, 7), num=9999))
    _, ends = w.frame(payloads)
    log = root / "wandb" / "offline-run-20260101_000000-r1" / "run-r1.wandb"
    db = tmp_path / "w.duckdb"
    cuts = [ends[1], ends[5], ends[8], len(full)]  # run + 1 chunk, + 4 chunks, + 2 rows, all
    seen = []
    for cut in cuts:
        log.write_bytes(full[:cut])
        summary, src = pull_dir(db, root)
        assert summary.status == "ok", summary.failures
        seen.append((len(logs(db)), len(media(db)), src.log_bytes))
    assert logs(db) == expected_logs()
    assert [m[:3] for m in media(db)] == [
        ("img", 0, 0),
        ("img", 3, 0),
        ("imgs", 2, 0),
        ("imgs", 2, 1),
        ("tbl", 2, 0),
    ]
    # stdout's first chunk waits for its newline; the last line waits for the run's end.
    assert [n for n, _, _ in seen] == [0, 6, 6, 7]
    assert [n for _, n, _ in seen] == [0, 0, 1, 5]
    assert [b for *_, b in seen][1:] == [7 + b - a for a, b in pairwise(cuts)]


def test_media_listed_late_and_full_pulls_read_the_log_again(tmp_path):
    make_run(tmp_path / "dir")
    db = tmp_path / "w.duckdb"
    pull_dir(db, tmp_path / "dir", media="none")
    assert media(db) == [] and logs(db) == expected_logs()
    summary, _ = pull_dir(db, tmp_path / "dir", media="list")  # the bookmark lies behind
    assert len(media(db)) == 5 and summary.rows["logs"] == 0
    summary, _ = pull_dir(db, tmp_path / "dir", full=True)
    assert logs(db) == expected_logs() and len(media(db)) == 5


class LogsDie(WandbOfflineSource):
    """Dies (a kill) after handing over two console lines, before they are written."""

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        for i, rec in enumerate(super().logs(project, run, after_seq)):
            if i == 2:
                raise KeyboardInterrupt
            yield rec


def test_a_kill_after_the_cursor_committed_loses_no_line(tmp_path):
    """The run's cursor commits with its metrics, before its console: the next pull finds the
    console bookmark behind the cursor and reads the log again from the start."""
    make_run(tmp_path / "dir")
    db = tmp_path / "w.duckdb"
    with pytest.raises(KeyboardInterrupt):
        pull(Settings(db=db, env={}, apply_views=False), sources=[LogsDie(tmp_path / "dir")])
    assert len(logs(db)) < len(LINES)
    summary, _ = pull_dir(db, tmp_path / "dir")
    assert summary.status == "ok" and logs(db) == expected_logs()


def test_output_log_is_the_console_of_a_log_without_output_records(tmp_path):
    root = tmp_path / "dir"
    payloads = synth.payloads("r2", synth.loss_rows(3), exit_code=None)
    data, _ = w.frame(payloads)
    log = synth.write_run(root, "r2", data)
    console = log.parent / "files" / "output.log"
    console.parent.mkdir(parents=True, exist_ok=True)
    console.write_bytes(b"one\r\ntw\xffo\nthree, still being wr")
    db = tmp_path / "w.duckdb"
    pull_dir(db, root)
    assert [(s, st, t) for s, st, _, t, _ in logs(db)] == [(1, None, "one"), (2, None, "tw\ufffdo")]
    with console.open("ab") as f:
        f.write(b"itten\nfour")
    with log.open("ab") as f:  # the run ends: its last line is final
        f.write(w.frame([w.record(w.EXIT, w.exit_body(0, 3))])[0][len(w.HEADER) :])
    _, src = pull_dir(db, root)
    assert [t for *_, t, _ in logs(db)] == [
        "one",
        "tw\ufffdo",
        "three, still being written",
        "four",
    ]
    # output.log is read on from the end of its last complete line
    assert src.counters.bytes - src.log_bytes == len(console.read_bytes()) - len(
        b"one\r\ntw\xffo\n"
    )
    assert all(r[4] is None for r in logs(db))  # output.log says no time


def test_the_committed_real_runs_console_and_media(tmp_path):
    """wandb 0.17.9 and 0.31.0 both write output_raw records; a SIGKILLed run's output.log
    lags them (one line of four)."""
    db = tmp_path / "w.duckdb"
    summary, _ = pull_dir(db, DATA)
    assert summary.status == "ok"
    got = rows(db, "SELECT run_id, seq, stream, text FROM logs ORDER BY run_id, seq")
    two = ["fixture line one", "ünïcode line two"]
    assert got == [
        *[("full0179", i + 1, "stdout", t) for i, t in enumerate(two)],
        *[("full0310", i + 1, "stdout", t) for i, t in enumerate(two)],
        *[("growing0310", i + 1, "stdout", f"ok {n}") for i, n in enumerate((60, 180, 300))],
        *[("killed0310c", i + 1, "stdout", f"ok {n}") for i, n in enumerate((40, 80, 120, 160))],
    ]
    assert rows(db, "SELECT run_id, key, step, idx, kind, bytes FROM media ORDER BY 1, 2") == [
        ("full0179", "media/image", 12, 0, "image", 77),
        ("full0179", "media/table", 12, 0, "table", 53),
        ("full0310", "media/image", 12, 0, "image", 77),
        ("full0310", "media/table", 12, 0, "table", 46),
    ]
