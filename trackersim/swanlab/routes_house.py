"""Metric-store routes (``/house/...``): key listing, availability, sampled scalars, stats and
summaries (spec 3.5, 3.6, 3.8)."""

from __future__ import annotations

import base64
import statistics
from typing import TYPE_CHECKING, Any

from trackersim.swanlab.model import Run
from trackersim.swanlab.proto import HttpError, Request, Response, json_response, route
from trackersim.swanlab.series import Series, json_number

if TYPE_CHECKING:
    from trackersim.swanlab.server import SimServer


# -- resolving experiment references --------------------------------------------------------------
def data_run(sim: SimServer, ref: Any) -> Run | None:
    """The run whose stored metrics a column/experiment ref addresses (None = nothing stored).

    Cloned runs keep their data under the root: a ref with ``rootExpId`` reads the root; with
    option ``clone_strict`` the clone's own id alone finds nothing, as on the real store."""
    if not isinstance(ref, dict):
        raise HttpError(400, "BAD_REQUEST", "experiment reference must be an object")
    opts = sim.world.options
    if opts.require_created_at and ref.get("createdAt") in (None, ""):
        raise HttpError(400, "BAD_REQUEST", "createdAt is required")
    root_id = ref.get("rootExpId") or ""
    run = sim.world.run_map.get(str(root_id or ref.get("experimentId") or ""))
    if run is None or (run.deleted and not root_id):  # clones keep reading a deleted root's data
        return None
    if run.root is not None and opts.clone_strict:
        return None
    return run.data_run


def _experiments(body: dict[str, Any]) -> list[Any]:
    exps = body.get("experiments")
    if not isinstance(exps, list):
        raise HttpError(400, "BAD_REQUEST", "experiments must be a list")
    return exps


def columns_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    cols = body.get("columns")
    if not isinstance(cols, list) or not all(isinstance(c, dict) for c in cols):
        raise HttpError(400, "BAD_REQUEST", "columns must be a list of objects")
    return cols


def column_series(sim: SimServer, col: dict[str, Any]) -> Series | None:
    run = data_run(sim, col)
    if run is None:
        return None
    series = run.series.get(str(col.get("key", "")))
    return series if series is not None and series.count() > 0 else None


# -- key listing ----------------------------------------------------------------------------------
def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("o:"))
    except ValueError as exc:
        raise HttpError(400, "BAD_REQUEST", "invalid cursor") from exc


def _keys_of(run: Run, kind: str) -> list[str]:
    if kind == "scalar":
        return [s.key for s in run.scalar_series()]
    return [m.key for m in run.media_series()]


def _kind(req: Request) -> str:
    return "media" if "/metrics/media/" in req.path else "scalar"


@route("POST", "/api/house/metrics/scalar/keys")
@route("POST", "/api/house/metrics/media/keys")
def list_keys(sim: SimServer, req: Request) -> Response:
    kind = _kind(req)
    body = req.json_object()
    limit = body.get("limit") or sim.world.options.keys_limit_max
    if not isinstance(limit, int) or limit < 1:
        raise HttpError(400, "BAD_REQUEST", "limit must be a positive integer")
    limit = min(limit, sim.world.options.keys_limit_max)
    offset = _decode_cursor(str(body.get("cursor") or ""))
    keys: dict[str, None] = {}
    with sim.world.lock:
        for ref in _experiments(body):
            run = data_run(sim, ref)
            if run is not None:
                keys.update(dict.fromkeys(_keys_of(run, kind)))
    ordered = list(keys)
    chunk = ordered[offset : offset + limit]
    more = offset + limit < len(ordered)
    return json_response(
        {
            "keys": chunk,
            "hasMore": more,
            "nextCursor": _encode_cursor(offset + limit) if more else "",
        }
    )


@route("POST", "/api/house/metrics/scalar/availability")
@route("POST", "/api/house/metrics/media/availability")
def availability(sim: SimServer, req: Request) -> Response:
    kind = _kind(req)
    body = req.json_object()
    wanted = body.get("keys") or []
    out: dict[str, list[str]] = {str(k): [] for k in wanted}
    with sim.world.lock:
        for ref in _experiments(body):
            run = data_run(sim, ref)
            have = set(_keys_of(run, kind)) if run is not None else set()
            for key in out:
                if key in have:
                    out[key].append(str(ref.get("experimentId")))
    return json_response(out)


# -- sampled scalars and stats --------------------------------------------------------------------
def _sample(n: int, num: int) -> list[int]:
    if n <= num:
        return list(range(n))
    return sorted({round(j * (n - 1) / (num - 1)) for j in range(num)})


