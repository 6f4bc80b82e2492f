"""run_log_tail, log_search and media_gallery against answers computed with polars from the
simulator's truth (the warehouse was pulled from it: see conftest)."""

from __future__ import annotations

import polars as pl

from .expect import assert_same, live_runs

LOG_KEY = ["project", "run_id", "seq"]


def _live_logs(t: dict[str, pl.DataFrame]) -> pl.DataFrame:
    runs = live_runs(t).select("project", "run_id", pl.col("name").alias("run_name"), "state")
    return t["logs"].join(runs, on=["project", "run_id"])


def test_run_log_tail(wh, mirror):
    logs = _live_logs(mirror.tables).with_columns(
        pl.col("seq")
        .rank("ordinal", descending=True)
        .over("project", "run_id")
        .cast(pl.Int64)
        .alias("from_end")
    )
    exp = logs.filter(
        (pl.col("from_end") <= 100) | (pl.col("level").str.to_uppercase() == "ERROR")
    ).select(
        "project",
        "run_id",
        "run_name",
        "state",
        "seq",
        "from_end",
        "ts",
        "level",
        "stream",
        "tag",
        (pl.col("level").str.to_uppercase() == "ERROR").fill_null(False).alias("is_error"),
        "text",
    )
    got = wh.query("SELECT * EXCLUDE (source) FROM run_log_tail")
    assert exp.height > 0 and exp["is_error"].any() and (exp["from_end"] > 100).any()
    assert_same(got, exp, LOG_KEY)
    assert mirror.deleted_run not in got["run_id"].to_list()


def test_log_search_text_and_regex(wh, mirror):
    logs = _live_logs(mirror.tables)
    cols = ["project", "run_id", "run_name", "seq", "ts", "level", "stream", "tag", "text"]
    for pattern in ("EPOCH", "训练", "\ufffd"):  # case-insensitive text, unicode, repaired bytes
        exp = logs.filter(
            pl.col("text").str.to_lowercase().str.contains(pattern.lower(), literal=True)
        )
        got = wh.query("SELECT * EXCLUDE (source) FROM log_search(?)", [pattern])
        assert exp.height > 0, pattern
        assert_same(got, exp.select(cols), LOG_KEY)
    exp = logs.filter(pl.col("text").str.contains(r"^step \d+: loss=0\.0"))
    got = wh.query(
        "SELECT * EXCLUDE (source) FROM log_search(?, regex := true)", [r"^step \d+: loss=0\.0"]
    )
    assert exp.height > 0
    assert_same(got, exp.select(cols), LOG_KEY)
    # the pattern is data: quotes and SQL inside it find nothing and break nothing
    assert wh.query("SELECT * FROM log_search(?)", ["x'); DROP TABLE logs; --"]).height == 0


def test_media_gallery(wh, mirror):
    t = mirror.tables
    runs = live_runs(t).select("project", "run_id", pl.col("name").alias("run_name"), "state")
    exp = (
        t["media"]
        .join(runs, on=["project", "run_id"])
        .select(
            "project",
            "run_id",
            "run_name",
            "state",
            "key",
            "step",
            pl.col("idx").cast(pl.Int32),
            "kind",
            "caption",
        )
    )
    got = wh.query(
        "SELECT project, run_id, run_name, state, key, step, idx, kind, caption, src, "
        "downloaded, url FROM media_gallery"
    )
    assert {"image", "audio", "video", "text", "html", "echarts", "object3d", "molecule"} <= set(
        got["kind"].to_list()
    )
    assert got.filter(pl.col("src") != pl.col("url")).height == 0  # pulled with --media list
    assert not got["downloaded"].any()
    assert_same(
        got.drop("src", "downloaded", "url"), exp, ["project", "run_id", "key", "step", "idx"]
    )
    assert mirror.deleted_run not in got["run_id"].to_list()
