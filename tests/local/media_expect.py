"""What a source must give for the console-and-media log folders of ``tests/local/realmedia``
(written by ``make_media_runs.py`` with the real SDK), checked against their manifests."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swansync.sources.base import LogRecord, MediaRecord, ProjectRecord, RunRecord
from tests.support.sources import resolve_all

REALMEDIA = Path(__file__).resolve().parent / "realmedia"
FLAVOURS = {"new": "0.10.3", "old": "0.7.20"}
PROJECT = "media-demo"
# Both SDKs register only line/image/audio/text series in runs.swanlab, so an ECharts series is
# invisible to the dashboard; a folder names it from the SDK's record stream (0.7.x declares it
# in backup.swanlab, 0.10.x logs its items in run-<id>.swanlab).
UNREGISTERED = {"charts/line", "samples/cloud", "samples/page"}


@dataclass(frozen=True)
class Fixture:
    flavour: str
    root: Path  # holds manifest.json and the log folder
    manifest: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.manifest["swanlab"])

    @property
    def new(self) -> bool:
        return self.flavour == "new"

    def folder(self) -> Path:
        return self.root / PROJECT

    def copy_to(self, target: Path) -> Path:
        """A private copy of the log folder (symlinks kept as links)."""
        shutil.copytree(self.folder(), target, symlinks=True)
        return target

    def expected_media(self, *, registered_only: bool = False) -> list[dict[str, Any]]:
        """The manifest's media items a source can name: a folder all, the dashboard only
        those of registered series."""
        skip = UNREGISTERED if registered_only else set()
        return [
            dict(item, run_dir=run["run_dir"])
            for run in self.manifest["runs"]
            for item in run["media"]
            if item["key"] not in skip
        ]


def load(flavour: str, root: Path | None = None) -> Fixture:
    base = root or REALMEDIA / f"logdir-{FLAVOURS[flavour]}"
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    return Fixture(flavour, base, manifest)


def runs_of(src: Any) -> tuple[ProjectRecord, dict[str, RunRecord]]:
    (project,) = resolve_all(src)
    return project, {r["run_id"]: r for r in src.list_runs(project)}


def media_keys(src: Any, project: ProjectRecord, run: RunRecord) -> list[str]:
    return [k["key"] for k in src.metric_keys(project, run) if k["kind"] == "MEDIA"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_console(
    fx: Fixture, run_man: dict[str, Any], lines: list[LogRecord], *, detailed: bool = True
) -> None:
    """The run's console as the SDK wrote it: contiguous seq from 1, what we printed in order
    (stdout and stderr, unicode, the SDK's cut of the long line), the error of a crashed run
    as a final ERROR line, and, when ``detailed`` (a 0.7.x folder), the SDK's level, stream
    and time of each line."""
    assert [r["seq"] for r in lines] == list(range(1, len(lines) + 1))
    texts = [r["text"] for r in lines]
    printed = run_man["console"]
    start = texts.index("== begin ==")
    block = lines[start : start + len(printed)]
    assert [r["text"] for r in block] == [p["text"] for p in printed]
    error = run_man["error"]
    if error is None:
        assert all(r["level"] != "ERROR" for r in lines)
    else:
        assert lines[-1]["level"] == "ERROR" and lines[-1]["text"] == error
    body = lines[:-1] if error is not None else lines
    if not detailed:  # the dashboard gives only the text
        assert all(r["level"] is None and r["stream"] is None and r["ts"] is None for r in body)
        return
    # the SDK's record stream: its time of each line, its level (0.10.x: INFO for every console
    # line, stderr too, and no stream; 0.7.x: INFO for stdout, WARN for stderr)
    stamps = [r["ts"] for r in body]
    assert all(t is not None for t in stamps) and stamps == sorted(stamps)  # type: ignore[type-var]
    if fx.new:
        assert all(r["level"] == "INFO" and r["stream"] is None for r in body)
        assert error is None or lines[-1]["ts"] is None  # error.log's time is the writer's local
    else:
        assert [r["stream"] for r in block] == [p["stream"] for p in printed]
        assert [r["level"] for r in block] == [
            "INFO" if p["stream"] == "stdout" else "WARN" for p in printed
        ]
        assert error is None or lines[-1]["ts"] is not None


def check_media(
    fx: Fixture,
    records: list[MediaRecord],
    contents: dict[tuple[str, str, int, int], bytes],
    *,
    registered_only: bool = False,
) -> None:
    """Every media item the manifest lists, exactly: kind, caption, and the bytes the SDK
    encoded (size and SHA-256 from the record where the source gives them, and from the
    content always); nothing else."""
    got = {(r["run_id"], r["key"], r["step"], r["idx"]): r for r in records}
    expected = fx.expected_media(registered_only=registered_only)
    want = {(m["run_dir"], m["key"], m["step"], m["idx"]): m for m in expected}
    assert set(got) == set(want)
    for k, m in want.items():
        rec = got[k]
        assert rec["kind"] == m["kind"], k
        assert rec["caption"] == m["caption"], k
        assert rec["content_type"] is not None and rec["content_type"].split("/")[0] in (
            "image",
            "audio",
            "text",
            "application",
        ), k
        if rec["sha256"] is not None:
            assert rec["bytes"] == len(contents[k]), k
            assert rec["sha256"] == sha(contents[k]), k
        if m["sha256"] is not None:
            assert sha(contents[k]) == m["sha256"], k
            assert len(contents[k]) == m["bytes"], k
