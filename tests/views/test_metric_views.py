"""metric_summary, leaderboard, seed_groups, config_effect, curves, system_usage vs truth."""

from __future__ import annotations

import json
import math
import statistics

import polars as pl
import pytest

from .conftest import LAB
from .expect import assert_same, finite, live_runs, run_value, series_stats, text_of


def test_metric_summary_from_every_point(wh, mirror):
    t = mirror.tables
    exp = series_stats(t)
    keys = t["metric_keys"].select("project", "run_id", "key", "kind", "class")
    exp = keys.join(exp, on=["project", "run_id", "key"], how="full", coalesce=True).with_columns(
        pl.col("points", "nan_count").fill_null(0)
    )
    got = wh.query("SELECT * FROM metric_summary")
    assert_same(got, exp, ["project", "run_id", "key"])
    assert got["complete"].all()
    assert got.filter(pl.col("deleted"))["run_id"].unique().to_list() == [mirror.deleted_run]


def test_metric_summary_agrees_with_the_servers_summaries(wh, mirror):
    """A second, independent check: the simulator's own per-key summaries."""
    s = mirror.tables["summaries"]
    got = wh.query("SELECT * FROM metric_summary WHERE points > 0")
    cols = ["project", "run_id", "key", "last_step", "last_value", "min_value", "max_value"]
    if s["min_step"].null_count() < s.height:
        cols += ["min_step", "max_step"]
    assert_same(got, s.select(cols), ["project", "run_id", "key"])


def test_sampled_series_are_flagged(tmp_path, mirror):
    from swansync.warehouse import Warehouse
    from swansync.warehouse.views import apply_views

    from .conftest import load_truth

    db = tmp_path / "w.duckdb"
    load_truth(db, mirror)
    with Warehouse(db) as wh:
        wh.execute("UPDATE _swansync.series SET complete = FALSE WHERE key = 'val/acc'")
        apply_views(wh.con)
        got = wh.query("SELECT key, complete FROM metric_summary")
        over = wh.query("SELECT run_id, complete FROM run_overview WHERE NOT complete")
    assert set(got.filter(~pl.col("complete"))["key"].to_list()) == {"val/acc"}
    with_val = mirror.tables["metric_keys"].filter(pl.col("key") == "val/acc")["run_id"]
    assert set(over["run_id"].to_list()) == set(with_val.to_list())


def _ranked(t, project, metric, goal, pick):
    live = live_runs(t).filter(pl.col("project") == project).select("project", "run_id")
    vals = run_value(t, metric, goal, pick).join(live, on=["project", "run_id"])
    good = [r for r in vals.iter_rows(named=True) if finite(r["value"])]
    bad = [r for r in vals.iter_rows(named=True) if not finite(r["value"])]
    good.sort(key=lambda r: r["value"] if goal == "min" else -r["value"])
    ranks, prev, out = 0, None, []
    for i, r in enumerate(good):
        if r["value"] != prev:
            ranks, prev = i + 1, r["value"]
        out.append((ranks, r["run_id"], r["value"]))
    out += [(len(good) + 1, r["run_id"], None) for r in bad]
    return out


@pytest.mark.parametrize(
    ("project", "metric", "goal", "pick"),
    [
        ("alice/mnist-sweep", "train/loss", "min", "last"),
        ("alice/mnist-sweep", "val/acc", "max", "best"),
        ("alice/quirks", "loss", "min", "best"),
        ("alice/quirks", "weird/nan_inf", "max", "last"),
        (LAB, "val/acc", "max", "last"),
    ],
)
def test_leaderboard(wh, mirror, project, metric, goal, pick):
    exp = _ranked(mirror.tables, project, metric, goal, pick)
    got = wh.rows(
        "SELECT rank, run_id, value FROM leaderboard(?, ?, goal := ?, pick := ?)",
        [project, metric, goal, pick],
    )
    assert len(got) == len(exp) > 0
    assert [g[0] for g in got] == [e[0] for e in exp]
    assert sorted((g[0], g[1]) for g in got) == sorted((e[0], e[1]) for e in exp)
    for (_, _, gv), (_, _, ev) in zip(got, exp, strict=True):
        assert gv == ev or ev is None


def test_leaderboard_rejects_bad_arguments(wh):
    with pytest.raises(Exception, match="goal must be"):
        wh.con.execute("SELECT * FROM leaderboard(?, 'val/acc', goal := 'up')", [LAB]).fetchall()


