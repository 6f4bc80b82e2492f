"""Local copies of media files: a content-addressed folder beside the warehouse.

``<warehouse folder>/media/<sha256[:2]>/<sha256>.<ext>``: the same bytes are stored once,
whatever run, key or name they came under. A file is written under ``media/.tmp/``, hashed as it
arrives, and renamed into place before the row that names it commits, so a crash leaves at most
an unnamed file (found and reused by the next pull), never a row naming a file that is not
there. Bounded: ``max_file`` bytes per file (announced sizes are refused before reading; the
rest are cut off as soon as they pass it) and a :class:`Budget` for the whole pull.

Knows no tracker and no database; :mod:`swansync.media_download` drives it.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from swansync.sources.base import MediaBody

FOLDER = "media"
_EXT = re.compile(r"^[a-z0-9]{1,10}$")
# Content types -> kinds, for items whose name said nothing ("other").
_KIND_PREFIXES = (
    ("image/gif", "video"),  # what SwanLab's Video writes
    ("image/", "image"),
    ("audio/", "audio"),
    ("video/", "video"),
    ("text/html", "html"),
    ("text/plain", "text"),
    ("text/markdown", "text"),
    ("model/", "object3d"),
    ("chemical/", "molecule"),
)


def kind_from_content_type(content_type: str | None) -> str | None:
    """The media kind a Content-Type says, or None."""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    for prefix, kind in _KIND_PREFIXES:
        if ctype.startswith(prefix):
            return kind
    return None


def extension(name: str | None, content_type: str | None) -> str:
    """A short, safe extension for a stored file: the name's last suffix, else the content
    type's, else ``bin``."""
    if name:
        path = unquote(urlsplit(name).path if "://" in name else name.split("?", 1)[0])
        suffix = PurePosixPath(path).suffix.lower().lstrip(".")
        if _EXT.match(suffix):
            return suffix
    if content_type:
        guessed = mimetypes.guess_extension(content_type.split(";", 1)[0].strip().lower())
        if guessed and _EXT.match(guessed.lstrip(".")):
            return guessed.lstrip(".")
    return "bin"


class TooBig(Exception):
    """The file is over the per-file bound (``size``: its size when known)."""

    def __init__(self, size: int | None) -> None:
        super().__init__(f"over the per-file bound ({size:,} bytes)" if size else "over the bound")
        self.size = size


class OverBudget(Exception):
    """The pull's total bound is used up."""


class Interrupted(Exception):
    """Reading the content broke midway (the caller may open it again)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class Budget:
    """Bytes a pull may still download (None: no bound); thread-safe."""

    def __init__(self, total: int | None) -> None:
        self.left = total
        self.used = 0
        self.exhausted = False
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self._lock:
            if self.left is not None and n > self.left:
                self.exhausted = True
                return False
            if self.left is not None:
                self.left -= n
            self.used += n
            return True

    def give_back(self, n: int) -> None:
        with self._lock:
            if self.left is not None:
                self.left += n
            self.used -= n


@dataclass(frozen=True)
class Stored:
    path: str  # relative to the warehouse's folder, with forward slashes
    sha256: str
    bytes: int
    reused: bool  # these bytes were stored already


class MediaStore:
    """The media folder beside one warehouse."""

    def __init__(self, root: Path, *, max_file: int | None, budget: Budget) -> None:
        self.root = root
        self.base = root / FOLDER
        self.tmp = self.base / ".tmp"
        self.max_file = max_file
        self.budget = budget
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}

    def clean_temp(self) -> None:
        """Remove what a crashed pull left half-written (one pull writes at a time: the
        warehouse is locked)."""
        if self.tmp.is_dir():
            shutil.rmtree(self.tmp, ignore_errors=True)

    def find(self, sha256: str) -> str | None:
        """The stored file holding these bytes, if any (relative path)."""
        sha256 = sha256.lower()
        with self._lock:
            if sha256 in self._known:
                return self._known[sha256]
        folder = self.base / sha256[:2]
        if folder.is_dir():
            for p in sorted(folder.glob(f"{sha256}.*")):
                rel = p.relative_to(self.root).as_posix()
                with self._lock:
                    self._known[sha256] = rel
                return rel
        return None

    def put(self, body: MediaBody, *, name: str | None) -> Stored:
        """Store the body's bytes (or find them stored); raises :class:`TooBig`,
        :class:`OverBudget` or :class:`Interrupted`, leaving nothing behind."""
        if body.size is not None and self.max_file is not None and body.size > self.max_file:
            body.close()
            raise TooBig(body.size)
        self.tmp.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp / uuid.uuid4().hex
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("wb") as f:
                try:
                    for chunk in body.chunks:
                        size += len(chunk)
                        if self.max_file is not None and size > self.max_file:
                            raise TooBig(body.size)
                        if not self.budget.take(len(chunk)):
                            size -= len(chunk)
                            raise OverBudget
                        digest.update(chunk)
                        f.write(chunk)
                except (TooBig, OverBudget):
                    raise
                except Exception as e:
                    raise Interrupted(e) from e
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            body.close()
            tmp.unlink(missing_ok=True)
            if size:
                self.budget.give_back(size)  # nothing of it was kept
            raise
        sha = digest.hexdigest()
        with self._lock:
            existing = self._known.get(sha)
        existing = existing or self.find(sha)
        if existing is not None:
            tmp.unlink(missing_ok=True)
            return Stored(existing, sha, size, True)
        final = self.base / sha[:2] / f"{sha}.{extension(name, body.content_type)}"
        final.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            existing = self._known.get(sha)
            if existing is None:
                os.replace(tmp, final)
                existing = final.relative_to(self.root).as_posix()
                self._known[sha] = existing
                reused = False
            else:
                tmp.unlink(missing_ok=True)
                reused = True
        return Stored(existing, sha, size, reused)
