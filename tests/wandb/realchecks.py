"""Checks of real SDK runs against their manifest, shared by the committed-fixture tests and
the integration test that regenerates the runs. Each returns a list of problems (empty = ok)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from swansync.sources.wandb.offline import (
    EnvironmentRecord,
    OutputRecord,
    RunRecord,
    StatsRecord,
    find_runs,
    read_log,
    read_metadata,
    run_state,
)
from tests.wandb.manifest import Fixture, history, mismatches, read_fixture, row_mismatches


def check_full(fx: Fixture) -> list[str]:
    result, fold = read_fixture(fx)
    entry = fx.entry
    problems = list(result.warnings)
    if result.end != "clean" or result.end_offset != result.file_size:
        problems.append(f"ended {result.end} at {result.end_offset} of {result.file_size}")
    run = fold.run
    if not isinstance(run, RunRecord):
        return [*problems, "no run record"]
    got = (run.run_id, run.entity, run.project, run.display_name, list(run.tags))
    want = (
        entry["run_id"],
        entry["entity"],
        entry["project"],
        entry["display_name"],
        entry["tags"],
    )
    if got != want:
        problems.append(f"run record {got} != {want}")
    if (run.group, run.job_type, run.notes) != (entry["group"], entry["job_type"], entry["notes"]):
        problems.append(f"group/job type/notes {(run.group, run.job_type, run.notes)}")
    if not isinstance(run.start_time, datetime) or run.start_time.tzinfo is None:
        problems.append(f"start time {run.start_time!r}")
    problems += mismatches({"dict": entry["config"]}, fold.config, "config", False)
    problems += row_mismatches(entry["rows"], history(result), fx.int_floats)
    if len(history(result)) != len(entry["rows"]):
        problems.append(f"{len(history(result))} rows, {len(entry['rows'])} logged")
    summary = {k: v for k, v in fold.flat_summary().items() if not k.startswith("_")}
    problems += mismatches({"dict": entry["summary"]}, summary, "summary", fx.int_floats)
    if fold.exit is None or fold.exit.exit_code != entry["exit_code"]:
        problems.append(f"exit {fold.exit!r}, expected code {entry['exit_code']}")
    problems += _media_files(fx, summary)
    problems += _stats(result.records)
    problems += _console(fx, result.records)
    problems += _machine(fx, result.records)
    return problems


def _media_files(fx: Fixture, summary: dict[str, object]) -> list[str]:
    problems = []
    for key in fx.entry["media"]:
        value = summary.get(key)
        path = value.get("path") if isinstance(value, dict) else None
        if isinstance(path, str) and not (fx.folder / "files" / path).is_file():
            problems.append(f"{key}: media file {path} not in the run folder")
    return problems


def _stats(records: tuple[object, ...]) -> list[str]:
    problems = []
    for rec in records:
        if isinstance(rec, StatsRecord):
            if rec.timestamp is None or rec.timestamp.tzinfo is None or not rec.values:
                problems.append(f"stats record {rec!r}")
            for key, value in rec.values.items():
                if not isinstance(value, int | float) or isinstance(value, bool):
                    problems.append(f"stats {key} = {value!r}")
    return problems


def _console(fx: Fixture, records: tuple[object, ...]) -> list[str]:
    """0.31.0 writes the console to files/output.log; 0.17.9 to output_raw records."""
    lines = [r.line.rstrip("\n") for r in records if isinstance(r, OutputRecord)]
    found = find_runs(fx.folder).runs[0]
    if found.output_log is not None:
        lines += found.output_log.read_text(encoding="utf-8").splitlines()
    missing = [line for line in fx.entry["stdout_lines"] if line not in lines]
    return [f"console lines missing: {missing}"] if missing else []


def _machine(fx: Fixture, records: tuple[object, ...]) -> list[str]:
    """0.31.0 describes the machine in environment records; 0.17.9 in wandb-metadata.json."""
    env: dict[str, object] = {}
    for rec in records:
        if isinstance(rec, EnvironmentRecord):
            env.update(rec.values)
    metadata, warning = read_metadata(find_runs(fx.folder).runs[0])
    if warning:
        return [warning]
    if "python" not in env and not (metadata and "python" in metadata):
        return ["no python version in environment records nor wandb-metadata.json"]
    return []


def check_killed(fx: Fixture) -> list[str]:
    result, fold = read_fixture(fx)
    rows = history(result)
    problems = list(result.warnings)
    problems += row_mismatches(fx.entry["rows"], rows, fx.int_floats)
    if not rows:
        problems.append("no rows survived the kill")
    if fold.has_exit:
        problems.append("a killed run has an exit record")
    if result.end != "incomplete" or result.pending_bytes <= 0:
        problems.append(f"expected a torn tail, got {result.end} ({result.pending_bytes} pending)")
    stat = (result.file_size, result.file_mtime_ns)
    first = run_state(has_exit=False, exit_code=None, size=stat[0], mtime_ns=stat[1], previous=None)
    later = run_state(has_exit=False, exit_code=None, size=stat[0], mtime_ns=stat[1], previous=stat)
    if (first, later) != ("RUNNING", "CRASHED"):
        problems.append(f"run state {first} then {later}")
    return problems


def check_growing(fx: Fixture, scratch: Path) -> list[str]:
    """Replay the growth: the committed log's prefixes at the sizes seen while it was written,
    appended to one file, read each time from the previous end offset."""
    data = fx.log.read_bytes()
    scratch.mkdir(parents=True, exist_ok=True)
    live = scratch / fx.log.name
    live.write_bytes(b"")
    problems: list[str] = []
    records: list[object] = []
    offset = 0
    written = 0
    for snap in [*fx.entry["snapshots"], {"size": len(data), "rows_logged": None}]:
        with live.open("ab") as out:
            out.write(data[written : snap["size"]])
        written = snap["size"]
        result = read_log(live, start=offset)
        records += result.records
        offset = result.end_offset
        problems += result.warnings
        so_far = [r for r in records if r.__class__.__name__ == "HistoryRecord"]
        if snap["rows_logged"] is not None:
            if len(so_far) > snap["rows_logged"]:
                problems.append(f"{len(so_far)} rows read at {written} bytes, more than logged")
            if result.end == "corrupt":
                problems.append(f"a live prefix read as corrupt at {written}")
    whole = read_log(fx.log)
    if repr(tuple(records)) != repr(whole.records):
        problems.append("reading while growing gave other records than one read of the file")
    problems += row_mismatches(fx.entry["rows"], history(whole), fx.int_floats)
    if len(history(whole)) != len(fx.entry["rows"]):
        problems.append(f"{len(history(whole))} rows at the end, {len(fx.entry['rows'])} logged")
    if not any(r.__class__.__name__ == "ExitRecord" for r in whole.records):
        problems.append("the finished growing run has no exit record")
    shutil.rmtree(scratch, ignore_errors=True)
    return problems
