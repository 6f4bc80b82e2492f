"""The whole export chain (login -> export -> presign -> download -> parse) of the SwanLab client
against a server that fails at the byte level: every fault is absorbed by the budget or a fresh
link, and the points come out exact; what cannot be absorbed is one clear line."""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from swansync.errors import DataError, FatalApiError, RetriableApiError
from swansync.sources.base import CsvPoints, ProjectRecord, RunRecord
from swansync.sources.swanlab.cloud.client import SwanLabClient
from swansync.sources.swanlab.cloud.export import export_points
from swansync.transform import points_frame
from tests.http.rawserver import (
    Close,
    LyingLength,
    RawRequest,
    RawServer,
    Reply,
    ResetAfterHeaders,
    ResetMidBody,
    TruncatedChunked,
    html,
)
from tests.swanlab.exports import HOSTILE, same, write_export

from .conftest import FAR, KEY, SID

Start = Callable[[Callable[[RawRequest], Any]], RawServer]
Series = dict[str, list[tuple[int, str, str]]]  # key -> (step, value text, ts text)

SPELLINGS = ["1e-05", "1E5", "-0.0", "NaN", "nan", "Infinity", "inf", "-inf", "+1.5", "0.25"]
EXPIRED = b"<?xml version='1.0'?><Error><Code>AccessDenied</Code><Message>Request has expired"
EXPIRED += b"</Message></Error>"


def make_series(rng: random.Random, keys: list[str]) -> Series:
    out: Series = {}
    for i, key in enumerate(keys):
        steps = sorted(rng.sample(range(300), rng.randint(0, 40)))
        out[key] = [
            (
                s,
                rng.choice(SPELLINGS) if rng.random() < 0.3 else repr(rng.uniform(-9, 9)),
                f"{1_700_000_000_000 + s * 7 + i}" + (".0" if rng.random() < 0.5 else ""),
            )
            for s in steps
        ]
    return out


class FakeCloud:
    """Login, scalar export, presign and object storage of one project; ``fault(n, req, ok)``
    may replace the n-th answer (1-based) with a fault."""

    def __init__(self, runs: dict[str, tuple[str, Series]], style: dict[str, bool]) -> None:
        self.runs = runs  # run id -> (run name, series)
        self.style = style
        self.exports: dict[str, tuple[str, list[str]]] = {}
        self.signatures: dict[str, str] = {}  # live signature -> cos key
        self.fault: Callable[[int, RawRequest, Any], Any] = lambda n, req, ok: None
        self.n = 0
        self.url = ""
        self._sig = itertools.count(1)

    def app(self, req: RawRequest) -> Any:
        self.n += 1
        ok = self._answer(req)
        replaced = self.fault(self.n, req, ok)
        return ok if replaced is None else replaced

    def _answer(self, req: RawRequest) -> Any:
        if req.path == "/api/login/api_key":
            if req.headers.get("authorization") != KEY:
                return Reply(401, {"message": "bad key"})
            return {"sid": SID, "expiredAt": FAR, "userInfo": {"username": "alice"}}
        if req.path.startswith("/api/") and f"sid={SID}" not in req.headers.get("cookie", ""):
            return Reply(401, {"message": "no session"})
        if req.path == "/api/house/metrics/scalar/export":
            cols = req.json()["columns"]
            run = cols[0]["experimentId"]
            cos = f"exports/{run}/{len(self.exports)}.csv"
            self.exports[cos] = (run, [c["key"] for c in cols])
            return {"cosKey": cos}
        if req.path == "/api/files/presigned/get":
            urls = []
            for cos in req.json()["paths"]:
                sig = f"{next(self._sig):04d}c0ffee5ecret"  # long enough to be searched for
                self.signatures[sig] = cos
                urls.append(f"{self.url}/storage/{cos}?X-Amz-Expires=60&X-Amz-Signature={sig}")
            return {"urls": urls}
        if req.path.startswith("/storage/"):
            if "cookie" in req.headers or "authorization" in req.headers:
                return Reply(400, b"credentials sent to object storage")
            linked = self.signatures.get(req.query.get("X-Amz-Signature", ""))
            if linked is None or req.path != f"/storage/{linked}":
                return Reply(403, EXPIRED, {"Content-Type": "application/xml"})
            run, keys = self.exports[linked]
            name, series = self.runs[run]
            csv = write_export(name, {k: series[k] for k in keys}, **self.style)
            return Reply(200, csv, {"Content-Type": "text/csv"})
        return Reply(404, {"code": "NOT_FOUND", "message": req.path})


def client(url: str, **kw: Any) -> SwanLabClient:
    kw.setdefault("retries", 5)
    kw.setdefault("backoff", 0.001)
    kw.setdefault("max_retry_after", 0.01)
    kw.setdefault("timeout", 10)
    return SwanLabClient(url, KEY, **kw)


