"""Signed parquet URLs: content, Range reads, signatures, expiry."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest
import requests

from trackersim.wandb import Faults, SimServer, World, build_world

from .client import Gql, named, run_query, run_vars

QUERY = run_query("parquetHistory(liveKeys: $k) { parquetUrls liveData }").replace(
    "$r: String!", "$r: String!, $k: [String!]!"
)


@pytest.fixture
def exported() -> Iterator[tuple[World, SimServer, list[str]]]:
    world = build_world("small", seed=0, parquet_export=True, parquet_rows_per_file=50)
    run = named(world, "kitchen-sink")
    world.export(run.name)
    with SimServer(world) as sim:
        gql = Gql(sim)
        got = gql.data(QUERY, {**run_vars(run), "k": ["_step"]})["project"]["run"]
        gql.close()
        yield world, sim, got["parquetHistory"]["parquetUrls"]


def test_files_hold_the_exported_rows(exported: tuple[World, SimServer, list[str]]) -> None:
    world, _, urls = exported
    run = named(world, "kitchen-sink")
    assert len(urls) == math.ceil(260 / 50)
    rows = []
    for url in urls:
        resp = requests.get(url, timeout=10)  # no credentials: the signature is the key
        assert resp.status_code == 200 and resp.headers["Accept-Ranges"] == "bytes"
        rows += pq.read_table(io.BytesIO(resp.content)).to_pylist()
    want = run.rows()
    assert [r["_step"] for r in rows] == [r["_step"] for r in want]
    for got, row in zip(rows, want, strict=True):
        for key, value in row.items():
            if isinstance(value, dict):
                assert json.loads(got[key]) == value
            elif isinstance(value, float) and math.isnan(value):
                assert math.isnan(got[key])
            else:
                assert got[key] == value, key
        assert all(got[k] is None for k in got if k not in row)  # missing keys are null


def test_range_reads(exported: tuple[World, SimServer, list[str]]) -> None:
    _, _, urls = exported
    whole = requests.get(urls[0], timeout=10).content
    size = len(whole)
    for header, start, end in (
        ("bytes=0-0", 0, 0),
        ("bytes=4-", 4, size - 1),
        ("bytes=-8", size - 8, size - 1),
        ("bytes=10-20", 10, 20),
    ):
        resp = requests.get(urls[0], headers={"Range": header}, timeout=10)
        assert resp.status_code == 206 and resp.content == whole[start : end + 1], header
        assert resp.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert requests.get(urls[0], headers={"Range": f"bytes={size}-"}, timeout=10).status_code == 416
    assert requests.get(urls[0], headers={"Range": "pages=1"}, timeout=10).status_code == 416
    head = requests.head(urls[0], timeout=10)
    assert (
        head.status_code == 200 and int(head.headers["Content-Length"]) == size and not head.content
    )


def test_bad_signatures_and_expiry(exported: tuple[World, SimServer, list[str]]) -> None:
    world, sim, urls = exported
    assert requests.get(urls[0].replace("signature=", "signature=0"), timeout=10).status_code == 403
    assert requests.get(urls[0].split("?")[0], timeout=10).status_code == 403
    sim.faults = Faults(expire_urls=True)
    resp = requests.get(urls[0], timeout=10)
    assert resp.status_code == 400 and b"ExpiredToken" in resp.content
    sim.faults = Faults()
    world.options.update({"presign_ttl_s": -1.0})
    gql = Gql(sim)
    run = named(world, "kitchen-sink")
    fresh_urls = gql.data(QUERY, {**run_vars(run), "k": ["_step"]})["project"]["run"][
        "parquetHistory"
    ]["parquetUrls"]
    gql.close()
    assert requests.get(fresh_urls[0], timeout=10).status_code == 400
    missing = urls[0].replace("/0.parquet", "/99.parquet")
    assert requests.get(missing, timeout=10).status_code in (403, 404)
    sim.faults = Faults(rate_429=1.0, operations=["GET /_files/parquet"])
    assert requests.get(urls[1], timeout=10).status_code == 429
