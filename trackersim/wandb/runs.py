"""The ``Run`` type: metadata fields and the four ways to read history.

* ``history(minStep, maxStep, samples)`` (the SDK's ``HistoryPage``): rows with
  ``minStep <= _step < maxStep`` (**exclusive** upper bound), as JSON strings; without bounds
  (``RunFullHistory``) the whole history. More rows than ``samples`` are sampled.
* ``sampledHistory(specs)``: per spec ``{"keys", "samples", "minStep"?, "maxStep"?}`` the rows in
  ``[minStep, maxStep]`` (**inclusive**) that hold every key (``sampled_rows="any_key"``: any
  key), projected on the keys, as JSON objects inside the envelope.
* ``events(samples)``: the system-metrics stream, sampled like ``history``.
* ``parquetHistory(liveKeys)``: signed URLs of exported parquet files plus ``liveData``, one
  object per row not yet exported (projected on ``liveKeys``).

Sampling, when a caller asks for fewer rows than exist: evenly spaced rows, always the first
and the last (the real algorithm is unknown; spec section 11).
"""

from __future__ import annotations

import json
from typing import Any

from trackersim.wandb import runfiles
from trackersim.wandb.encode import json_text, nonfinite
from trackersim.wandb.gql import GqlError
from trackersim.wandb.history import type_name
from trackersim.wandb.model import Run
from trackersim.wandb.resolvers import Ctx, Simple, UserNode
from trackersim.wandb.schema import Node
from trackersim.wandb.truth import RESERVED


def sample(rows: list[Any], samples: int) -> list[Any]:
    """At most ``samples`` rows: all of them, or evenly spaced including first and last."""
    n = len(rows)
    if samples <= 0:
        return []
    if n <= samples:
        return rows
    if samples == 1:
        return [rows[-1]]
    picks = sorted({round(i * (n - 1) / (samples - 1)) for i in range(samples)})
    return [rows[i] for i in picks]


