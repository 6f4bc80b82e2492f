"""Compare what the reader returns with the generator's manifest, value by value.

The manifest (``make_offline_runs.py``) encodes floats by ``repr`` (``{"float": "nan"}``,
``{"float": "-0.0"}``), media by type (``{"media": "image-file"}``) and objects as
``{"dict": {...}}``. ``mismatches`` lists every difference: NaN matches NaN only, -0.0 matches
-0.0 only, an int matches an int only; a float logged with an integral value may come back as
an int only when ``int_floats`` is set (wandb-core writes ``1.0`` as ``1``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swansync.sources.wandb.offline import HistoryRecord, ReadResult, RunFold, read_log

DATA = Path(__file__).resolve().parent / "data"
ROW_INTERNALS = ("_step", "_runtime", "_timestamp")


def load_manifests(root: Path = DATA) -> dict[str, dict[str, Any]]:
    """{sdk version: manifest} for every ``manifest-<version>.json`` under ``root``."""
    out = {}
    for path in sorted(root.glob("manifest-*.json")):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        out[manifest["sdk"]] = manifest
    return out


@dataclass
class Fixture:
    sdk: str
    entry: dict[str, Any]
    folder: Path

    @property
    def log(self) -> Path:
        return self.folder / f"run-{self.entry['run_id']}.wandb"

    @property
    def int_floats(self) -> bool:
        major, minor = (int(p) for p in self.sdk.split(".")[:2])
        return (major, minor) >= (0, 18)


def fixtures(root: Path = DATA) -> list[Fixture]:
    return [
        Fixture(sdk, entry, root / entry["folder"])
        for sdk, manifest in load_manifests(root).items()
        for entry in manifest["runs"]
    ]


def mismatches(expected: Any, actual: Any, where: str, int_floats: bool) -> list[str]:
    def bad(what: str) -> list[str]:
        return [f"{where}: expected {what}, got {actual!r}"]

    if isinstance(expected, dict) and "float" in expected:
        want = float(expected["float"])
        if math.isnan(want):
            return [] if isinstance(actual, float) and math.isnan(actual) else bad("NaN")
        if isinstance(actual, float) and not isinstance(actual, bool):
            same_sign = math.copysign(1, actual) == math.copysign(1, want)
            return [] if actual == want and same_sign else bad(repr(want))
        if int_floats and type(actual) is int and want.is_integer() and actual == want:
            return []
        return bad(f"float {want!r}")
    if isinstance(expected, dict) and "media" in expected:
        ok = isinstance(actual, dict) and actual.get("_type") == expected["media"]
        return [] if ok else bad(f"a {expected['media']} object")
    if isinstance(expected, dict) and "dict" in expected:
        want_dict = expected["dict"]
        if not isinstance(actual, dict) or set(actual) != set(want_dict):
            return bad(f"an object with keys {sorted(want_dict)}")
        return [
            m
            for k in want_dict
            for m in mismatches(want_dict[k], actual[k], f"{where}.{k}", int_floats)
        ]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return bad(f"a list of {len(expected)}")
        return [
            m
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for m in mismatches(e, a, f"{where}[{i}]", int_floats)
        ]
    if type(expected) is not type(actual) or expected != actual:
        return bad(repr(expected))
    return []


def row_mismatches(
    expected_rows: list[dict[str, Any]], records: list[HistoryRecord], int_floats: bool
) -> list[str]:
    """Rows in order: same steps, same keys (besides the internals), same values."""
    problems = []
    if len(records) > len(expected_rows):
        problems.append(f"{len(records)} rows read, only {len(expected_rows)} logged")
    for want, got in zip(expected_rows, records, strict=False):
        step = want["step"]
        if got.step != step or got.values.get("_step") != step:
            problems.append(f"row step {got.step} / _step {got.values.get('_step')} != {step}")
        user = {k: v for k, v in got.values.items() if k not in ROW_INTERNALS}
        if set(user) != set(want["values"]):
            problems.append(f"step {step}: keys {sorted(user)} != {sorted(want['values'])}")
            continue
        for key, value in want["values"].items():
            problems += mismatches(value, user[key], f"step {step} {key!r}", int_floats)
        for internal in ("_runtime", "_timestamp"):
            value = got.values.get(internal)
            if not isinstance(value, int | float) or isinstance(value, bool):
                problems.append(f"step {step}: {internal} is {value!r}")
    return problems


def history(result: ReadResult) -> list[HistoryRecord]:
    return [r for r in result.records if isinstance(r, HistoryRecord)]


def read_fixture(fixture: Fixture) -> tuple[ReadResult, RunFold]:
    result = read_log(fixture.log)
    return result, RunFold().extend(result.records)
