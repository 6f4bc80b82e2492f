"""Ratios against the targets, the results file, and BENCHMARKS.md rendered from one result."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ANALYSIS = Path(__file__).resolve().parent / "analysis.md"

# name -> (description, comparison, target); "ge": value >= target, "le": value <= target
TARGETS: dict[str, tuple[str, str, float]] = {
    "sdk_over_pull": ("SDK mirror script (a) time / full pull time", "ge", 10.0),
    "pull_over_floor": ("full pull time / max(raw serve (b), raw ingest (c))", "le", 1.5),
    "noop_over_full": ("no-op re-pull time / full pull time (whole processes)", "le", 0.05),
    "incremental_over_full": ("pull of ~1 % new points / full pull time", "le", 0.10),
    "version_s": ("`swansync --version`, s (best of 5)", "le", 0.3),
    "peak_rss_mb": ("peak RSS of any pull process, MB", "le", 1024.0),
    "rss_growth": ("peak RSS of the largest scaled full pull / of the 1x full pull", "le", 1.25),
    "slowest_view_s": ("slowest analysis view or macro, s", "le", 2.0),
}
# Ratios measured in every round: the verdict takes the median, the spread is shown.
ROUND_RATIOS = ("pull_over_floor", "noop_over_full")


def machine() -> dict[str, Any]:
    import duckdb
    import polars

    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "loadavg_start": list(os.getloadavg()),
    }
    try:
        import psutil

        info["ram_gb"] = round(psutil.virtual_memory().total / 1024**3, 1)
    except ImportError:  # pragma: no cover - psutil is a dev dependency
        info["ram_gb"] = None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if "model name" in ln]
        info["cpu"] = names[0] if names else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    return info


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def round_ratios(r: dict[str, Any]) -> list[dict[str, float]]:
    """Per round (full, no-op, raw serve measured back to back): the paired ratios."""
    ingest = r["baselines"]["ingest"]["wall_s"]
    out = []
    for rd in r.get("rounds") or []:
        full = rd["full"]["wall_s"]
        out.append(
            {
                "pull_over_floor": full / max(rd["raw_serve"]["wall_s"], ingest),
                "noop_over_full": rd["noop"]["wall_s"] / full,
                "load": rd["raw_serve"].get("loadavg", [float("nan")])[0],
            }
        )
    return out


def ratios(r: dict[str, Any]) -> dict[str, float]:
    full = r["pulls"]["full"]["wall_s"]
    floor = max(r["baselines"]["raw_serve"]["wall_s"], r["baselines"]["ingest"]["wall_s"])
    views = {k: v for k, v in r["views"].items() if not k.startswith("(")}
    scaled = r.get("scaling") or []
    rss = [s["full"]["peak_rss_mb"] for s in scaled]
    out = {
        "sdk_over_pull": r["baselines"]["sdk"]["wall_s"] / full,
        "pull_over_floor": full / floor,
        "noop_over_full": r["pulls"]["noop"]["wall_s"] / full,
        "incremental_over_full": r["pulls"]["incremental"]["wall_s"] / full,
        "version_s": r.get("startup", {}).get("version_s", float("nan")),
        "peak_rss_mb": max(
            [p["peak_rss_mb"] for p in r["pulls"].values()]
            + [s["full"]["peak_rss_mb"] for s in scaled]
        ),
        "rss_growth": rss[-1] / rss[0] if len(rss) > 1 else 1.0,
        "slowest_view_s": max(views.values()) if views else 0.0,
        # Informational: the same ratios on the in-process pull time (no interpreter start).
        "pull_inproc_over_floor": r["pulls"]["full"]["duration_s"] / floor,
        "noop_inproc_over_full": r["pulls"]["noop"]["duration_s"] / full,
        "bytes_per_point": (r["pulls"]["full"].get("db_bytes") or 0) / r["scale"]["points"],
    }
    grown = r["baselines"].get("raw_serve_grown")
    if grown:  # the incremental pull against its own floor (the grown runs' whole CSVs)
        out["incremental_over_its_floor"] = r["pulls"]["incremental"]["wall_s"] / grown["wall_s"]
        out["grown_floor_over_full_floor"] = grown["wall_s"] / r["baselines"]["raw_serve"]["wall_s"]
    rounds = round_ratios(r)
    for name in ROUND_RATIOS:  # the median of the rounds decides (round 1 is among them)
        if rounds:
            out[name] = _median([rd[name] for rd in rounds])
    return out


def verdicts(rat: dict[str, float]) -> dict[str, bool]:
    out = {}
    for name, (_, op, target) in TARGETS.items():
        value = rat[name]
        out[name] = math.isfinite(value) and (value >= target if op == "ge" else value <= target)
    return out


def write_results(result: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"{stamp}.json"
    path.write_text(json.dumps(result, indent=1, default=str))
    return path


# -- markdown -------------------------------------------------------------------------------------
def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _mb(nbytes: Any) -> str:
    return "-" if nbytes is None else f"{nbytes / 1024 / 1024:,.1f} MB"


def _world_extras(r: dict[str, Any]) -> list[str]:
    """What the world holds besides metrics (consoles, media), and what the pull does with it."""
    x = r.get("world_extras")
    if not x:
        return []
    return [
        f"- consoles and media: {_f(x['console_runs'])} runs print a console "
        f"({_f(x['console_lines'])} lines in all), {_f(x['media_items'])} media items; the pull "
        f"mirrors consoles and lists media (`--media {x['media_mode']}`), so every run costs one "
        "console page in a full pull, and the raw serve floor (b) reads the same pages"
    ]


def render_markdown(r: dict[str, Any], results_name: str) -> str:
    m, sc, rat, ok = r["machine"], r["scale"], r["ratios"], r["verdicts"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench-report` from the results of one `make bench` run: "
        f"`bench/results/{results_name}` (results files are not committed). "
        "Do not edit by hand; prose that is not generated lives in `bench/analysis.md`.",
        "",
        f"- when: {r['started_at']} (commit `{r['commit']}`), bench took {_f(r['bench_s'], 0)} s",
        f"- machine: {m['cores']} cores ({m.get('cpu')}), {m.get('ram_gb')} GB RAM, "
        f"Python {m['python']}, DuckDB {m['duckdb']}, polars {m['polars']}",
        f"- load average at start / end: {', '.join(_f(x) for x in m['loadavg_start'])} / "
        f"{', '.join(_f(x) for x in m.get('loadavg_end', []))} "
        "(other work on the machine shares the same cores)",
        f"- world: {sc['runs']} runs x {sc['keys']} keys x {sc['steps']} steps = "
        f"{_f(sc['points'])} points, one project; {sc['running']} runs RUNNING, each grows "
        f"{sc['grow_steps']} steps for the incremental pull; pull with `--workers {r['workers']}`",
        *_world_extras(r),
        "- the simulator runs in the bench process (its own GIL), every client in a child "
        "process: on 2 cores the simulator and the pull compete for the same CPUs",
        "",
        "## Targets (ratios from this one run)",
        "",
        "| ratio | value | target | met |",
        "|---|---:|---:|:---:|",
    ]
    rounds = round_ratios(r)
    lines[-2] = "| ratio | value | spread over rounds | target | met |"
    lines[-1] = "|---|---:|---:|---:|:---:|"
    for name, (desc, op, target) in TARGETS.items():
        sign = ">=" if op == "ge" else "<="
        spread = (
            f"{_f(min(x[name] for x in rounds), 3)} – {_f(max(x[name] for x in rounds), 3)}"
            if name in ROUND_RATIOS and rounds
            else ""
        )
        met = "-" if name not in ok else ("yes" if ok[name] else "**no**")
        lines.append(
            f"| {desc} | {_f(rat.get(name), 3)} | {spread} | {sign} {_f(target, 2)} | {met} |"
        )
    lines += [
        "",
        "Pull times are the whole `python -m swansync pull --json` process (interpreter start, "
        "imports, migrations, views included). Ratios measured in every round (a full pull "
        "into a new file, a no-op re-pull, the raw serve, back to back) show the median of "
        f"{len(rounds)} round(s); the others come from round 1. Same ratios on the pull's own "
        f"`duration_s`: full / floor = {_f(rat.get('pull_inproc_over_floor'), 3)}, "
        f"no-op / full = {_f(rat.get('noop_inproc_over_full'), 4)}. Warehouse after the full "
        f"pull: {_f(rat.get('bytes_per_point'), 2)} bytes per point.",
        "",
        "## Rounds",
        "",
        "| round | full pull s | no-op s | raw serve s | full / floor | no-op / full | "
        "load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for i, (rd, x) in enumerate(zip(r.get("rounds") or [], rounds, strict=True), start=1):
        lines.append(
            f"| {i} | {_f(rd['full']['wall_s'])} | {_f(rd['noop']['wall_s'])} | "
            f"{_f(rd['raw_serve']['wall_s'])} | {_f(x['pull_over_floor'], 3)} | "
            f"{_f(x['noop_over_full'], 4)} | {_f(x['load'], 1)} |"
        )
    lines += [
        "",
        "## Pulls",
        "",
        "| pull | wall s | in-pull s | requests | bytes | metric rows | peak RSS MB | "
        "CPU user+sys s | simulator CPU s | load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, p in r["pulls"].items():
        lines.append(
            f"| {name} | {_f(p['wall_s'])} | {_f(p['duration_s'])} | {_f(p['requests'])} | "
            f"{_mb(p['bytes'])} | {_f((p.get('rows') or {}).get('metrics'))} | "
            f"{_f(p['peak_rss_mb'], 0)} | {_f(p['cpu_user_s'] + p['cpu_sys_s'])} | "
            f"{_f(p['sim_cpu_s'])} | {_f((p.get('loadavg') or [None])[0], 1)} |"
        )
    st = r.get("startup", {})
    lines += [
        "",
        f"Start-up, best of {st.get('tries', '-')} (wall / CPU): `swansync --help` "
        f"{_f(st.get('help_s'), 3)} / {_f(st.get('help_cpu_s'), 3)} s, `swansync --version` "
        f"{_f(st.get('version_s'), 3)} / {_f(st.get('version_cpu_s'), 3)} s (target < 0.3 s); "
        f"interpreter start + `import swansync.cli, swansync.sync` {_f(st.get('import_s'), 3)}"
        f" / {_f(st.get('import_cpu_s'), 3)} s.",
        "",
        "Requests by route, full / no-op / incremental:",
        "",
        "| route | full | no-op | incremental |",
        "|---|---:|---:|---:|",
    ]
    routes = sorted({k for p in r["pulls"].values() for k in p.get("server_routes", {})})
    for route in routes:
        cells = [
            _f(r["pulls"][n].get("server_routes", {}).get(route, {}).get("requests", 0))
            for n in ("full", "noop", "incremental")
        ]
        lines.append(f"| `{route}` | {' | '.join(cells)} |")
    a, b, c = (r["baselines"][k] for k in ("sdk", "raw_serve", "ingest"))
    sdk_how = (
        f"measured on {a['runs_measured']} of {sc['runs']} runs and extrapolated linearly"
        if a["extrapolated"]
        else f"measured on all {a['runs_measured']} runs"
    )
    lines += [
        "",
        "## Baselines (same run, same world)",
        "",
        "| baseline | wall s | notes |",
        "|---|---:|---|",
        f"| (a) SDK mirror script ({a['sdk']}, `Api.runs` -> `run.metrics(keys, all=True)` -> "
        f"CSV, one run after another) | {_f(a['wall_s'])} | {sdk_how}; "
        f"{_f(a['points_per_s'], 0)} points/s; peak RSS {_f(a['peak_rss_mb'], 0)} MB |",
        f"| (b) simulator raw serve: export -> presign -> download every CSV, then every "
        f"console page (one for a run with no console), bytes discarded, "
        f"{b['workers']} workers | {_f(b['wall_s'])} | {_f(b['requests'])} requests, "
        f"{_mb(b['bytes'])} of CSV"
        + (
            f", {_f(b['console_requests'])} console pages ({_mb(b['console_bytes'])})"
            if "console_requests" in b
            else ""
        )
        + " |",
        f"| (c) DuckDB raw Arrow ingest of the pull's narrow rows: `INSERT INTO _swansync.points "
        f"SELECT * FROM arrow_table` into a fresh warehouse | {_f(c['wall_s'])} | "
        f"{_f(c['rows'])} rows, Arrow {_f(c['arrow_mb'], 0)} MB, file {_f(c['file_mb'], 0)} MB; "
        f"CHECKPOINT after it {_f(c['checkpoint_s'])} s |",
    ]
    if c.get("long"):
        lo = c["long"]
        lines.append(
            f"| (c') the same points as long rows (source, project, run_id, key, step, value, ts: "
            f"what releases before 0.3 stored), for comparison | {_f(lo['wall_s'])} | "
            f"Arrow {_f(lo['arrow_mb'], 0)} MB, file {_f(lo['file_mb'], 0)} MB; CHECKPOINT "
            f"{_f(lo['checkpoint_s'])} s |"
        )
    g = r["baselines"].get("raw_serve_grown")
    if g:
        lines.append(
            f"| (b') raw serve of the grown runs only (what the incremental pull must download: "
            f"whole series, no server-side range, U9) | {_f(g['wall_s'])} | "
            f"{_f(g['requests'])} requests, {_mb(g['bytes'])}; incremental pull / (b') = "
            f"{_f(rat.get('incremental_over_its_floor'), 3)}, (b') / (b) = "
            f"{_f(rat.get('grown_floor_over_full_floor'), 3)} |"
        )
    lines += _sim_cpu_section(r)
    lines += _scaling_section(r)
    lines += [
        "",
        "## Views on the pulled bench warehouse (`bench.views_bench.bench_views`, best of 2)",
        "",
        "| view / macro | s |",
        "|---|---:|",
    ]
    for name, secs in r["views"].items():
        lines.append(f"| `{name}` | {_f(secs, 3)} |")
    for key, title in (("profile", "a full pull"), ("profile_noop", "a no-op pull")):
        if r.get(key):
            lines += _profile_section(r[key], title)
    if ANALYSIS.is_file():
        lines += ["", ANALYSIS.read_text().strip()]
    return "\n".join(lines) + "\n"


def _sim_cpu_section(r: dict[str, Any]) -> list[str]:
    """The simulator's CPU per route while each client ran: what serving cost the server."""
    clients = {
        "full pull": r["pulls"]["full"].get("sim_route_cpu_s"),
        "raw serve (b)": r["baselines"]["raw_serve"].get("sim_route_cpu_s"),
        "SDK script (a)": r["baselines"]["sdk"].get("sim_route_cpu_s"),
    }
    clients = {k: v for k, v in clients.items() if v}
    if not clients:
        return []
    routes = sorted({rt for v in clients.values() for rt in v})
    routes.sort(key=lambda rt: -max(v.get(rt, 0.0) for v in clients.values()))
    lines = [
        "",
        "## What serving cost the simulator (its CPU seconds per route, per client)",
        "",
        "| route | " + " | ".join(clients) + " |",
        "|---|" + "---:|" * len(clients),
    ]
    for rt in routes:
        cells = [_f(v.get(rt), 2) if rt in v else "-" for v in clients.values()]
        lines.append(f"| `{rt}` | {' | '.join(cells)} |")
    totals = [_f(sum(v.values()), 2) for v in clients.values()]
    lines.append(f"| **total** | {' | '.join(totals)} |")
    return lines