class RunNode(Node):
    typename = "Run"

    def __init__(self, ctx: Ctx, run: Run) -> None:
        self.ctx, self.run = ctx, run

    @property
    def opts(self) -> Any:
        return self.ctx.world.options

    # -- metadata -------------------------------------------------------------------------------
    def f_id(self, args: dict[str, Any]) -> str:
        return self.run.storage_id

    def f_name(self, args: dict[str, Any]) -> str:
        return self.run.name

    def f_displayName(self, args: dict[str, Any]) -> str:
        return self.run.display_name

    def f_state(self, args: dict[str, Any]) -> str:
        return self.run.state

    def f_config(self, args: dict[str, Any]) -> str:
        return json_text(self.run.config, self.opts.summary_nonfinite)

    def f_summaryMetrics(self, args: dict[str, Any]) -> str:
        return json_text(self.run.summary(), self.opts.summary_nonfinite)

    def f_systemMetrics(self, args: dict[str, Any]) -> str:
        return json_text(self.run.system_metrics(), self.opts.summary_nonfinite)

    def f_createdAt(self, args: dict[str, Any]) -> str | None:
        return self.ctx.time(self.run.created_s)

    def f_heartbeatAt(self, args: dict[str, Any]) -> str | None:
        return self.ctx.time(self.run.heartbeat_s)

    def f_updatedAt(self, args: dict[str, Any]) -> str | None:
        return self.ctx.time(self.run.updated_s)

    def f_tags(self, args: dict[str, Any]) -> list[str]:
        return list(self.run.tags)

    def f_group(self, args: dict[str, Any]) -> str | None:
        return self.run.group

    def f_jobType(self, args: dict[str, Any]) -> str | None:
        return self.run.job_type

    def f_sweepName(self, args: dict[str, Any]) -> str | None:
        return self.run.sweep

    def f_commit(self, args: dict[str, Any]) -> str | None:
        return self.run.commit

    def f_readOnly(self, args: dict[str, Any]) -> bool:
        return False

    def f_description(self, args: dict[str, Any]) -> str | None:
        return self.run.notes

    def f_notes(self, args: dict[str, Any]) -> str | None:
        return self.run.notes

    def f_host(self, args: dict[str, Any]) -> str | None:
        return self.run.host

    def f_projectId(self, args: dict[str, Any]) -> str:
        return str(self.run.project.internal_id)

    def f_user(self, args: dict[str, Any]) -> UserNode | None:
        user = self.ctx.user(self.run.user)
        return None if user is None else UserNode(user, with_teams=False)

    def f_historyLineCount(self, args: dict[str, Any]) -> int:
        return self.run.line_count()

    def f_historyKeys(self, args: dict[str, Any]) -> dict[str, Any] | None:
        run = self.run
        last = run.last_row()
        if last is None:
            return None
        keys: dict[str, Any] = {}
        for spec in run.keys:
            off = run.last_offset(spec)
            if off is None:
                continue
            count = (off - spec.first) // spec.every + 1
            keys[spec.name] = {"typeCounts": [{"type": type_name(spec.value(off)), "count": count}]}
        lines = run.line_count()
        for reserved in RESERVED:
            keys[reserved] = {"typeCounts": [{"type": "number", "count": lines}]}
        return {"keys": keys, "lastStep": last["_step"]}

    # -- history --------------------------------------------------------------------------------
    def _samples(self, args: dict[str, Any]) -> int:
        samples = args.get("samples")
        return self.opts.default_samples if samples is None else int(samples)

    def f_history(self, args: dict[str, Any]) -> list[str]:
        lo, hi = args.get("minStep"), args.get("maxStep")
        rows = sample(self.run.rows(lo, hi), self._samples(args))
        mode = self.opts.history_nonfinite
        return [json_text(row, mode) for row in rows]

    def f_events(self, args: dict[str, Any]) -> list[str]:
        rows = sample(self.run.events(), self._samples(args))
        mode = self.opts.history_nonfinite
        return [json_text(row, mode) for row in rows]

    def f_sampledHistory(self, args: dict[str, Any]) -> list[list[Any]]:
        return [self._one_spec(spec) for spec in args["specs"]]

    def _one_spec(self, text: str) -> list[Any]:
        try:
            spec = json.loads(text)
        except ValueError as exc:
            raise GqlError(f"invalid sampledHistory spec: {exc}") from exc
        keys = spec.get("keys") if isinstance(spec, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise GqlError("invalid sampledHistory spec: keys must be a list of strings")
        lo, hi = spec.get("minStep"), spec.get("maxStep")
        for bound in (lo, hi, spec.get("samples")):
            if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                raise GqlError("invalid sampledHistory spec: steps and samples are integers")
        wanted = list(dict.fromkeys(keys))
        own = [k for k in wanted if k not in RESERVED] or wanted
        rows = self.run.rows(lo, None if hi is None else hi + 1)
        if self.opts.sampled_rows == "all_keys":
            rows = [r for r in rows if all(k in r for k in wanted)]
        else:
            rows = [r for r in rows if any(k in r for k in own)]
        samples = spec.get("samples")
        picked = sample(rows, self.opts.default_samples if samples is None else samples)
        mode = self.opts.sampled_nonfinite
        return [nonfinite({k: r[k] for k in wanted if k in r}, mode) for r in picked]

    # -- files ----------------------------------------------------------------------------------
    def f_fileCount(self, args: dict[str, Any]) -> int:
        return len(runfiles.names(self.run))

    def f_files(self, args: dict[str, Any]) -> Node:
        return runfiles.files(self.ctx, self.run, args)

    def f_parquetHistory(self, args: dict[str, Any]) -> Simple:
        run = self.run
        live_keys = list(args["liveKeys"])
        exported = run.export_offset if self.opts.parquet_export else None
        urls: list[str] = []
        lo = None
        if exported is not None and exported > 0:
            from trackersim.wandb.parquet import part_count

            n = part_count(run, exported, self.opts.parquet_rows_per_file)
            urls = [
                self.ctx.sign_url(f"/_files/parquet/{run.name}/{exported}/{i}.parquet")
                for i in range(n)
            ]
            lo = run.step_base + exported
        mode = self.opts.sampled_nonfinite
        live = [nonfinite({k: r[k] for k in live_keys if k in r}, mode) for r in run.rows(lo, None)]
        return Simple("ParquetHistory", parquetUrls=urls, liveData=live)
