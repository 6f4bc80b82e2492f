"""A run's media, read from its folder.

A media series is stored like a scalar one, in ``logs/<kid>/<N>.log`` slices, one JSON line per
step: ``{"index": step, "data": [item, ...], "more": [{"caption": ...} | null, ...]}``. An
item is a file name, or for text the text itself. Where the files are:

* **0.10.x**: ``media/<medium>/<step:03d>-<sha256[:8]>.<ext>`` (medium = image, audio, text,
  video, ...), plus links to them in ``media/<kid>/`` for images and audio. A text item's file
  is ``media/text/<step:03d>-<sha256(text)[:8]>.txt``.
* **0.7.x**: ``media/<kid>/<type>-step<step>-<sha256[:16]>.<ext>``; texts live only in the
  slice lines.

Every file's size and SHA-256 are read here (its bytes are hashed once, when its step is new);
the ``ref`` of an item is the file's path, or ``inline:<text>`` for a text with no file, so
:func:`content` needs nothing else. Item names are used only when they are plain file names,
and a file is read only when it resolves inside the log folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from swansync.errors import NotFoundError
from swansync.sources.base import Counters, MediaBody, MediaRecord
from swansync.sources.swanlab.local import (
    TEXT_CONTENT_TYPE,
    Problems,
    caption_of,
    content_type,
    plain_name,
)
from swansync.sources.swanlab.logdir import files

INLINE = "inline:"
_READ = 1 << 20


@dataclass(frozen=True)
class Where:
    """A media key of one run: its slices folder (``logs/<kid>``) and its kind."""

    folder: Path
    kind: str


def _digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with path.open("rb") as f:
        while chunk := f.read(_READ):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


class MediaReader:
    """Media items of the runs of one log folder (``root``), for one pull."""

    def __init__(self, root: Path, problems: Problems) -> None:
        self.root = root
        self.problems = problems

    def _inside(self, path: Path) -> Path | None:
        """The file ``path`` resolves to, if it exists and lies inside the log folder."""
        try:
            real = path.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError, RuntimeError, OSError):
            return None
        return real if real.is_file() and real.is_relative_to(self.root) else None

    def _file(self, run_dir: Path, where: Where, name: str) -> Path | None:
        for folder in (where.kind, where.folder.name):
            candidate = self._inside(run_dir / "media" / folder / name)
            if candidate is not None:
                return candidate
        return None

    def items(
        self,
        project: str,
        run_id: str,
        key: str,
        where: Where,
        after_step: int | None,
    ) -> Iterator[MediaRecord]:
        run_dir = self.root / run_id
        for point in files.read_points(where.folder, after_step):
            step: int = point["index"]
            data = point.get("data")
            values = data if isinstance(data, list) else [data]
            for idx, value in enumerate(values):
                rec: MediaRecord = {
                    "project": project,
                    "run_id": run_id,
                    "key": key,
                    "step": step,
                    "idx": idx,
                    "kind": where.kind,
                    "caption": caption_of(point.get("more"), idx),
                    "url": None,
                    "content_type": None,
                    "sha256": None,
                    "bytes": None,
                    "ref": None,
                }
                if where.kind == "text":
                    self._text(rec, run_dir, value)
                else:
                    self._stored(rec, run_dir, where, value)
                yield rec

    def _text(self, rec: MediaRecord, run_dir: Path, value: Any) -> None:
        text = value if isinstance(value, str) else str(value)
        raw = text.encode("utf-8", errors="surrogatepass")
        sha = hashlib.sha256(raw).hexdigest()
        rec["content_type"] = TEXT_CONTENT_TYPE
        rec["sha256"], rec["bytes"] = sha, len(raw)
        path = self._inside(run_dir / "media" / "text" / f"{rec['step']:03d}-{sha[:8]}.txt")
        if path is not None:
            rec["url"], rec["ref"] = path.as_uri(), str(path)
        else:
            rec["ref"] = INLINE + text

    def _stored(self, rec: MediaRecord, run_dir: Path, where: Where, value: Any) -> None:
        name = plain_name(value)
        if name is None:
            self.problems.add(
                rec["run_id"],
                "media items that name no plain file (not read)",
                f"{rec['key']} step {rec['step']}: {str(value)[:80]!r}",
            )
            return
        rec["content_type"] = content_type(name)
        path = self._file(run_dir, where, name)
        if path is None:
            self.problems.add(
                rec["run_id"],
                "media files missing from the run folder",
                f"{rec['key']} step {rec['step']}: {name}",
            )
            return
        try:
            rec["sha256"], rec["bytes"] = _digest(path)
        except OSError as e:
            self.problems.add(rec["run_id"], "media files that cannot be read", f"{path}: {e}")
            return
        rec["url"], rec["ref"] = path.as_uri(), str(path)

    def content(self, item: MediaRecord, counters: Counters) -> MediaBody:
        """The item's content: the file its ``ref`` names (inside the log folder only), opened
        now (NotFoundError when it is gone) and read lazily, or the inline text."""
        ref = item["ref"]
        what = f"{item['run_id']} {item['key']!r} step {item['step']} #{item['idx']}"
        if ref is None:
            raise NotFoundError(f"media {what}: no file in the log folder")
        if ref.startswith(INLINE):
            raw = ref[len(INLINE) :].encode("utf-8", errors="surrogatepass")
            return MediaBody(iter([raw]), TEXT_CONTENT_TYPE, len(raw))
        path = self._inside(Path(ref))
        if path is None:
            raise NotFoundError(f"media {what}: {ref} is gone (or lies outside {self.root})")
        try:
            f = path.open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"media {what}: {ref} is gone") from None
        size = os.fstat(f.fileno()).st_size
        return MediaBody(_chunks(f, counters), item["content_type"] or content_type(ref), size)


def _chunks(f: BinaryIO, counters: Counters) -> Iterator[bytes]:
    with f:
        while chunk := f.read(_READ):
            counters.add_bytes(len(chunk))
            yield chunk
