"""run_overview, run_fields, run_table, run_diff, project_activity, project_status vs truth."""

from __future__ import annotations

from datetime import UTC

import polars as pl

from .conftest import LAB
from .expect import assert_same, live_runs, series_stats, text_of


def test_run_overview(wh, mirror):
    t = mirror.tables
    keys = (
        t["metric_keys"]
        .group_by("project", "run_id")
        .agg(
            pl.len().alias("metric_keys"),
            (pl.col("class") == "SYSTEM").sum().alias("system_keys"),
            (pl.col("kind") == "MEDIA").sum().alias("media_keys"),
        )
    )
    pts = (
        t["metrics"]
        .group_by("project", "run_id")
        .agg(pl.len().alias("points"), pl.col("step").max().alias("last_step"))
    )
    exp = (
        t["runs"]
        .join(keys, on=["project", "run_id"], how="left")
        .join(pts, on=["project", "run_id"], how="left")
        .select(
            "project",
            "run_id",
            "state",
            pl.col("metric_keys").fill_null(0),
            pl.col("system_keys").fill_null(0),
            pl.col("media_keys").fill_null(0),
            pl.col("points").fill_null(0),
            "last_step",
            ((pl.col("state") == "RUNNING") & ~pl.col("deleted")).alias("running"),
            pl.col("deleted"),
            (pl.col("finished_at") - pl.col("created_at"))
            .dt.total_microseconds()
            .truediv(1e6)
            .alias("duration_s"),
        )
    )
    got = wh.query("SELECT * FROM run_overview")
    assert_same(got, exp, ["project", "run_id"])
    assert got.filter(pl.col("run_id") == mirror.deleted_run)["points"][0] > 0


def test_run_fields(wh, mirror):
    t = mirror.tables
    live = live_runs(t).select("project", "run_id")
    cfg = (
        t["run_config"]
        .join(live, on=["project", "run_id"])
        .select(
            "project",
            "run_id",
            pl.lit("config").alias("field_type"),
            pl.col("key").alias("column_name"),
            "value_double",
            pl.struct("value", "value_text")
            .map_elements(lambda s: text_of(s["value"], s["value_text"]), return_dtype=pl.String)
            .alias("value_text"),
        )
    )
    custom = t["metric_keys"].filter((pl.col("class") == "CUSTOM") & (pl.col("kind") == "SCALAR"))
    stats = series_stats(t).join(
        custom.select(["project", "run_id", "key"]), on=["project", "run_id", "key"]
    )
    stats = stats.join(live, on=["project", "run_id"])
    met = pl.concat(
        [
            stats.select(
                "project",
                "run_id",
                pl.lit("metric").alias("field_type"),
                (pl.col("key") + "_" + stat).alias("column_name"),
                pl.col(f"{stat}_value").alias("value_double"),
                pl.col(f"{stat}_value").cast(pl.String).alias("value_text"),
            )
            for stat in ("last", "min", "max")
        ]
    )
    exp = pl.concat([cfg, met.with_columns(pl.lit(None, pl.String).alias("value_text"))])
    got = wh.query("SELECT * FROM run_fields")
    assert_same(
        got.drop("value_text"), exp.drop("value_text"), ["project", "run_id", "column_name"]
    )
    got_cfg = got.filter(pl.col("field_type") == "config")
    assert_same(got_cfg, cfg, ["project", "run_id", "column_name"])


def test_run_table_for_quirks_and_lab(wh, mirror):
    t = mirror.tables
    stats = series_stats(t)
    for project in ("alice/quirks", "alice/mnist-sweep", LAB):
        got = wh.query("SELECT * FROM run_table(?)", [project])
        runs = live_runs(t).filter(pl.col("project") == project)
        assert sorted(got["run_id"].to_list()) == sorted(runs["run_id"].to_list())
        rows = {r["run_id"]: r for r in got.iter_rows(named=True)}
        cfg = t["run_config"].join(runs.select("run_id"), on="run_id")
        for c in cfg.iter_rows(named=True):
            cell = _cell(rows[c["run_id"]], c["key"])
            if isinstance(cell, float):
                assert cell == c["value_double"], (c["key"], cell)
            else:
                assert cell == text_of(c["value"], c["value_text"]), (c["key"], cell)
        for s in stats.join(runs.select("run_id"), on="run_id").iter_rows(named=True):
            if s["key"].startswith("__swanlab__"):
                continue
            for stat in ("last", "min", "max"):
                a, e = _cell(rows[s["run_id"]], f"{s['key']}_{stat}"), s[f"{stat}_value"]
                assert (a is None and e is None) or a == e or (a != a and e != e), s
    q = wh.query("SELECT * FROM run_table('alice/quirks')")
    assert q.schema["model.depth"] == pl.Float64 and q.schema["batch_size"] == pl.String
    assert {"model.layers[0]", "optim.betas[1]", "描述"} <= set(q.columns)


