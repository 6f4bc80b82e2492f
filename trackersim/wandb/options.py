"""World options: switches for what the spec leaves open (its section 11) and test knobs.

Each default is our best reading of the real server; tests flip them so clients cope with the
other readings too. :mod:`trackersim.wandb` documents every option.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from trackersim.errors import SimConfigError

NonFinite = Literal["bare", "string", "null"]
_NONFINITE = ("bare", "string", "null")
CHOICES: dict[str, tuple[str, ...]] = {
    "history_nonfinite": _NONFINITE,
    "sampled_nonfinite": _NONFINITE,
    "summary_nonfinite": _NONFINITE,
    "sampled_rows": ("all_keys", "any_key"),
    "cursor_style": ("offset", "keyset"),
    "time_format": ("naive", "zulu"),
    "unknown_entity": ("empty", "error"),
}


@dataclass
class WorldOptions:
    """Server behaviour switches (mutable at run time, e.g. through ``/_sim/options``)."""

    history_nonfinite: NonFinite = "bare"  # NaN/±inf inside history/events row strings
    sampled_nonfinite: NonFinite = "string"  # ... inside sampledHistory objects (envelope)
    summary_nonfinite: NonFinite = "bare"  # ... inside summaryMetrics/config JSON strings
    sampled_rows: Literal["all_keys", "any_key"] = "all_keys"  # sampledHistory row selection
    cursor_style: Literal["offset", "keyset"] = "offset"  # Relay cursors of runs/projects
    time_format: Literal["naive", "zulu"] = "naive"  # createdAt/heartbeatAt spelling
    max_page_size: int = 1000  # `first` above this is clamped
    default_samples: int = 500  # history/events samples when the argument is null
    parquet_export: bool = False  # parquetHistory offers exported files (else live only)
    parquet_rows_per_file: int = 1000  # rows per exported parquet file
    presign_ttl_s: float = 600.0  # lifetime of signed parquet URLs (negative = expired)
    run_updated_at: bool = False  # Run has an `updatedAt` field (unverified on the real API)
    unknown_entity: Literal["empty", "error"] = "empty"  # models(entityName) of no entity
    runs_added_per_page: int = 0  # each served Runs page adds this many runs (shifting pages)
    runs_deleted_per_page: int = 0  # each served Runs page deletes this many listed runs
    console_quirks: bool = True  # hostile output.log bytes (console.py)
    media_missing: bool = True  # every 4th image file listed but gone (404)

    def update(self, values: dict[str, Any]) -> None:
        """Set options by name; unknown names or values of the wrong kind raise."""
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise SimConfigError(f"unknown simulator option {name!r}; known: {sorted(known)}")
            current = getattr(self, name)
            if isinstance(current, bool) != isinstance(value, bool) or (
                isinstance(current, str) != isinstance(value, str)
            ):
                raise SimConfigError(f"option {name!r} takes a {type(current).__name__}")
            if name in CHOICES and value not in CHOICES[name]:
                raise SimConfigError(f"option {name!r} must be one of {CHOICES[name]}")
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
