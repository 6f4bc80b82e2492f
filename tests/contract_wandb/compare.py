"""Hold what the real SDK read (the driver's dump) against the simulator's truth, value by value.

Numbers are compared as the SDK can deliver them: its Go core turns integral floats into ints
(``1.0`` -> ``1``), so an int and a float are equal when their float values are; two ints must
be equal exactly; NaN equals NaN. Timestamps on the wire are naive UTC ``YYYY-MM-DDTHH:MM:SS``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RESERVED = ("_step", "_runtime", "_timestamp")


def decode(value: Any) -> Any:
    """The driver's tagged non-finite floats back to floats."""
    if isinstance(value, dict):
        if set(value) == {"__float__"}:
            return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[value["__float__"]]
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Deep equality with the SDK's number quirks (see the module docstring)."""
    num = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, num) and isinstance(b, num):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        fa, fb = float(a), float(b)
        return (math.isnan(fa) and math.isnan(fb)) or fa == fb
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def wire_time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    checked: int = 0

    def expect(self, what: str, got: Any, want: Any) -> None:
        self.checked += 1
        if not same(got, want):
            self.problems.append(f"{what}: SDK read {_short(got)}, truth is {_short(want)}")

    def summary(self) -> str:
        head = f"{len(self.problems)} problems in {self.checked} checks"
        return "\n".join([head, *self.problems[:40]])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."


def points_of_rows(rows: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[Any, Any]]:
    """(key, step) -> (value, _timestamp) from history rows as the SDK yields them."""
    out: dict[tuple[str, int], tuple[Any, Any]] = {}
    for row in rows:
        step = int(row["_step"])
        for key, value in row.items():
            if key not in RESERVED:
                if (key, step) in out:
                    raise AssertionError(f"the SDK yielded ({key!r}, {step}) twice")
                out[(key, step)] = (value, row.get("_timestamp"))
    return out


def truth_points(truth: dict[str, Any]) -> dict[str, dict[tuple[str, int], tuple[Any, Any]]]:
    grouped: dict[str, dict[tuple[str, int], tuple[Any, Any]]] = defaultdict(dict)
    for p in truth["history"]:
        grouped[f"{p['project']}/{p['run_id']}"][(p["key"], p["step"])] = (
            p["value"],
            p["timestamp"],
        )
    return grouped


def compare_history(
    report: Report, where: str, rows: list[dict[str, Any]], want: dict[Any, Any]
) -> None:
    got = points_of_rows(rows)
    report.checked += 1
    if got.keys() != want.keys():
        missing = sorted(want.keys() - got.keys(), key=repr)[:5]
        extra = sorted(got.keys() - want.keys(), key=repr)[:5]
        report.problems.append(f"{where}: (key, step) sets differ; missing {missing} extra {extra}")
        return
    for point, (value, ts) in want.items():
        g_value, g_ts = got[point]
        report.checked += 1
        if not same(g_value, value) or not same(g_ts, ts):
            report.problems.append(
                f"{where} {point}: SDK read {_short((g_value, g_ts))}, truth {_short((value, ts))}"
            )
            return


