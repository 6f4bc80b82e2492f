"""Compare what the real SDK read (the driver's dump) with the simulator's truth.

Every check appends a human-readable mismatch to a list instead of stopping at the first one,
so a failing contract test shows the whole picture. Float equality is exact (NaN == NaN, the
sign of infinities matters): the CSV export must round-trip every value bit for bit.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from trackersim.swanlab.truth import rows

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SERVER_SPECIALS = {"NaN": math.nan, "INF": math.inf, "-INF": -math.inf}
Table = dict[str, list[Any]]


def decode(value: Any) -> Any:
    """Undo the driver's tagging of non-finite floats (``{"__float__": "nan"}``)."""
    if isinstance(value, dict):
        if set(value) == {"__float__"}:
            return float(value["__float__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def ms(dt: datetime | None) -> int | None:
    return None if dt is None else (dt - EPOCH) // timedelta(milliseconds=1)


def number(value: Any) -> float | None:
    """A server number, or one of the spec's NaN/INF spellings, as a float."""
    if isinstance(value, str) and value in SERVER_SPECIALS:
        return SERVER_SPECIALS[value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def deep_same(a: Any, b: Any) -> bool:
    """Structural equality that also treats NaN == NaN and keeps bool apart from int."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(deep_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(deep_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def blank(value: Any) -> Any:
    """The SDK reports a missing string field as "" or None; both mean 'absent'."""
    return None if value in ("", None) else value


def label_names(labels: Iterable[Any]) -> list[str]:
    return [x.get("name", "") if isinstance(x, dict) else str(x) for x in labels]


class Report:
    """Collects mismatches; ``check`` records one when two values differ."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked = 0

    def add(self, message: str) -> None:
        self.problems.append(message)

    def check(self, where: str, got: Any, want: Any) -> None:
        self.checked += 1
        if not deep_same(got, want):
            self.add(f"{where}: SDK read {got!r}, truth is {want!r}")

    def time(self, where: str, got: Any, want: datetime | None) -> None:
        self.checked += 1
        if want is None:
            if blank(got) is not None:
                self.add(f"{where}: SDK read {got!r}, truth is None")
            return
        if not isinstance(got, str) or not ISO_MS.match(got):
            self.add(f"{where}: {got!r} is not ISO-8601 UTC with milliseconds (spec 3.13)")
            return
        parsed = datetime.strptime(got, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        if ms(parsed) != ms(want):
            self.add(f"{where}: SDK read {got}, truth is {want.isoformat()}")

    def summary(self, limit: int = 40) -> str:
        head = self.problems[:limit]
        more = len(self.problems) - len(head)
        tail = [f"... and {more} more"] if more > 0 else []
        return "\n".join([f"{len(self.problems)} mismatches:", *head, *tail])


def compare_workspaces(rep: Report, dump: dict[str, Any], workspaces: dict[str, Any]) -> None:
    """``workspaces``: username -> simulator Workspace (has username, name, type, role)."""
    listed = [w["username"] for w in dump["workspaces"]]
    rep.check("workspaces: no duplicates", len(listed), len(set(listed)))
    seen = {w["username"]: w for w in dump["workspaces"]}
    seen.setdefault(dump["own_workspace"]["username"], dump["own_workspace"])
    rep.check("workspaces: set", sorted(seen), sorted(workspaces))
    for name, ws in workspaces.items():
        got = seen.get(name)
        if got is None:
            continue
        for field, want in (("name", ws.name), ("type", ws.type), ("role", ws.role)):
            rep.check(f"workspace {name}.{field}", got[field], want)


def compare_projects(rep: Report, dump: dict[str, Any], truth: dict[str, Table]) -> None:
    got = {p["path"]: p for p in dump["projects"]}
    rep.check("projects: no duplicates across pages", len(dump["projects"]), len(got))
    want = {r["project"]: r for r in rows(truth["projects"])}
    rep.check("projects: set", sorted(got), sorted(want))
    for path, t in want.items():
        p = got.get(path)
        if p is None:
            continue
        w = f"project {path}"
        rep.check(f"{w} workspace", p["workspace"], t["workspace"])
        rep.check(f"{w} project_id", p["project_id"], t["project_id"])
        for field in ("name", "description", "visibility"):
            rep.check(f"{w} {field}", blank(p[field]), blank(t[field]))
        rep.check(f"{w} labels", label_names(p["labels"]), list(t["labels"]))
        rep.check(f"{w} _count.experiments", p["count"].get("experiments"), t["run_count"])
        rep.time(f"{w} created_at", p["created_at"], t["created_at"])
        rep.time(f"{w} updated_at", p["updated_at"], t["updated_at"])


def unwrap_config(config: Any) -> Any:
    """0.10.3 hands back the stored shape ``{key: {value, desc, sort}}``; keep the values."""
    if not isinstance(config, dict):
        return config
    return {k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in config.items()}


def compare_runs(rep: Report, dump: dict[str, Any], truth: dict[str, Table]) -> None:
    truth_runs = rows(truth["runs"])
    live = [r for r in truth_runs if not r["deleted"]]
    deleted = {r["run_id"] for r in truth_runs if r["deleted"]}
    by_project: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in live:
        by_project[r["project"]].append(r)
    want_by_id = {r["run_id"]: r for r in live}

    for path, lists in dump["listed"].items():
        for mode in ("shows", "paged"):
            items = lists[mode]
            ids = [i["run_id"] for i in items]
            where = f"project {path} runs ({mode})"
            rep.check(f"{where}: no duplicates", len(ids), len(set(ids)))
            rep.check(f"{where}: set", sorted(ids), sorted(r["run_id"] for r in by_project[path]))
            for gone in deleted.intersection(ids):
                rep.add(f"{where}: deleted run {gone} is still listed")
            for item in items:
                t = want_by_id.get(item["run_id"])
                if t is None:
                    continue
                w = f"{where} item {t['run_id']}"
                rep.check(f"{w} name", item["name"], t["name"])
                rep.check(f"{w} state", item["state"], t["state"])
                rep.time(f"{w} created_at", item["created_at"], t["created_at"])
                rep.time(f"{w} finished_at", item["finished_at"], t["finished_at"])
                rep.check(f"{w} slug", item["slug"], t["slug"] or t["run_id"])

    got_runs = {r["ref"]: r for r in dump["runs"]}
    for t in live:
        run_id = t["run_id"]
        got = got_runs.get(run_id)
        w = f"run {t['project']}/{run_id} ({t['name']})"
        if got is None:
            rep.add(f"{w}: never read by the SDK")
            continue
        if not got["ok"]:
            rep.add(f"{w}: SDK failed to load it: {got.get('error')}")
            continue
        d = got["detail"]
        rep.check(f"{w} run_id", d["run_id"], run_id)
        rep.check(f"{w} project_id", d["project_id"], _project_id(truth, t["project"]))
        for field, want in (
            ("name", t["name"]),
            ("description", t["description"]),
            ("state", t["state"]),
            ("group", t["cluster"]),
            ("job_type", t["job"]),
            ("root_pro_id", t["root_project_id"]),
            ("root_exp_id", t["root_run_id"]),
        ):
            rep.check(f"{w} {field}", blank(d[field]), blank(want))
        rep.check(f"{w} labels", label_names(d["labels"]), list(t["labels"]))
        rep.check(f"{w} user.username", d["user"].get("username"), t["username"])
        rep.check(f"{w} slug", d["slug"], t["slug"] or run_id)
        rep.time(f"{w} created_at", d["created_at"], t["created_at"])
        rep.time(f"{w} finished_at", d["finished_at"], t["finished_at"])
        if t["slug"]:
            rep.check(f"{w} resolved by slug", got.get("by_slug"), {"ok": True, "run_id": run_id})
        profile = d["profile"]
        config = profile.get("config")
        wrapped = isinstance(config, dict) and all(
            isinstance(v, dict) and {"value", "desc", "sort"} <= v.keys() for v in config.values()
        )
        if not wrapped:
            rep.add(f"{w} config is not in the stored {{value, desc, sort}} shape: {config!r:.200}")
        rep.check(f"{w} config", unwrap_config(config), t["config"])
        rep.check(f"{w} metadata", profile.get("metadata"), t["metadata"])
        rep.check(f"{w} requirements", blank(profile.get("requirements")), blank(t["requirements"]))
        rep.check(f"{w} conda", blank(profile.get("conda")), blank(t["conda"]))


def _project_id(truth: dict[str, Table], path: str) -> str | None:
    for r in rows(truth["projects"]):
        if r["project"] == path:
            return str(r["project_id"])
    return None


def compare_keys(rep: Report, dump: dict[str, Any], truth: dict[str, Table]) -> None:
    want: dict[str, dict[str, list[str]]] = defaultdict(
        lambda: {"CUSTOM": [], "SYSTEM": [], "MEDIA": []}
    )
    for r in rows(truth["metric_keys"]):
        slot = "MEDIA" if r["kind"] == "MEDIA" else r["class"]
        want[r["run_id"]][slot].append(r["key"])
    for got in dump["runs"]:
        if not got.get("ok"):
            continue
        for slot, keys in got["keys"].items():
            w = f"run {got['project']}/{got['ref']} {slot} keys"
            rep.check(f"{w}: no duplicates", len(keys), len(set(keys)))
            rep.check(w, sorted(keys), sorted(want[got["ref"]][slot]))


SeriesId = tuple[str, str]  # (run_id, key)


def _truth_series(truth: dict[str, Table]) -> dict[SeriesId, list[tuple[int, Any, int | None]]]:
    """Truth's points per (run, key): (step, value, timestamp in ms), ascending step."""
    out: dict[SeriesId, list[tuple[int, Any, int | None]]] = defaultdict(list)
    m = truth["metrics"]
    for run_id, key, step, value, ts in zip(
        m["run_id"], m["key"], m["step"], m["value"], m["ts"], strict=True
    ):
        out[(run_id, key)].append((step, value, ms(ts)))
    return out


def _dumped_series(dump: dict[str, Any], field: str) -> dict[SeriesId, list[Any]]:
    """The SDK's series per (run, key) from the driver's ``field`` ("metrics" or "sampled")."""
    return {
        (got["ref"], key): points
        for got in dump["runs"]
        if got.get("ok")
        for key, points in got.get(field, {}).items()
    }


def compare_metrics(rep: Report, dump: dict[str, Any], truth: dict[str, Table]) -> None:
    want = _truth_series(truth)
    got_all = _dumped_series(dump, "metrics")
    rep.check("metric series: set of (run, key)", sorted(got_all), sorted(want))
    for ident, points in want.items():
        series = got_all.get(ident)
        if series is None:
            continue
        w = f"series {ident[0]} {ident[1]!r}"
        rep.checked += 1
        if len(series) != len(points):
            rep.add(f"{w}: SDK read {len(series)} points, truth has {len(points)}")
        for (step, value, ts), p in zip(points, series, strict=False):
            got_step, got_value, got_ts = p[0], decode(p[1]), p[2]
            if got_step != step or got_ts != ts or not _same_float(got_value, value):
                rep.add(
                    f"{w} first difference: SDK read step={got_step} value={got_value!r} "
                    f"ts={got_ts}, truth step={step} value={value!r} ts={ts}"
                )
                break


SAMPLE_CAP = 1500


def compare_sampled(rep: Report, dump: dict[str, Any], truth: dict[str, Table]) -> None:
    """The sampled path (spec 3.6): at most 1500 points per key, each one a real point of the
    series (step, value and timestamp exact); nothing finite dropped from a short series.
    Whether NaN/inf points appear in this mode is left open (the SDK says they are dropped)."""
    want = {
        ident: {step: (value, ts) for step, value, ts in points}
        for ident, points in _truth_series(truth).items()
    }
    got_all = _dumped_series(dump, "sampled")
    rep.check("sampled series: set of (run, key)", sorted(got_all), sorted(want))
    for ident, points in want.items():
        series = got_all.get(ident)
        if series is None:
            continue
        w = f"sampled series {ident[0]} {ident[1]!r}"
        rep.checked += 1
        if len(series) > SAMPLE_CAP:
            rep.add(f"{w}: {len(series)} points, more than the {SAMPLE_CAP} asked for")
        for index, data, ts in series:
            value, want_ts = points.get(index, (None, None))
            got_value = number(decode(data))
            if got_value is None or value is None or not _same_float(got_value, value):
                rep.add(f"{w}: point index={index} data={data!r} is not in the series")
                break
            if ts != want_ts:
                rep.add(f"{w}: point index={index} has timestamp {ts}, truth {want_ts}")
                break
        finite = {s for s, (v, _) in points.items() if math.isfinite(v)}
        if len(points) <= SAMPLE_CAP and not finite <= {p[0] for p in series}:
            missing = sorted(finite - {p[0] for p in series})
            rep.add(f"{w}: short series lost finite points at steps {missing[:10]}")
        if len(points) > SAMPLE_CAP and finite and not series:
            rep.add(f"{w}: no points came back")


def _same_float(got: Any, want: Any) -> bool:
    if not isinstance(got, float) or not isinstance(want, int | float):
        return False
    if math.isnan(got) or math.isnan(want):
        return math.isnan(got) and math.isnan(want)
    return got == want


def compare_summaries(rep: Report, dump: dict[str, Any], truth: dict[str, Table]) -> None:
    want: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows(truth["summaries"]):
        want[r["run_id"]][r["key"]] = r
    for got in dump["runs"]:
        if not got.get("ok"):
            continue
        run_id = got["ref"]
        summary = decode(got["summary"])
        w = f"run {got['project']}/{run_id} summary"
        rep.check(f"{w} keys", sorted(summary), sorted(want[run_id]))
        stats = decode(got["stats"])
        for key, t in want[run_id].items():
            s = summary.get(key)
            if isinstance(s, dict):
                _check_stat(
                    rep, f"{w}[{key!r}] step/value", s.get("step"), s.get("value"), t, "last"
                )
                _check_stat(rep, f"{w}[{key!r}].min", *_idx_data(s.get("min")), t, "min")
                _check_stat(rep, f"{w}[{key!r}].max", *_idx_data(s.get("max")), t, "max")
            st = stats.get(key)
            if not st:
                rep.add(f"run {run_id} {key!r}: metrics(all=True) came back without statistics")
                continue
            # scalar/value statistics that the SDK attaches to every series (spec 3.6)
            _check_stat(
                rep, f"run {run_id} {key!r} latest", *_idx_data(st.get("latest")), t, "last"
            )
            _check_stat(rep, f"run {run_id} {key!r} stats.min", *_idx_data(st.get("min")), t, "min")
            _check_stat(rep, f"run {run_id} {key!r} stats.max", *_idx_data(st.get("max")), t, "max")


def _idx_data(obj: Any) -> tuple[Any, Any]:
    if isinstance(obj, dict):
        return obj.get("index"), obj.get("data")
    return None, obj  # "modern" shape: a plain number without its step


def _check_stat(
    rep: Report, where: str, step: Any, value: Any, t: dict[str, Any], which: str
) -> None:
    rep.checked += 1
    want_value = t[f"{which}_value"]
    want_step = t[f"{which}_step"]
    got_value = number(value)
    if want_value is None:
        ok = got_value is None or math.isnan(got_value)  # e.g. min of an all-NaN series
    else:
        ok = got_value is not None and _same_float(got_value, float(want_value))
    if not ok:
        rep.add(f"{where}: SDK read value {value!r}, truth is {want_value!r}")
    if want_step is not None and step != want_step:
        rep.add(f"{where}: SDK read step {step!r}, truth is {want_step!r}")


def compare_all(
    dump: dict[str, Any], truth: dict[str, Table], workspaces: dict[str, Any]
) -> Report:
    rep = Report()
    compare_workspaces(rep, dump, workspaces)
    compare_projects(rep, dump, truth)
    compare_runs(rep, dump, truth)
    compare_keys(rep, dump, truth)
    compare_metrics(rep, dump, truth)
    compare_sampled(rep, dump, truth)
    compare_summaries(rep, dump, truth)
    return rep
