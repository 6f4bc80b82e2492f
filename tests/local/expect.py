"""What the warehouse must hold, derived from make_local_runs.py's manifest.json (written by the
generator from what it logged, independently of swansync)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

STATES = {1: "FINISHED", -1: "CRASHED", 0: "RUNNING"}


def number(v: Any) -> float:
    """Manifest spelling of a value ("NaN"/"Infinity"/"-Infinity" strings) as a float."""
    if isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]
    return float(v)


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b


def config_leaves(config: dict[str, Any], *, top_none_as_empty: bool) -> dict[str, Any]:
    """Our own flattening of the config as passed to swanlab.init: nested keys joined with ".",
    list items as "[i]", empty containers and nulls are leaves. swanlab 0.10.x stores a
    *top-level* None as {} (spec gotcha 8; 0.7.x keeps null), so that is what a faithful mirror
    shows."""
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}", v)
        elif isinstance(value, list) and value:
            for i, v in enumerate(value):
                walk(f"{prefix}[{i}]", v)
        else:
            out[prefix] = value

    for k, v in config.items():
        walk(k, {} if v is None and top_none_as_empty else v)
    return out


def folder_digest(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root``: (size, mtime_ns, sha256) -- to prove a folder was not touched."""
    out: dict[str, tuple[int, int, str]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns, digest)
    return out


def load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)