SEEDS = {"seed", "random_seed", "seed_everything", "rng_seed", "data_seed", "manual_seed"}


def _seed_groups(t, project, metric, seed_keys):
    live = live_runs(t).filter(pl.col("project") == project)
    vals = dict(run_value(t, metric, "min", "last").select("run_id", "value").iter_rows())
    cfg = t["run_config"]
    groups: dict[tuple[tuple[str, str], ...], list[float | None]] = {}
    for run in live.iter_rows(named=True):
        c = cfg.filter(pl.col("run_id") == run["run_id"])
        sig = tuple(
            sorted(
                (k, v)
                for k, v in zip(c["key"], c["value"], strict=True)
                if k.lower() not in seed_keys and k.split(".")[-1].lower() not in seed_keys
            )
        )
        groups.setdefault(sig, []).append(vals.get(run["run_id"]))
    out = {}
    for sig, values in groups.items():
        ok = [float(v) for v in values if v is not None and finite(v)]
        out[json.dumps(dict(sig), sort_keys=True)] = (
            len(values),
            len(ok),
            statistics.fmean(ok) if ok else None,
            statistics.stdev(ok) if len(ok) > 1 else None,
        )
    return out


@pytest.mark.parametrize(
    ("project", "metric", "seed_keys"),
    [
        (LAB, "train/loss", SEEDS),
        (LAB, "val/acc", {"seed"}),
        ("alice/mnist-sweep", "train/loss", SEEDS),
    ],
)
def test_seed_groups(wh, mirror, project, metric, seed_keys):
    exp = _seed_groups(mirror.tables, project, metric, seed_keys)
    got = wh.query(
        "SELECT * FROM seed_groups(?, ?, seed_keys := ?)", [project, metric, sorted(seed_keys)]
    )
    got_map = {}
    for r in got.iter_rows(named=True):
        cfg = json.loads(r["config"])
        key = json.dumps(
            {k: json.dumps(v, separators=(",", ":"), ensure_ascii=False) for k, v in cfg.items()},
            sort_keys=True,
        )
        got_map[key] = (r["runs"], r["n"], r["mean"], r["std"])
    assert set(got_map) == set(exp)
    for k, (runs, n, mean, std) in exp.items():
        g = got_map[k]
        assert g[:2] == (runs, n)
        assert (g[2] is None and mean is None) or g[2] == pytest.approx(mean, rel=1e-9)
        assert (g[3] is None and std is None) or g[3] == pytest.approx(std, rel=1e-9)
    if project == LAB and seed_keys == SEEDS:
        assert sorted(g[0] for g in got_map.values()) == [1, 3, 3, 3, 3]  # evil + 4 groups of 3


def test_config_effect(wh, mirror):
    t = mirror.tables
    for key, metric in (
        ("batch_size", "train/loss"),
        ("lr", "train/loss"),
        ("optim.lr", "val/acc"),
    ):
        project = LAB if key == "optim.lr" else "alice/mnist-sweep"
        live = live_runs(t).filter(pl.col("project") == project)
        vals = dict(run_value(t, metric, "min", "last").select("run_id", "value").iter_rows())
        cfg = t["run_config"].filter(pl.col("key") == key)
        by_run = {r["run_id"]: r for r in cfg.iter_rows(named=True)}
        groups: dict[str | None, list[float | None]] = {}
        xs: list[float] = []
        ys: list[float] = []
        for run in live["run_id"]:
            c = by_run.get(run)
            text = text_of(c["value"], c["value_text"]) if c else None
            v = vals.get(run)
            groups.setdefault(text, []).append(v if finite(v) else None)
            if c and c["value_double"] is not None and v is not None and finite(v):
                xs.append(c["value_double"])
                ys.append(v)
        got = wh.query("SELECT * FROM config_effect(?, ?, ?)", [project, key, metric])
        assert set(got["config_value"].to_list()) == set(groups)
        corr = statistics.correlation(xs, ys) if len(xs) > 1 else None
        for r in got.iter_rows(named=True):
            g = groups[r["config_value"]]
            ok = [x for x in g if x is not None]
            assert (r["runs"], r["n"]) == (len(g), len(ok))
            assert (
                r["mean"] == pytest.approx(statistics.fmean(ok), rel=1e-9)
                if ok
                else r["mean"] is None
            )
            assert (r["corr"] is None) == (corr is None)
            if corr is not None:
                assert r["corr"] == pytest.approx(corr, rel=1e-9)


