"""Contract: the REAL swanlab 0.10.3 SDK reads the simulator's consoles and media as the truth
says (``run.logs`` pages, ``run.export_logs``, ``run.medias``), so swansync's reading of those
routes is checked against the SDK's, not only against our own simulator.

What the SDK does that a mirror must not copy (pinned here, so a newer SDK that changes shows):

6. **The default level drops lines.** ``run.logs()`` asks for level INFO, a minimum: DEBUG lines
   never arrive (swansync asks for DEBUG).
7. **A lone surrogate comes through.** A ``\\udcXX`` escape in a message is handed to the caller
   as is: text that no UTF-8 writer can store (swansync makes it U+FFFD; seen while building
   this test, not required by it: the hostile JSON style escapes a string by chance). Raw bytes
   that are not UTF-8 are replaced by ``requests`` (U+FFFD), as swansync does.
8. **No bound on a line.** The 1.5 MB line arrives whole (swansync cuts at 1 MiB and marks it).

The export file, which the SDK only links to, is fetched by the driver without a cookie: rows
``<timestamp> <LEVEL> <message>`` (U16), the format swansync's export reader expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.contract.sdk_env import HERE, run_driver
from trackersim.swanlab import SimServer, World, build_world
from trackersim.swanlab.console import CUT_MARKER, MAX_LOG_LINE
from trackersim.swanlab.truth import rows

pytestmark = [pytest.mark.contract, pytest.mark.slow]


@pytest.fixture(scope="module")
def read(sdk_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, Any]]:
    world = build_world("small", seed=0, log_append_on_read=0)
    with SimServer(world, port=0) as sim:
        res = run_driver(
            sdk_python,
            sim.url,
            sim.api_key,
            tmp_path_factory.mktemp("sdk-console"),
            mode="console",
            driver=HERE / "console_driver.py",
        )
        assert "Traceback" not in res.output, res.output[-3000:]
        yield world, res.data


def _when(text: str) -> datetime:
    head, _, frac = text.rstrip("Z").partition(".")
    zone = "+00:00"
    if "+" in frac:
        frac, _, zone = frac.partition("+")
        zone = "+" + zone
    micro = (frac + "000000")[:6]
    return datetime.fromisoformat(f"{head}.{micro}{zone}").astimezone(UTC)


def _as_mirror_keeps(message: str) -> str:
    """A message as swansync stores it: lone surrogates U+FFFD, over 1 MiB cut and marked."""
    fixed = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in message)
    raw = fixed.encode()
    if len(raw) > MAX_LOG_LINE:
        return raw[:MAX_LOG_LINE].decode() + CUT_MARKER.format(total=len(raw))
    return fixed


def test_the_sdk_reads_every_console_line_as_the_truth_says(read: tuple[World, Any]) -> None:
    world, data = read
    truth: dict[str, list[dict[str, Any]]] = {}
    for r in rows(world.truth(metrics=False)["logs"]):
        truth.setdefault(r["run_id"], []).append(r)
    surrogates = debug_dropped = long_lines = 0
    assert data["runs"]
    for run in data["runs"]:
        want = truth.get(run["run_id"], [])
        lines = [ln for page in run["console"]["pages"] for ln in page]
        assert run["console"]["counts"][0] == len(want)
        got = [
            (ln["epoch"], ln["level"], _as_mirror_keeps(ln["message"]), _when(ln["timestamp"]))
            for ln in lines
        ]
        assert got == [(w["seq"], w["level"], w["text"], w["ts"]) for w in want], run["run_id"]
        surrogates += sum(any(0xD800 <= ord(c) <= 0xDFFF for c in ln["message"]) for ln in lines)
        long_lines += sum(len(ln["message"]) > MAX_LOG_LINE for ln in lines)
        debug = sum(w["level"] == "DEBUG" for w in want)
        assert run["console"]["info"]["count"] == len(want) - debug  # finding 6
        debug_dropped += debug
    # Findings 6 and 8 occur; 7 only when the hostile JSON style escaped a broken byte (drawn per
    # string), so it is compared above (as U+FFFD) but not required.
    assert debug_dropped > 0 and long_lines == 1 and surrogates >= 0


def test_the_export_file_has_the_rows_swansync_reads(read: tuple[World, Any]) -> None:
    world, data = read
    truth: dict[str, list[dict[str, Any]]] = {}
    for r in rows(world.truth(metrics=False)["logs"]):
        truth.setdefault(r["run_id"], []).append(r)
    for run in data["runs"]:
        assert run["console"]["export_ok"], run["run_id"]
        text = run["console"]["export"]["text"]
        body = text.split("\n")
        assert body[-1] == ""
        want = truth.get(run["run_id"], [])
        assert len(body) - 1 == len(want)
        for row, w in zip(body, want, strict=False):
            stamp, level, message = row.split(" ", 2)
            assert (_when(stamp), level) == (w["ts"], w["level"])
            if "\ufffd" not in w["text"] and len(message.encode()) <= MAX_LOG_LINE:
                assert message == w["text"]


def test_the_sdk_reads_every_media_item_as_the_truth_says(read: tuple[World, Any]) -> None:
    world, data = read
    truth: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in rows(world.truth(metrics=False, logs=False)["media"]):
        truth.setdefault((r["run_id"], r["key"], r["step"]), []).append(r)
    seen = 0
    for run in data["runs"]:
        media = run["media"]
        for item in (media.get("all") or {}).get("list", []):
            for step in item["metrics"]:
                want = truth[(run["run_id"], item["key"], step["index"])]
                assert len(step["items"]) == len(want)
                for got, w in zip(step["items"], want, strict=True):
                    assert (got.get("caption") or None) == w["caption"]
                    path = unquote(urlsplit(got["url"]).path)
                    assert f"/media/{item['key']}/{step['index']:03d}-{w['idx']}-" in path
                    seen += 1
        one = media.get("one")
        if one:
            s = media["one_step"]
            for item in one["list"]:
                want = truth.get((run["run_id"], item["key"], s), [])
                assert len([i for m in item["metrics"] for i in m["items"]]) == len(want)
    assert seen == sum(len(v) for v in truth.values())