def _cell(row, name):
    """DuckDB names are case-insensitive: later case twins of `LR_last` come out as
    `Lr_last_1`, `lr_last_2`, ... (the hostile world has triples)."""
    if name in row:
        return row[name]
    twins = [c for c in row if c.rpartition("_")[0] == name and c.rpartition("_")[2].isdigit()]
    assert len(twins) == 1, (name, twins)
    return row[twins[0]]


def _config(t, run_id):
    c = t["run_config"].filter(pl.col("run_id") == run_id)
    return dict(zip(c["key"].to_list(), c["value"].to_list(), strict=True))


def test_run_diff_two_runs_and_a_set(wh, mirror):
    t = mirror.tables
    runs = live_runs(t).filter(pl.col("project") == "alice/quirks")
    a_row, b_row = runs.row(0, named=True), runs.row(1, named=True)
    a, b = _config(t, a_row["run_id"]), _config(t, b_row["run_id"])
    exp = {
        k: (a.get(k), b.get(k)) for k in set(a) | set(b) if k not in a or k not in b or a[k] != b[k]
    }
    got = wh.rows(
        "SELECT key, value_a, value_b, change FROM run_diff(?, ?)", [a_row["run_id"], b_row["slug"]]
    )
    assert {k: (va, vb) for k, va, vb, _ in got} == exp and exp
    for k, va, _vb, change in got:
        assert change == (
            "only_b" if va is None and k not in a else "only_a" if k not in b else "changed"
        )

    ids = runs["run_id"].to_list()[:5]
    cfgs = [_config(t, r) for r in ids]
    keys = set().union(*cfgs)
    differing = {k for k in keys if len({c.get(k, "#missing") for c in cfgs}) > 1}
    got_set = wh.query("SELECT * FROM run_diff(?)", [ids])
    assert set(got_set["key"].to_list()) == differing
    assert got_set.height == len(differing) * len(ids)
    for r in got_set.iter_rows(named=True):
        assert r["value"] == cfgs[ids.index(r["run_id"])].get(r["key"])
        assert r["distinct_values"] == len({c.get(r["key"], "#missing") for c in cfgs})


def _day_frame(t):
    return (
        live_runs(t)
        .filter(pl.col("created_at").is_not_null())
        .with_columns(pl.col("created_at").dt.convert_time_zone("UTC").dt.date().alias("day"))
    )


def test_project_activity(wh, mirror):
    runs = _day_frame(mirror.tables)
    st = pl.col("state")
    exp = (
        runs.group_by("project", "day", "username")
        .agg(
            pl.len().alias("runs"),
            (st == "RUNNING").sum().alias("running"),
            (st == "FINISHED").sum().alias("finished"),
            (st == "CRASHED").sum().alias("crashed"),
            (st == "ABORTED").sum().alias("aborted"),
            ((st == "CRASHED").sum() / st.is_in(["FINISHED", "CRASHED", "ABORTED"]).sum()).alias(
                "crash_rate"
            ),
        )
        .with_columns(
            pl.when(pl.col("crash_rate").is_nan())
            .then(None)
            .otherwise(pl.col("crash_rate"))
            .alias("crash_rate")
        )
    )
    got = wh.query("SELECT * FROM project_activity")
    assert_same(got, exp, ["project", "day", "username"])
    assert UTC  # days are UTC dates: created_at is UTC in truth


def test_project_status(wh, mirror):
    t = mirror.tables
    runs = t["runs"]
    live = ~pl.col("deleted")
    st = pl.col("state")
    counts = runs.group_by("project").agg(
        live.sum().alias("runs"),
        (live & (st == "RUNNING")).sum().alias("running"),
        (live & (st == "CRASHED")).sum().alias("crashed"),
        pl.col("username").filter(live).n_unique().alias("users"),
        pl.col("deleted").sum().alias("deleted_runs"),
        (
            (live & (st == "CRASHED")).sum()
            / (live & st.is_in(["FINISHED", "CRASHED", "ABORTED"])).sum()
        ).alias("crash_rate"),
    )
    exp = (
        t["projects"]
        .select("project")
        .join(counts, on="project", how="left")
        .with_columns(
            pl.col("runs", "running", "crashed", "users", "deleted_runs").fill_null(0),
            pl.when(pl.col("crash_rate").is_nan())
            .then(None)
            .otherwise(pl.col("crash_rate"))
            .alias("crash_rate"),
        )
    )
    got = wh.query("SELECT * FROM project_status")
    assert_same(got, exp, ["project"])
    assert got.filter(pl.col("project") == LAB)["deleted_runs"][0] == 1
