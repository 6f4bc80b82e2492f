"""`make bench` writes only under bench/results/ (untracked); BENCHMARKS.md is rendered only by
`make bench-report`, so measuring never leaves the tree dirty."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bench.run import latest_results, main, parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_a_bench_run_does_not_rewrite_the_tracked_markdown() -> None:
    assert parse_args([]).markdown is None
    assert parse_args([]).results_dir == ROOT / "bench" / "results"


def test_results_are_not_tracked() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "bench/results/x.json"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0


def test_report_renders_the_newest_results_file(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    earlier = json.loads((ROOT / "tests" / "bench" / "sample_result.json").read_text())
    for stamp, commit in (("20260101T000000Z", "old"), ("20260102T000000Z", "new")):
        (results / f"{stamp}.json").write_text(json.dumps(earlier | {"commit": commit}))
    assert latest_results(results).name == "20260102T000000Z.json"
    md = tmp_path / "BENCH.md"
    main(["--render", "latest", "--results-dir", str(results), "--markdown", str(md)])
    text = md.read_text()
    assert "20260102T000000Z.json" in text and "`new`" in text
    assert "swansync --help" in text
