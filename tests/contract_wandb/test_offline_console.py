"""The real SDK (``wandb`` 0.31.0, offline) prints and logs images; the offline source mirrors
its console (from the log's output records: stream and time) and its media (the files the
SDK wrote, digests as it recorded them) exactly."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from swansync.config import Settings
from swansync.sources.wandb.offline.source import WandbOfflineSource
from swansync.sync import pull
from tests.wandb.realdata.sdk_env import SdkEnvError, ensure_sdk_python

pytestmark = [pytest.mark.contract, pytest.mark.slow]
WRITER = Path(__file__).resolve().parent / "console_writer.py"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        python = ensure_sdk_python("0.31.0")
    except SdkEnvError as exc:
        pytest.fail(f"cannot provide the real wandb SDK: {exc}", pytrace=False)
    work = tmp_path_factory.mktemp("sdk")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WANDB")}
    env.update(
        HOME=str(work),
        WANDB_MODE="offline",
        WANDB_DIR=str(work / "runs"),
        WANDB_CONFIG_DIR=str(work / "config"),
        WANDB_CACHE_DIR=str(work / "cache"),
        WANDB_DATA_DIR=str(work / "data"),
        WANDB_DISABLE_GIT="true",
        WANDB_ERROR_REPORTING="false",
        PYTHONIOENCODING="utf-8",
    )
    (work / "runs").mkdir()
    proc = subprocess.run(
        [str(python), str(WRITER)],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return work / "runs"


def test_the_sdk_console_and_images_are_mirrored(written: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    summary = pull(
        Settings(db=db, env={}, apply_views=False, media="download"),
        sources=[WandbOfflineSource(written)],
    )
    assert summary.status == "ok", summary.failures
    with duckdb.connect(str(db), read_only=True) as con:
        lines = con.execute("SELECT seq, stream, text, ts FROM logs ORDER BY seq").fetchall()
        media = con.execute(
            "SELECT key, step, idx, kind, caption, sha256, bytes, path FROM media "
            "ORDER BY key, step, idx"
        ).fetchall()
    texts = [(stream, text) for _, stream, text, _ in lines]
    assert texts == [
        ("stdout", "hello from stdout"),
        ("stdout", "written in two pieces"),
        ("stdout", "ünïcode ✓ 训练"),
        ("stderr", "to stderr"),
        ("stdout", "crlf line"),
        ("stdout", "last line"),
    ]
    assert [seq for seq, *_ in lines] == list(range(1, len(lines) + 1))
    assert all(ts is not None for *_, ts in lines)
    assert [(k, s, i, kind, cap) for k, s, i, kind, cap, *_ in media] == [
        ("pair", 1, 0, "image", None),
        ("pair", 1, 1, "image", None),
        ("sample", 0, 0, "image", "a caption"),
    ]
    for *_, sha, size, path in media:
        data = (tmp_path / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == Path(path).stem
        assert sha == Path(path).stem and size == len(data)  # as the SDK recorded them