@route("POST", "/api/house/metrics/scalar")
def scalar_sampled(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    num = body.get("num") or 1500
    if not isinstance(num, int) or num < 2:
        raise HttpError(400, "BAD_REQUEST", "num must be an integer >= 2")
    num = min(num, 1500)
    x_type = str(body.get("xType") or "step")
    x_key = str(body.get("xKey") or "")
    out: list[dict[str, Any]] = []
    with sim.world.lock:
        resolved = [(c, column_series(sim, c)) for c in columns_of(body)]
        x_cols = {
            id(c): column_series(sim, {**c, "key": x_key}) if x_key else None for c, _ in resolved
        }
        counts = {id(c): s.count() for c, s in resolved if s is not None}
    for col, series in resolved:
        if series is None:
            continue
        n = counts[id(col)]
        idx = _sample(n, num)
        x_map: dict[int, float] | None = None
        if x_key:
            xs = x_cols[id(col)]
            x_map = {} if xs is None else {st: v for st, v, _ in xs.iter_points()}
        first_ts = series.ts_ms(0)
        points = []
        for i in idx:
            step, value, ts = series.step(i), series.value(i), series.ts_ms(i)
            index: Any
            if x_map is not None:
                if step not in x_map:
                    continue
                index = json_number(x_map[step])
            elif x_type == "time":
                index = ts
            elif x_type == "relative_time":
                index = (ts - first_ts) / 1000
            else:
                index = step
            points.append({"index": index, "data": json_number(value), "timestamp": ts})
        out.append({"key": series.key, "experimentId": col.get("experimentId"), "metrics": points})
    return json_response(out)


def _stat(index: float | None, value: float | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"index": index, "data": json_number(value)}


@route("POST", "/api/house/metrics/scalar/value")
def scalar_value(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    by_time = str(body.get("xType") or "step") == "timestamp"
    out = []
    with sim.world.lock:
        resolved = [(c, column_series(sim, c)) for c in columns_of(body)]
        counts = [s.count() if s is not None else 0 for _, s in resolved]
    for (col, series), n in zip(resolved, counts, strict=True):
        if series is None:
            continue
        pts: list[tuple[int, float, int]] = [p for p in series.iter_points(n) if p[1] == p[1]]
        idx = 2 if by_time else 0
        entry: dict[str, Any] = {"key": series.key, "experimentId": col.get("experimentId")}
        last = (series.step(n - 1), series.value(n - 1), series.ts_ms(n - 1))
        entry["latest"] = _stat(last[idx], last[1])
        if pts:
            lo = min(pts, key=lambda p: p[1])
            hi = max(pts, key=lambda p: p[1])
            med = sorted(pts, key=lambda p: p[1])[(len(pts) - 1) // 2]
            mean = _mean([p[1] for p in pts])
            entry["min"] = _stat(lo[idx], lo[1])
            entry["max"] = _stat(hi[idx], hi[1])
            entry["median"] = _stat(med[idx], med[1])
            entry["avg"] = {"index": None, "data": json_number(mean)}
        out.append(entry)
    return json_response(out)


# -- summaries ------------------------------------------------------------------------------------
def _summary_obj(series: Series, shape: str) -> dict[str, Any] | None:
    st = series.stats()
    if st is None:
        return None
    obj: dict[str, Any] = {"step": st.last_step, "value": json_number(st.last_value)}
    if shape == "legacy":
        obj["min"] = {"index": st.min_step, "data": _num(st.min_value)}
        obj["max"] = {"index": st.max_step, "data": _num(st.max_value)}
        return obj
    vals = [v for v in series.values(st.count) if v == v]
    obj["min"] = _num(st.min_value)
    obj["max"] = _num(st.max_value)
    obj["minMax"] = [_num(st.min_value), _num(st.max_value)]
    finite = [v for v in vals if abs(v) != float("inf")] or [0.0]
    obj["avg"] = _num(_mean(vals)) if vals else None
    obj["median"] = _num(statistics.median(vals)) if vals else None
    obj["stdDev"] = statistics.pstdev(finite) if len(finite) > 1 else 0.0
    return obj


def _mean(values: list[float]) -> float:
    """Plain float mean: inf and -inf together give NaN instead of raising like fmean."""
    return sum(values) / len(values)


def _num(value: float | None) -> float | str | None:
    return None if value is None else json_number(value)


@route("POST", "/api/house/metrics/summaries")
def summaries(sim: SimServer, req: Request) -> Response:
    body = req.json()
    if isinstance(body, list):  # legacy (0.5-0.7) body: a bare array of refs
        refs, keys = body, None
    elif isinstance(body, dict):
        refs, keys = _experiments(body), body.get("keys")
    else:
        raise HttpError(400, "BAD_REQUEST", "body must be an object or a list")
    shape = sim.world.options.summary_shape
    out: dict[str, Any] = {}
    with sim.world.lock:
        for ref in refs:
            run = data_run(sim, {"createdAt": 0, **ref} if isinstance(body, list) else ref)
            exp_id = str(ref.get("experimentId"))
            per_key: dict[str, Any] = {}
            if run is not None:
                for series in run.scalar_series():
                    if keys is not None and series.key not in keys:
                        continue
                    obj = _summary_obj(series, shape)
                    if obj is not None:
                        per_key[series.key] = obj
            out[exp_id] = per_key or None
    return json_response(out)


@route("GET", "/api/house/metrics/summaries/{project_id}/{run_id}")
def resume_summary(sim: SimServer, req: Request) -> Response:
    with sim.world.lock:
        run = sim.world.run_map.get(req.params["run_id"])
        if run is None or run.deleted or run.project.cuid != req.params["project_id"]:
            raise HttpError(404, "NOT_FOUND", "experiment not found")
        data = run.data_run
        scalar = [{"key": s.key, "step": s.step(s.count() - 1)} for s in data.scalar_series()]
        media = [{"key": m.key, "step": m.steps()[-1]} for m in data.media_series()]
        n_logs = run.log_count()
    return json_response(
        {
            "scalar": scalar or None,
            "media": media or None,
            "log": [{"key": "log", "step": n_logs - 1}] if n_logs else None,
        }
    )