def _scaling_section(r: dict[str, Any]) -> list[str]:
    scaled = r.get("scaling") or []
    if len(scaled) < 2:
        return []
    lines = [
        "",
        "## Scaling: the same world with more runs (a full pull into a new file each)",
        "",
        "| world | points | full pull s | raw serve s | full / raw serve | peak RSS MB | "
        "warehouse MB | bytes / point | load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for sc in scaled:
        full, raw = sc["full"], sc["raw"]
        points = sc["scale"]["points"]
        db = full.get("db_bytes") or 0
        lines.append(
            f"| {sc['factor']}x ({sc['scale']['runs']} runs) | {_f(points)} | "
            f"{_f(full['wall_s'])} | {_f(raw['wall_s'])} | {_f(full['wall_s'] / raw['wall_s'], 3)}"
            f" | {_f(full['peak_rss_mb'], 0)} | {_f(db / 1e6, 1)} | {_f(db / points, 2)} | "
            f"{_f((full.get('loadavg') or [None])[0], 1)} |"
        )
    return lines


def _profile_section(prof: dict[str, Any], title: str) -> list[str]:
    lines = [
        "",
        f"## Profile of {title} (in-process, instrumented; a separate pull)",
        "",
        f"Pull wall {_f(prof['wall_s'])} s under instrumentation "
        f"({prof['threads_profiled']} worker threads profiled); peak RSS "
        f"{_f(prof.get('peak_rss_mb'), 0)} MB while "
        f"{', '.join(prof.get('stages_at_peak_rss') or ['no instrumented stage'])} ran. "
        "Stage times are summed over threads (worker stages overlap each other and the writer; "
        "`main:` stages run one at a time on the single writer thread).",
        "",
        "| stage | s (summed) | calls |",
        "|---|---:|---:|",
    ]
    for stage, secs in sorted(prof["stages_s"].items(), key=lambda kv: -kv[1]):
        lines.append(f"| {stage} | {_f(secs)} | {_f(prof['stage_calls'].get(stage))} |")
    lines += [
        "",
        "Top functions by own time (all threads merged; `get`/`acquire`/`recv_into` are waits):",
        "",
        "```",
        prof["top_tottime"],
        "```",
    ]
    return lines