def compare_run(
    report: Report, got: dict[str, Any], want: dict[str, Any], hist: Any, rawconfig: bool
) -> None:
    where = f"{want['project']}/{want['run_id']}"
    for field_name in ("run_id", "storage_id", "display_name", "state", "tags", "group"):
        report.expect(f"{where} {field_name}", got[field_name], want[field_name])
    for field_name in ("job_type", "sweep", "user", "notes", "commit", "config", "summary"):
        report.expect(f"{where} {field_name}", got[field_name], want[field_name])
    report.expect(f"{where} created_at", got["created_at"], wire_time(want["created_at"]))
    report.expect(f"{where} heartbeat_at", got["heartbeat_at"], wire_time(want["heartbeat_at"]))
    report.expect(f"{where} system_metrics", got["system_metrics"], want["system_metrics"])
    report.expect(f"{where} line count", got["history_line_count"], want["history_line_count"])
    last = -1 if want["last_step"] is None else want["last_step"]
    report.expect(f"{where} lastHistoryStep", got["last_step"], last)
    keys = got["history_keys"] or {}
    report.expect(f"{where} historyKeys.lastStep", keys.get("lastStep", -1), last)
    types = {k: v["typeCounts"][0]["type"] for k, v in keys.get("keys", {}).items()}
    report.expect(
        f"{where} historyKeys types",
        {k: t for k, t in types.items() if k not in RESERVED},
        want["history_keys"],
    )
    counts = {k: v["typeCounts"][0]["count"] for k, v in keys.get("keys", {}).items()}
    for key in want["history_keys"]:
        n = sum(1 for (k, _) in hist.get(where, {}) if k == key)
        report.expect(f"{where} historyKeys count of {key}", counts.get(key), n)
    for key, value in want["wandb_internal"].items() if rawconfig else ():
        report.expect(f"{where} rawconfig[{key}]", got["rawconfig"].get(key), value)
    compare_history(report, f"{where} history", got["history"], hist.get(where, {}))


def compare_events(report: Report, where: str, rows: list[dict[str, Any]], want: list[Any]) -> None:
    expected: dict[int, dict[str, Any]] = defaultdict(dict)
    stamps: dict[int, Any] = {}
    for p in want:
        expected[p["index"]][p["key"]] = p["value"]
        stamps[p["index"]] = p["timestamp"]
    got = {i: {k: v for k, v in row.items() if not k.startswith("_")} for i, row in enumerate(rows)}
    report.expect(f"{where} events", got, dict(expected))
    report.expect(
        f"{where} event times", [r.get("_timestamp") for r in rows], [stamps[i] for i in stamps]
    )


def compare_all(dump: dict[str, Any], truth: dict[str, Any], rawconfig: bool = True) -> Report:
    """Everything a ``read_all`` dump holds, against the truth. ``rawconfig=False`` skips the
    W&B internals (``_wandb``): an SDK run listed with ``lazy=False`` parses its attributes
    twice and the second pass drops them from ``run.rawconfig`` (an SDK quirk, not the
    server's)."""
    dump = decode(dump)
    report = Report()
    viewer = truth["viewer"]
    report.expect("viewer", dump["viewer"]["username"], viewer["username"])
    report.expect("teams", dump["viewer"]["teams"], viewer["teams"])
    report.expect("default entity", dump["default_entity"], viewer["entity"])
    for entity in [viewer["entity"], *viewer["teams"]]:
        want = [p for p in truth["projects"] if p["entity"] == entity]
        got = dump["projects"][entity]
        report.expect(f"projects of {entity}", [p["name"] for p in got], [p["name"] for p in want])
        for g, w in zip(got, want, strict=False):
            report.expect(f"project {w['path']} id", g["id"], w["id"])
            report.expect(
                f"project {w['path']} created", g["created_at"], wire_time(w["created_at"])
            )
    hist = truth_points(truth)
    system: dict[str, list[Any]] = defaultdict(list)
    for p in truth["system"]:
        system[f"{p['project']}/{p['run_id']}"].append(p)
    live: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in truth["runs"]:
        if not r["deleted"]:
            live[r["project"]].append(r)
    for path, listed in dump["runs"].items():
        want_runs = {r["run_id"]: r for r in live[path]}
        got_runs = {r["run_id"]: r for r in listed["runs"]}
        report.expect(f"{path} run ids", sorted(got_runs), sorted(want_runs))
        report.expect(f"{path} len(runs)", listed["len"], len(want_runs))
        for run_id, got in got_runs.items():
            if run_id in want_runs:
                compare_run(report, got, want_runs[run_id], hist, rawconfig)
                where = f"{path}/{run_id}"
                compare_events(report, where, got["events"], system.get(where, []))
    return report