def pull(c: SwanLabClient, cloud: FakeCloud) -> dict[str, dict[str, list[tuple[int, float, int]]]]:
    """Every run's points through the chain, parsed: run -> key -> (step, value, ts ms)."""
    out: dict[str, dict[str, list[tuple[int, float, int]]]] = {}
    project = cast(ProjectRecord, {"project": "ws/p"})
    for run_id, (name, series) in cloud.runs.items():
        run = cast(RunRecord, {"run_id": run_id, "name": name})
        ref = {"projectId": "proj", "experimentId": run_id, "createdAt": 1_700_000_000}
        got: dict[str, list[tuple[int, float, int]]] = {k: [] for k in series}
        for pts in export_points(c, project, run, ref, list(series)):
            assert isinstance(pts, CsvPoints)
            frame = points_frame("s", pts)
            for key, step, value, ts in frame.select("key", "step", "value", "ts").iter_rows():
                got[key].append((step, value, round(ts.timestamp() * 1000)))
        out[run_id] = got
    return out


def assert_exact(got: dict[str, Any], cloud: FakeCloud) -> None:
    for run_id, (_, series) in cloud.runs.items():
        for key, pts in series.items():
            want = [(s, float(v), int(float(t))) for s, v, t in pts]
            have = got[run_id][key]
            assert [(s, t) for s, _, t in have] == [(s, t) for s, _, t in want], (run_id, key)
            assert all(same(a[1], b[1]) for a, b in zip(have, want, strict=True)), (run_id, key)


def hostile_cloud(seed: int, runs: int, style: dict[str, bool] | None = None) -> FakeCloud:
    rng = random.Random(seed)
    world = {
        f"run{i:02d}": (HOSTILE[i % len(HOSTILE)], make_series(rng, HOSTILE)) for i in range(runs)
    }
    return FakeCloud(world, style or {})


@pytest.fixture
def cloud_server(raw_server: Start) -> Callable[[FakeCloud], str]:
    def start(cloud: FakeCloud) -> str:
        s = raw_server(cloud.app)
        cloud.url = s.url
        return s.url

    return start


def test_hostile_names_and_keys_through_the_chain(cloud_server: Callable[[FakeCloud], str]) -> None:
    cloud = hostile_cloud(1, runs=len(HOSTILE), style={"crlf": True, "bom": True})
    got = pull(client(cloud_server(cloud)), cloud)
    assert_exact(got, cloud)
    assert sum(len(p) for s in cloud.runs.values() for p in s[1].values()) > 1000


# -- one fault at a time -------------------------------------------------------------------

JSON_ROUTES = ("/api/login/api_key", "/api/house/metrics/scalar/export", "/api/files/presigned/get")


def ok_body(ok: Any) -> Reply:
    return ok if isinstance(ok, Reply) else Reply(200, ok)


