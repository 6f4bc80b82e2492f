"""Runs written by the real wandb SDK (committed under tests/wandb/data), read exactly.

The manifest says what the generator logged; see tests/wandb/realdata/make_offline_runs.py.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from swansync.sources.wandb.offline import (
    StatsRecord,
    find_runs,
    read_log,
    read_metadata,
    read_requirements,
)
from swansync.sources.wandb.offline.framing import Scan
from tests.wandb.manifest import DATA, Fixture, fixtures, read_fixture
from tests.wandb.realchecks import check_full, check_growing, check_killed

FIXTURES = fixtures()


def _by(scenario: str) -> list[Fixture]:
    return [f for f in FIXTURES if f.entry["scenario"] == scenario]


def _id(fx: Fixture) -> str:
    return f"{fx.sdk}-{fx.entry['scenario']}"


def test_the_committed_fixtures_cover_both_sdk_generations():
    assert {(f.sdk, f.entry["scenario"]) for f in FIXTURES} == {
        ("0.17.9", "full"),
        ("0.31.0", "full"),
        ("0.31.0", "killed"),
        ("0.31.0", "growing"),
    }
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert total < 400_000, f"fixtures grew to {total} bytes"


@pytest.mark.parametrize("fx", _by("full"), ids=_id)
def test_a_finished_run_reads_exactly_as_logged(fx):
    assert check_full(fx) == []


@pytest.mark.parametrize("fx", _by("full"), ids=_id)
def test_the_sdk_wrote_system_metrics_offline(fx):
    """Both SDKs sample system metrics at start even offline (one stats record here)."""
    result, _ = read_fixture(fx)
    stats = [r for r in result.records if isinstance(r, StatsRecord)]
    assert stats and all(r.values for r in stats)


@pytest.mark.parametrize("fx", _by("killed"), ids=_id)
def test_a_run_killed_mid_write_reads_to_its_last_complete_record(fx):
    assert check_killed(fx) == []


@pytest.mark.parametrize("fx", _by("growing"), ids=_id)
def test_a_run_read_while_it_grew_gives_the_same_records_as_one_read(fx, tmp_path):
    assert check_growing(fx, tmp_path / "live") == []


def test_the_0_31_summary_keeps_media_whole_and_the_internals_apart():
    (fx,) = [f for f in _by("full") if f.sdk == "0.31.0"]
    _, fold = read_fixture(fx)
    summary = fold.flat_summary()
    assert summary["media/hist"]["_type"] == "histogram"
    assert "runtime" in fold.summary_internal and "_wandb" not in fold.summary
    assert "_wandb" not in fold.config


def _boundaries(data: bytes) -> list[int]:
    return [frame.end for frame in Scan(io.BytesIO(data), 0, len(data))]


@pytest.mark.parametrize("fx", _by("full"), ids=_id)
def test_every_cut_of_a_real_log_gives_a_prefix_and_an_exact_resume_offset(fx):
    """Each cut point t: the records ending at or before t, and end_offset = the last of those
    ends. Checked from the previous record boundary (the resume path) for every t, and from 0
    for a spread of t; together with the resume equality this covers a read from 0 at every t."""
    data = fx.log.read_bytes()
    ends = _boundaries(data)
    fp = io.BytesIO(data)
    previous = 7
    for cut in range(len(data) + 1):
        scan = Scan(fp, previous if cut >= 7 else 0, cut)
        got = [f.end for f in scan]
        expected = [e for e in ends if previous < e <= cut] if cut >= 7 else []
        assert got == expected, cut
        assert scan.end in ("clean", "incomplete"), cut
        if got:
            previous = got[-1]
        assert scan.end_offset == (previous if cut >= 7 else 0), cut
    for cut in range(0, len(data) + 1, 97):
        scan = Scan(fp, 0, cut)
        assert [f.end for f in scan] == [e for e in ends if e <= cut]


def _tree(root: Path) -> dict[str, tuple[int, int, str]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            stat = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            out[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns, digest)
    return out


def test_reading_every_fixture_leaves_the_folder_untouched():
    before = _tree(DATA)
    found = find_runs(DATA)
    assert len(found.runs) == len(FIXTURES) and found.warnings == ()
    for run in found.runs:
        read_log(run.log)
        read_metadata(run)
        read_requirements(run)
    assert _tree(DATA) == before


def test_the_run_folders_and_their_files_are_found():
    runs = {r.run_id: r for r in find_runs(DATA).runs}
    assert set(runs) == {f.entry["run_id"] for f in FIXTURES}
    full_031 = runs["full0310"]
    assert full_031.offline and not full_031.synced
    assert full_031.output_log is not None and full_031.metadata is None
    assert any(line.startswith("wandb==0.31.0") for line in read_requirements(full_031))
    full_017 = runs["full0179"]
    metadata, warning = read_metadata(full_017)
    assert warning is None and metadata is not None
    assert str(metadata["python"]).startswith("3.")
