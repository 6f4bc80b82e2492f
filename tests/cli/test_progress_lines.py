"""Plain progress (a pipe, a log file): a line per phase and project, then one progress line
per interval while metrics arrive, never one per event."""

from __future__ import annotations

from swansync.cli.progress import PlainProgress


def test_plain_progress_lines_are_periodic_and_carry_totals_and_rates() -> None:
    now = [100.0]
    lines: list[str] = []
    p = PlainProgress(every=10.0, clock=lambda: now[0], emit=lines.append)
    p("targets", projects=1, source="s")
    p("phase", name="listing")
    p("listed", project="a/b", runs=200)
    p("phase", name="summaries")
    p("phase", name="metrics")
    p("project", project="a/b", runs=200, runs_to_fetch=200, points_expected=10_000_000)
    assert lines == [
        "listing runs",
        "reading summaries",
        "a/b: 200 runs listed, 200 with new metrics (~10,000,000 points)",
    ]
    for i in range(40):  # 40 runs in 20 s: two progress lines, not forty
        now[0] += 0.5
        p("bytes", total=(i + 1) * 1_000_000)
        p("fetched", project="a/b", run_id=str(i), points=50_000, failed=False)
    progress = lines[3:]
    assert len(progress) == 2
    assert progress[-1] == (
        "progress: 40/200 runs, 2,000,000/~10,000,000 points (100,000/s), "
        "40.0 MB (2.0 MB/s), 20s elapsed"
    )
    p("phase", name="views")
    p("phase", name="done")
    assert lines[-2] == "applying views"
    assert lines[-1].startswith("progress: 40/200 runs")  # a last line at the end
    # ... with the points counted, not estimated (the estimate was 10 M)
    assert "2,000,000 points (" in lines[-1] and "~" not in lines[-1]