FAULTS: dict[str, Callable[[Any], Any]] = {
    "429": lambda ok: Reply(429, {"message": "slow down"}, {"Retry-After": "0"}),
    "500": lambda ok: Reply(500, {"code": 500, "message": "boom"}),
    "503": lambda ok: Reply(503, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
    "502 HTML from a proxy": lambda ok: html(502),
    "reset after headers": lambda ok: ResetAfterHeaders(ok_body(ok)),
    "reset mid-body": lambda ok: ResetMidBody(ok_body(ok), at=len(ok_body(ok).payload()) // 2),
    "truncated chunked": lambda ok: TruncatedChunked(
        ok_body(ok), at=len(ok_body(ok).payload()) // 2
    ),
    "Content-Length too long": lambda ok: LyingLength(ok_body(ok)),
    "dropped": lambda ok: Close(),
    "HTML 200": lambda ok: html(200, "Please log in"),
    "JSON null": lambda ok: Reply(200, b"null", {"Content-Type": "application/json"}),
    "truncated JSON": lambda ok: Reply(
        200, ok_body(ok).payload()[:-3], {"Content-Type": "application/json"}
    ),
    "expired link": lambda ok: Reply(403, EXPIRED, {"Content-Type": "application/xml"}),
}
ONLY_JSON = {"JSON null", "truncated JSON"}
ONLY_STORAGE = {"expired link"}


def applies(kind: str, req: RawRequest) -> bool:
    storage = req.path.startswith("/storage/")
    if kind in ONLY_JSON:
        return not storage
    if kind in ONLY_STORAGE:
        return storage
    return True


WHERE = [*JSON_ROUTES, "/storage/"]


@pytest.mark.parametrize(
    ("kind", "where"),
    [(k, w) for w in WHERE for k in FAULTS if applies(k, RawRequest("GET", w, {}, {}, b""))],
)
def test_one_fault_on_each_route(
    cloud_server: Callable[[FakeCloud], str], kind: str, where: str
) -> None:
    cloud = hostile_cloud(2, runs=1)
    hit: list[int] = []

    def fault(n: int, req: RawRequest, ok: Any) -> Any:
        if req.path.startswith(where) and not hit:
            hit.append(n)
            return FAULTS[kind](ok)
        return None

    cloud.fault = fault
    c = client(cloud_server(cloud))
    assert_exact(pull(c, cloud), cloud)
    assert hit
    if kind == "expired link":  # a fresh export and presign, not a failure
        assert len(cloud.exports) == 3 and len(cloud.signatures) == 3


# -- a 20 % fault mix ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_twenty_percent_faults_give_an_exact_result(
    cloud_server: Callable[[FakeCloud], str], seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cloud = hostile_cloud(seed, runs=30, style={"crlf": seed == 2, "bom": seed == 3})
    rng = random.Random(seed)
    # Kinds in turn, one turn per kind of route, so every kind is tried where it can happen.
    cycles = {
        w: itertools.cycle([k for k in FAULTS if applies(k, RawRequest("GET", w, {}, {}, b""))])
        for w in ("/api/", "/storage/")
    }
    injected: dict[str, int] = {}

    def fault(n: int, req: RawRequest, ok: Any) -> Any:
        if rng.random() >= 0.2:
            return None
        kind = next(cycles["/storage/" if req.path.startswith("/storage/") else "/api/"])
        injected[kind] = injected.get(kind, 0) + 1
        return FAULTS[kind](ok)

    cloud.fault = fault
    got = pull(client(cloud_server(cloud)), cloud)  # the default budget: 5 retries
    assert_exact(got, cloud)
    assert set(injected) == set(FAULTS), set(FAULTS) - set(injected)  # every kind was tried
    assert 0.15 < sum(injected.values()) / cloud.n < 0.25
    # Every retry was logged (at INFO, redacted); no secret is in any record, urllib3's included.
    text = "\n".join(r.getMessage() for r in caplog.records)
    retried = sum(injected.values()) - injected["expired link"]  # those get a fresh link instead
    assert sum("; retry " in r.getMessage() for r in caplog.records) == retried
    assert "urllib3" in text  # its DEBUG lines were routed to ours, and checked here too
    for secret in [KEY, SID, *cloud.signatures]:
        assert secret not in text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- what cannot be absorbed: one line -------------------------------------------------------


def single_line(e: BaseException) -> str:
    text = str(e)
    assert "\n" not in text and "<html" not in text.lower() and "<?xml" not in text
    assert KEY not in text and SID not in text and "X-Amz-Signature" not in text
    assert "sig" not in text.split("?")[-1] or "?" not in text
    return text


def test_an_html_page_forever_is_one_line(cloud_server: Callable[[FakeCloud], str]) -> None:
    cloud = hostile_cloud(3, runs=1)
    cloud.fault = lambda n, req, ok: html(200, "Captive portal") if "export" in req.path else None
    with pytest.raises(DataError) as e:
        pull(client(cloud_server(cloud), retries=2), cloud)
    text = single_line(e.value)
    assert text == (
        "scalar export of run 'run00': POST /house/metrics/scalar/export on "
        f"{cloud.url}/api answered an HTML page where JSON was expected (after 3 attempts)"
    )


def test_a_proxy_502_forever_is_one_line(cloud_server: Callable[[FakeCloud], str]) -> None:
    cloud = hostile_cloud(3, runs=1)
    cloud.fault = lambda n, req, ok: html(502) if "presigned" in req.path else None
    with pytest.raises(RetriableApiError) as e:
        pull(client(cloud_server(cloud), retries=2), cloud)
    assert single_line(e.value) == (
        "download links for run 'run00': POST /files/presigned/get failed with HTTP 502 "
        "(an HTML page: a proxy or gateway answered, not the API)"
    )


def test_a_link_refused_forever_is_one_line(cloud_server: Callable[[FakeCloud], str]) -> None:
    cloud = hostile_cloud(3, runs=1)
    cloud.fault = lambda n, req, ok: FAULTS["expired link"](ok) if "storage" in req.path else None
    with pytest.raises(FatalApiError) as e:
        pull(client(cloud_server(cloud)), cloud)
    assert single_line(e.value) == (
        "metric CSV of run 'run00': GET <presigned csv> failed with HTTP 403 "
        "(after 2 fresh link(s))"
    )
    assert len(cloud.exports) == 2 + 2  # two batches, then two fresh exports of the first


def test_a_body_cut_forever_is_one_line(cloud_server: Callable[[FakeCloud], str]) -> None:
    cloud = hostile_cloud(3, runs=1)
    cloud.fault = lambda n, req, ok: (
        ResetMidBody(ok_body(ok), at=100) if "storage" in req.path else None
    )
    with pytest.raises(RetriableApiError) as e:
        pull(client(cloud_server(cloud), retries=1), cloud)
    assert single_line(e.value) == (
        f"metric CSV of run 'run00': GET <presigned csv> on {cloud.url}: connection reset "
        "by the server mid-body (after 2 attempts)"
    )


@pytest.fixture
def dead_url() -> Iterator[str]:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_a_dead_host_fails_fast_in_one_line(
    dead_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = client(dead_url, backoff=5.0)
    with pytest.raises(RetriableApiError) as e:
        c.call("GET", "/project/ws/p", route="GET /project/{ws}/{proj}", what="project 'ws/p'")
    assert str(e.value) == f"cannot connect to {dead_url}/api: connection refused"
    assert not [r for r in caplog.records if "; retry " in r.getMessage()]  # no retry at all
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if r.name.startswith("urllib3")]
