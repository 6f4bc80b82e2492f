"""The hostile world: its names, keys and values, and the wire formats that carry them (CSV with
BOM, CRLF, quoted fields and every number spelling; JSON with unusual floats and escapes). Every
quirk must still mean exactly the truth, and each must be switchable on its own."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import pytest
import requests

from trackersim.errors import SimConfigError
from trackersim.swanlab import SimServer, World, build_world, hostile
from trackersim.swanlab.options import HOSTILE_OPTIONS
from trackersim.swanlab.truth import rows

from .simclient import Client, csv_rows, ms, run_ref

HP = f"alice/{hostile.PROJECT_NAME}"


def bits(value: float) -> bytes:
    """The exact double (the sign of zero included); every NaN is the same NaN."""
    return b"nan" if math.isnan(value) else struct.pack("<d", value)


def export(c: Client, world: World, run_id: str, keys: list[str]) -> requests.Response:
    run = world.run(run_id)
    ref = run_ref(world, run_id)
    cols = [{**ref, "key": k, "experimentName": run.name} for k in keys]
    body = {"projectId": ref["projectId"], "columns": cols}
    cos = c.ok(c.post("/house/metrics/scalar/export", body))["cosKey"]
    url = c.ok(c.post("/files/presigned/get", {"paths": [cos]}))["urls"][0]
    with requests.Session() as plain:
        return plain.get(url, timeout=30)


def hostile_runs(world: World) -> list[str]:
    return world.runs(HP)


# -- the data -------------------------------------------------------------------------------------
def test_small_is_hostile_by_default_and_demo_is_not() -> None:
    small = build_world("small", seed=0)
    assert HP in small.projects()
    for name, value in HOSTILE_OPTIONS.items():
        assert getattr(small.options, name) == value
    demo = build_world("demo", seed=0)
    assert HP not in demo.projects() and not demo.options.csv_bom
    hardened = build_world("demo", seed=0, hostile=True)
    assert HP in hardened.projects() and hardened.options.csv_bom
    assert HP not in build_world("small", seed=0, hostile=False).projects()


def test_one_quirk_switches_off_alone() -> None:
    world = build_world("small", seed=0, csv_bom=False)
    assert not world.options.csv_bom and world.options.csv_crlf
    with pytest.raises(SimConfigError):
        build_world("small", seed=0, csv_teapot=True)


def test_hostile_names_keys_and_values_are_in_the_truth(small_world: World) -> None:
    truth = small_world.truth()
    names = {r["name"] for r in rows(truth["runs"]) if r["project"] == HP}
    assert names == set(hostile.RUN_NAMES)
    keys = {r["key"] for r in rows(truth["metric_keys"]) if r["project"] == HP}
    assert set(hostile.KEYS) <= keys
    assert any(len(k) > 255 for k in keys) and any(len(n) > 255 for n in names)
    assert {"LR", "lr", "Lr"} <= keys and {"Case", "case"} <= names
    specials = [
        r["value"]
        for r in rows(truth["metrics"])
        if r["project"] == HP and r["key"] == "weird/spellings"
    ]
    got = {bits(v) for v in specials}
    assert {bits(v) for v in hostile.SPECIALS.values()} <= got
    assert bits(0.0) not in got  # the sign of zero is kept
    configs = [r for r in rows(truth["run_config"]) if r["project"] == HP]
    neg = [r for r in configs if r["key"] == "neg_zero"]
    assert neg and all(bits(r["value_double"]) == bits(-0.0) for r in neg)
    assert any(r["key"] == "emoji🚀.inner,key" for r in configs)


# -- CSV ------------------------------------------------------------------------------------------
def test_hostile_csv_is_valid_and_exact(client: Client, small_world: World) -> None:
    """Every hostile run exported whole: BOM, CRLF, quoting, spellings; read by a CSV reader the
    cells are the truth bit for bit, and the header labels are ``{name}-{key}_step``."""
    seen_raw = b""
    for run_id in hostile_runs(small_world):
        run = small_world.run(run_id)
        keys = [s.key for s in run.scalar_series()][:16]
        resp = export(client, small_world, run_id, keys)
        raw = resp.content
        seen_raw += raw
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
        table = csv_rows(resp)
        labels = [f"{run.name}-{k}" for k in keys]
        assert table[0] == ["step"] + [
            x for lb in labels for x in (f"{lb}_step", f"{lb}_timestamp")
        ]
        for k, key in enumerate(keys):
            got = [
                (int(r[0]), bits(float(r[1 + 2 * k])), ms(r[2 + 2 * k]))
                for r in table[1:]
                if r[1 + 2 * k] != ""
            ]
            want = [(s, bits(v), t) for s, v, t in small_world.iter_points(run_id, key)]
            assert got == want, (run.name, key)
    text = seen_raw.decode("utf-8", "replace")
    for spelling in ("NaN", "nan", "Infinity", "-inf", "-0", "E", "e-", '""', '"0"'):
        assert spelling in text, spelling
    assert ".0," in text or '.0"' in text  # some timestamps written as floats


def test_friendly_world_writes_plain_csv() -> None:
    world = build_world("small", seed=0, hostile=False)
    with SimServer(world, port=0) as sim:
        c = Client(sim)
        try:
            rid = world.runs("alice/quirks")[0]
            keys = [s.key for s in world.run(rid).scalar_series()][:3]
            raw = export(c, world, rid, keys).content
        finally:
            c.close()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and b'"' not in raw


def test_header_quotes_a_bare_carriage_return() -> None:
    """Python's csv writer leaves a lone \\r unquoted when rows end with \\n; the simulator's
    header must still be RFC 4180 (a CSV reader sees one field)."""
    world = build_world("small", seed=0, csv_crlf=False, csv_quoting="minimal")
    rid = next(r for r in hostile_runs(world) if "cr\ronly" in world.run(r).series)
    with SimServer(world, port=0) as sim:
        c = Client(sim)
        try:
            resp = export(c, world, rid, ["cr\ronly"])
        finally:
            c.close()
    assert b"\r\n" not in resp.content
    name = world.run(rid).name
    assert csv_rows(resp)[0] == ["step", f"{name}-cr\ronly_step", f"{name}-cr\ronly_timestamp"]


# -- JSON -----------------------------------------------------------------------------------------
def same_json(hostile: Any, plain: Any) -> bool:
    """Equal JSON data, floats bit for bit and still floats (``2.0`` never comes back as ``2``)."""
    if isinstance(plain, float):
        return isinstance(hostile, float) and bits(hostile) == bits(plain)
    if isinstance(plain, dict):
        return (
            isinstance(hostile, dict)
            and list(hostile) == list(plain)
            and all(same_json(hostile[k], plain[k]) for k in plain)
        )
    if isinstance(plain, list):
        return (
            isinstance(hostile, list)
            and len(hostile) == len(plain)
            and all(same_json(h, p) for h, p in zip(hostile, plain, strict=True))
        )
    return type(hostile) is type(plain) and hostile == plain


def test_hostile_json_means_the_same(client: Client, small_world: World) -> None:
    resp = client.get(f"/project/{HP}/runs", page=1, size=100)
    raw = resp.text
    for marker in ("\\ud83d", "\\/", "E-", "-0.0e+00"):
        assert marker in raw, marker
    items = resp.json()["list"]
    by_id = {i["cuid"]: i for i in items}
    for run_id in hostile_runs(small_world):
        run = small_world.run(run_id)
        item = by_id[run_id]
        assert item["name"] == run.name and item["description"] == run.description
        assert [lb["name"] for lb in item["labels"]] == run.labels
        config = {k: v["value"] for k, v in item["profile"]["config"].items()}
        assert config == run.config
        assert bits(config["neg_zero"]) == bits(-0.0) and config["tiny"] == 5e-324


def test_json_summaries_keep_every_value(client: Client, small_world: World) -> None:
    refs = [run_ref(small_world, r) for r in hostile_runs(small_world)]
    body = client.ok(client.post("/house/metrics/summaries", {"experiments": refs}))
    truth = rows(small_world.truth(metrics=False)["summaries"])
    n = 0
    for t in truth:
        if t["project"] != HP:
            continue
        got = body[t["run_id"]][t["key"]]
        value = got["value"]
        want = t["last_value"]
        if isinstance(value, str):
            assert value in ("NaN", "INF", "-INF") and not math.isfinite(want)
        else:
            assert bits(float(value)) == bits(want), (t["key"], value, want)
        n += 1
    assert n > 50


def test_json_escapes_only_change_the_bytes(small_sim: SimServer) -> None:
    """The same answer from a world with and without the JSON quirks parses to equal data."""
    plain = build_world("small", seed=0, json_escapes=False, json_number_spellings=False)
    with SimServer(plain, port=0) as other:
        a, b = Client(small_sim), Client(other)
        try:
            path = f"/project/{HP}/runs"
            ra, rb = a.get(path, page=1, size=100), b.get(path, page=1, size=100)
        finally:
            a.close()
            b.close()
    assert ra.content != rb.content
    assert same_json(json.loads(ra.content), json.loads(rb.content))
