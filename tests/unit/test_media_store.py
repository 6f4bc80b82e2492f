"""The content-addressed media folder: same bytes stored once, nothing half-written left in
place, bounds per file (announced or discovered while reading) and per pull."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from swansync.media_store import (
    Budget,
    Interrupted,
    MediaStore,
    OverBudget,
    TooBig,
    extension,
    kind_from_content_type,
)
from swansync.sources.base import MediaBody


def body(data: bytes, *, size: int | None = None, ctype: str | None = None) -> MediaBody:
    return MediaBody(iter([data[i : i + 7] for i in range(0, len(data), 7)]), ctype, size)


def store(tmp_path: Path, max_file: int | None = None, total: int | None = None) -> MediaStore:
    return MediaStore(tmp_path, max_file=max_file, budget=Budget(total))


def test_bytes_land_under_their_digest_and_are_stored_once(tmp_path: Path) -> None:
    s = store(tmp_path)
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    sha = hashlib.sha256(data).hexdigest()
    first = s.put(body(data), name="media/samples/003-0-abc.png")
    assert first.path == f"media/{sha[:2]}/{sha}.png" and not first.reused
    assert (tmp_path / first.path).read_bytes() == data and first.bytes == len(data)
    # The same bytes under another name (and another extension) are not stored again.
    again = store(tmp_path).put(body(data), name="https://x/y/other.jpeg?sig=1")
    assert again.path == first.path and again.reused
    assert [p.name for p in (tmp_path / "media").rglob("*") if p.is_file()] == [f"{sha}.png"]
    assert s.find(sha.upper()) == first.path


def test_nothing_is_left_behind_when_a_read_breaks(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield b"first part"
        raise ConnectionResetError("reset mid-body")

    s = store(tmp_path, total=1000)
    with pytest.raises(Interrupted):
        s.put(MediaBody(broken()), name="a.png")
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert s.budget.used == 0  # what was read and thrown away is given back


def test_a_file_over_the_bound_is_refused_before_or_while_reading(tmp_path: Path) -> None:
    s = store(tmp_path, max_file=100)
    closed: list[bool] = []

    def chunks() -> Iterator[bytes]:
        try:
            yield b"x" * 1000
        finally:
            closed.append(True)

    with pytest.raises(TooBig) as announced:
        s.put(MediaBody(chunks(), size=1000), name="big.wav")
    assert announced.value.size == 1000
    with pytest.raises(TooBig):
        s.put(body(b"y" * 101), name="unannounced.wav")
    assert s.put(body(b"z" * 100), name="fits.wav").bytes == 100
    assert not list((tmp_path / "media" / ".tmp").iterdir())


def test_the_pull_budget_stops_downloads_once_used_up(tmp_path: Path) -> None:
    s = store(tmp_path, total=50)
    assert s.put(body(b"a" * 30), name="a.txt").bytes == 30
    with pytest.raises(OverBudget):
        s.put(body(b"b" * 30), name="b.txt")
    assert s.budget.exhausted and s.budget.used == 30


def test_clean_temp_removes_what_a_crash_left(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.tmp.mkdir(parents=True)
    (s.tmp / "half-written").write_bytes(b"...")
    s.clean_temp()
    assert not s.tmp.exists()


def test_extensions_and_kinds() -> None:
    assert extension("media/k/001-0-ab.PNG", None) == "png"
    assert extension("https://h/a/b.wav?X-Amz-Signature=1", None) == "wav"
    assert extension("media/k/no-extension", "image/jpeg") in ("jpg", "jpeg")
    assert extension(None, None) == "bin"
    assert extension("weird.e x t", None) == "bin"
    assert kind_from_content_type("image/gif") == "video"  # what SwanLab's Video writes
    assert kind_from_content_type("image/png; q=1") == "image"
    assert kind_from_content_type("audio/wav") == "audio"
    assert kind_from_content_type("text/html; charset=utf-8") == "html"
    assert kind_from_content_type("application/octet-stream") is None
