"""World options: switches for the behaviours the spec leaves open (section 11) and test knobs.

Every option has the default we believe the SwanLab cloud shows today; tests flip them to make sure
clients cope with both readings. See :mod:`trackersim.swanlab` for the full list with explanations.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from trackersim.errors import SimConfigError

ProfileMode = Literal["config", "full", "none"]
PathStyle = Literal["plain", "slash", "at"]
SummaryShape = Literal["legacy", "modern"]
LogEpoch = Literal["line", "shard"]
CsvQuoting = Literal["minimal", "all", "mixed"]


@dataclass
class WorldOptions:
    """Server behaviour switches (mutable at run time, e.g. through ``/_sim/options``)."""

    list_profile: ProfileMode = "config"  # profile in GET .../runs list items
    shows_profile: ProfileMode = "none"  # profile in POST .../runs/shows items (U8)
    run_project_id: bool = True  # run objects carry "project_id" (3.1)
    path_style: PathStyle = "plain"  # project "path": "ws/p" | "/ws/p" | "@ws/p" (U5)
    run_updated_at: bool = True  # run objects carry "updatedAt" (U7)
    summary_shape: SummaryShape = "legacy"  # per-key summary object shape (U10)
    login_status: int = 200  # 200 or 201 (U1)
    accept_key_header: bool = False  # data routes also accept `authorization: <key>` (U3)
    strict_page_size: bool = False  # reject page sizes outside the client whitelist (U4)
    log_epoch: LogEpoch = "shard"  # log `epoch` = 1000-line page index | line offset (U11)
    log_append_on_read: int = 0  # a RUNNING run prints this many lines per log page read
    project_updated_on_metrics: bool = False  # grow() bumps project updatedAt (U6)
    clone_strict: bool = True  # a clone's own ids hold no metric data; only root ids find it
    require_created_at: bool = True  # /house calls without createdAt -> 400
    legacy_csv_relative: bool = True  # /experiment/{id}/column/csv returns a relative url
    presign_ttl_s: float = 600.0  # lifetime of presigned download URLs
    keys_limit_max: int = 2000  # server cap on the metric-key page size
    # -- hostile wire formats (all on in hostile worlds; see HOSTILE_OPTIONS) ---------------
    csv_quoting: CsvQuoting = "minimal"  # csv.writer quoting; "mixed" = chosen per export
    csv_crlf: bool = False  # CSV rows end with \r\n
    csv_bom: bool = False  # CSV starts with a UTF-8 byte order mark
    csv_number_spellings: bool = False  # value cells in every spelling (1E5, -0, nan, Infinity)
    csv_float_timestamps: bool = False  # ms timestamps sometimes written as floats
    json_number_spellings: bool = False  # JSON floats as 1E5, 1e-5, -0.0e+00, 2E0 (for 2.0), ...
    json_escapes: bool = False  # JSON strings sometimes \u-escaped (surrogate pairs) and \/

    def update(self, values: dict[str, Any]) -> None:
        """Set options by name; unknown names raise SimConfigError."""
        known = {f.name for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise SimConfigError(f"unknown simulator option {name!r}; known: {sorted(known)}")
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Every wire-format quirk switched on: what ``build_world(..., hostile=True)`` sets.
HOSTILE_OPTIONS: dict[str, Any] = {
    "csv_quoting": "mixed",
    "csv_crlf": True,
    "csv_bom": True,
    "csv_number_spellings": True,
    "csv_float_timestamps": True,
    "json_number_spellings": True,
    "json_escapes": True,
    "log_append_on_read": 3,
}