@pytest.mark.parametrize("n_buckets", [1, 7, 100])
def test_curves(wh, mirror, n_buckets):
    t = mirror.tables
    project = "alice/quirks"
    live = live_runs(t).filter(pl.col("project") == project).select("project", "run_id")
    m = t["metrics"].join(live, on=["project", "run_id"])
    k = ["project", "run_id", "key"]
    m = m.with_columns(
        lo=pl.col("step").min().over(k), hi=pl.col("step").max().over(k)
    ).with_columns(
        bucket=((pl.col("step") - pl.col("lo")) * n_buckets) // (pl.col("hi") - pl.col("lo") + 1)
    )
    ok = pl.col("value").filter(~pl.col("value").is_nan())
    exp = m.group_by([*k, "bucket"]).agg(
        pl.col("step").min().alias("first_step"),
        pl.col("step").max().alias("last_step"),
        pl.len().alias("points"),
        ok.min().alias("min"),
        ok.max().alias("max"),
        ok.mean().alias("mean"),
        pl.col("value").sort_by("step").last().alias("last_value"),
    )
    got = wh.query("SELECT * FROM curves(?, n_buckets := ?)", [project, n_buckets])
    assert_same(got, exp, [*k, "bucket"])
    assert got["bucket"].max() <= n_buckets - 1


def test_curves_filters(wh, mirror):
    run = live_runs(mirror.tables).filter(pl.col("name") == "long-ish")["run_id"][0]
    got = wh.query(
        "SELECT * FROM curves('alice/quirks', n_buckets := 10, "
        "only_keys := ['acc'], only_runs := [?])",
        [run],
    )
    assert got.height == 10 and set(got["key"]) == {"acc"} and got["points"].sum() == 3000


def test_system_usage(wh, mirror):
    t = mirror.tables
    live = live_runs(t).select("project", "run_id")
    m = (
        t["metrics"]
        .filter(pl.col("key").str.starts_with("__swanlab__"))
        .join(live, on=["project", "run_id"])
    )
    ok = pl.col("value").filter(~pl.col("value").is_nan())
    exp = (
        m.group_by("project", "run_id", "key")
        .agg(
            pl.len().alias("points"),
            ok.mean().alias("mean"),
            ok.min().alias("min"),
            ok.max().alias("max"),
            pl.col("value").sort_by("step").last().alias("last_value"),
        )
        .with_columns(pl.col("key").str.replace(r"^__swanlab__\.", "").alias("metric"))
    )
    got = wh.query("SELECT * FROM system_usage")
    assert exp.height > 0
    assert_same(got, exp, ["project", "run_id", "key"])
    assert math.isfinite(got["mean"].sum())


def test_curves_takes_one_key_or_run_alone(wh, mirror):
    run = live_runs(mirror.tables).filter(pl.col("name") == "long-ish")["run_id"][0]
    as_list = wh.query(
        "SELECT * FROM curves('alice/quirks', n_buckets := 10, only_keys := ['acc'], "
        "only_runs := [?])",
        [run],
    )
    alone = wh.query(
        "SELECT * FROM curves('alice/quirks', n_buckets := 10, only_keys := 'acc', only_runs := ?)",
        [run],
    )
    assert alone.height == 10 and alone.equals(as_list)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("n_buckets := 0", "n_buckets must be >= 1"),
        ("only_keys := 5", "only_keys must be a metric key or a list of keys"),
        ("only_runs := {'a': 1}", "only_runs must be a run id or a list of run ids"),
    ],
)
def test_curves_refuses_what_it_cannot_read(wh, args, message):
    with pytest.raises(Exception, match=message):
        wh.query(f"SELECT * FROM curves('alice/quirks', {args})")


def test_curves_of_every_project_in_one_lateral_query(wh, mirror):
    """How the Superset dashboard calls it (deploy/superset, dataset swansync_curves): one
    LATERAL call per project. DuckDB's decorrelation failed (an internal error) on a version
    of the macro that read one CTE twice, which only the browser test saw."""
    got = wh.query(
        "SELECT p.project, count(*) AS n FROM (SELECT DISTINCT project FROM runs) AS p, "
        "LATERAL curves(p.project, n_buckets := 5) AS c GROUP BY ALL ORDER BY 1"
    )
    one_by_one = [
        (proj, wh.rows("SELECT count(*) FROM curves(?, n_buckets := 5)", [proj])[0][0])
        for proj in got["project"].to_list()
    ]
    assert got.rows() == one_by_one and got["n"].sum() > 0
