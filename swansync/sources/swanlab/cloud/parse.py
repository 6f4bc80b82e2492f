"""SwanLab JSON objects -> swansync records. Pure functions; every malformed object becomes a
:class:`~swansync.errors.DataError` that names it."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from swansync.errors import DataError
from swansync.sources.base import ProjectRecord, RunRecord, SummaryRecord
from swansync.sources.swanlab.conventions import metric_class, unwrap_config

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(value: Any) -> datetime | None:
    """A UTC datetime from an ISO-8601 string (fraction and zone optional; no zone = UTC) or a
    Unix timestamp in seconds or milliseconds (number or digit string). None/"" -> None.
    Anything else raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_epoch(float(text))
    m = _ISO.match(text)
    if not m:
        raise ValueError(f"not a time: {value!r}")
    y, mo, d, h, mi, s, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro)
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        from datetime import timedelta, timezone

        return dt.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)
    return dt.replace(tzinfo=UTC)


def _from_epoch(x: float) -> datetime:
    if not math.isfinite(x):
        raise ValueError("not a time: non-finite number")
    seconds = x / 1000.0 if abs(x) >= 1e11 else x  # 13-digit values are milliseconds
    return datetime.fromtimestamp(seconds, UTC)


def _time_field(obj: Mapping[str, Any], key: str, what: str) -> datetime | None:
    try:
        return parse_time(obj.get(key))
    except (ValueError, OverflowError, OSError):  # out-of-range epochs raise the latter two
        raise DataError(f"{what}: field {key!r} is not a time: {obj.get(key)!r}") from None


def _opt_str(obj: Mapping[str, Any], key: str, what: str) -> str | None:
    v = obj.get(key)
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v)
    raise DataError(f"{what}: field {key!r} should be a string, got {type(v).__name__}")


def _labels(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DataError(f"{what}: labels should be a list, got {type(value).__name__}")
    out: list[str] = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            out.append(item["name"])
        else:
            raise DataError(f"{what}: a label is neither a string nor {{name: ...}}: {item!r}")
    return out


def normalize_path(path: str) -> str:
    """``ws/proj`` from ``ws/proj``, ``/ws/proj`` or ``@ws/proj`` (U5)."""
    return path.strip().lstrip("/@").strip("/")


def split_path(path: str) -> tuple[str, str]:
    norm = normalize_path(path)
    ws, sep, name = norm.partition("/")
    if not sep or not ws or not name or "/" in name:
        raise DataError(f"project path {path!r} is not of the form 'workspace/project'")
    return ws, name


def project_record(obj: Any, web_host: str, *, fallback_ws: str | None = None) -> ProjectRecord:
    """A project object (list item or detail) as a record."""
    if not isinstance(obj, dict):
        raise DataError(f"a project object is {type(obj).__name__}, expected an object")
    name = obj.get("name")
    what = f"project {name!r}"
    path = obj.get("path")
    group_obj = obj.get("group")
    group: dict[str, Any] = group_obj if isinstance(group_obj, dict) else {}
    if isinstance(path, str) and path.strip():
        ws, pname = split_path(path)
    else:
        ws_any = obj.get("username") or group.get("username") or fallback_ws
        if not isinstance(ws_any, str) or not isinstance(name, str) or not name:
            raise DataError(f"{what}: neither 'path' nor workspace and 'name' are present")
        ws, pname = ws_any, name
    cuid = obj.get("cuid")
    if not isinstance(cuid, str) or not cuid:
        raise DataError(f"project '{ws}/{pname}': field 'cuid' is missing (metric calls need it)")
    what = f"project '{ws}/{pname}'"
    count = obj.get("_count")
    run_count = count.get("experiments") if isinstance(count, dict) else None
    if run_count is not None and (not isinstance(run_count, int) or isinstance(run_count, bool)):
        raise DataError(f"{what}: _count.experiments should be an integer")
    labels = obj.get("projectLabels", obj.get("labels"))
    return ProjectRecord(
        project=f"{ws}/{pname}",
        project_id=cuid,
        workspace=ws,
        name=pname,
        description=_opt_str(obj, "description", what),
        visibility=_opt_str(obj, "visibility", what),
        labels=_labels(labels, what),
        run_count=run_count,
        created_at=_time_field(obj, "createdAt", what),
        updated_at=_time_field(obj, "updatedAt", what),
        url=f"{web_host}/@{ws}/{pname}",
        raw=obj,
    )


_PROFILE_PARTS = ("config", "metadata", "requirements", "conda")


def run_record(obj: Any, project: ProjectRecord, web_host: str, *, detail: bool) -> RunRecord:
    """A run object as a record. ``detail`` marks a ``GET .../runs/{cuid}`` answer, whose
    profile is complete by definition; a list item has a profile only if all parts are there."""
    proj = project["project"]
    if not isinstance(obj, dict):
        raise DataError(f"a run of project '{proj}' is {type(obj).__name__}, expected an object")
    cuid = obj.get("cuid")
    if not isinstance(cuid, str) or not cuid:
        raise DataError(f"a run of project '{proj}' has no 'cuid' (name {obj.get('name')!r})")
    what = f"run {cuid!r} of project '{proj}'"
    profile = obj.get("profile")
    if profile is None:
        profile = {}
    if not isinstance(profile, dict):
        raise DataError(f"{what}: 'profile' should be an object")
    config = profile.get("config")
    metadata = profile.get("metadata")
    if config is not None and not isinstance(config, dict):
        raise DataError(f"{what}: profile.config should be an object")
    if metadata is not None and not isinstance(metadata, dict):
        raise DataError(f"{what}: profile.metadata should be an object")
    requirements = _opt_str(profile, "requirements", what)
    conda = _opt_str(profile, "conda", what)
    user = obj.get("user")
    username = user.get("username") if isinstance(user, dict) else None
    slug = _opt_str(obj, "slug", what)
    ws, pname = project["workspace"], project["name"]
    raw = {k: v for k, v in obj.items() if k != "profile"}
    pinned = obj.get("pin", obj.get("pinned"))
    created = _time_field(obj, "createdAt", what)
    finished = _time_field(obj, "finishedAt", what)
    has_profile = detail or all(k in profile for k in _PROFILE_PARTS)
    project_id = obj.get("project_id") or obj.get("projectId") or project["project_id"]
    return RunRecord(
        project=proj,
        run_id=cuid,
        slug=slug,
        name=_opt_str(obj, "name", what),
        description=_opt_str(obj, "description", what),
        state=_opt_str(obj, "state", what),
        cluster=_opt_str(obj, "cluster", what),
        job=_opt_str(obj, "job", what),
        labels=_labels(obj.get("labels"), what),
        username=username if isinstance(username, str) else None,
        created_at=created,
        finished_at=finished,
        url=f"{web_host}/@{ws}/{pname}/runs/{slug or cuid}/chart",
        config=None if config is None else unwrap_config(config),
        metadata=metadata,
        requirements=requirements,
        conda=conda,
        pinned=bool(pinned) if isinstance(pinned, bool | int) else None,
        project_id=project_id if isinstance(project_id, str) else None,
        root_project_id=_opt_str(obj, "rootProId", what) or None,
        root_run_id=_opt_str(obj, "rootExpId", what) or None,
        raw=raw,
        has_profile=has_profile,
        change_marker=change_marker(obj, config),
    )


def change_marker(obj: Mapping[str, Any], config: Any) -> str:
    """Cheap fields of a list item that change when the run does: state, finishedAt, updatedAt
    (when the server sends it, U7) and a digest of the config when the list carries it."""
    parts = [str(obj.get("state")), str(obj.get("finishedAt")), str(obj.get("updatedAt"))]
    if config is not None:
        blob = json.dumps(config, sort_keys=True, default=str).encode()
        parts.append(hashlib.sha1(blob, usedforsecurity=False).hexdigest()[:16])
    return "|".join(parts)


def flatten_runs(body: Any) -> Iterator[Any]:
    """Run objects from a ``runs/shows`` answer: a bare list, or groups nested in objects
    (spec 3.4). Numbers and strings (e.g. a stray ``total``) are skipped."""
    if isinstance(body, list):
        for item in body:
            if isinstance(item, dict) and "cuid" in item:
                yield item
            elif isinstance(item, list | dict):
                yield from flatten_runs(item)
            else:
                raise DataError(f"runs/shows answered a list holding a {type(item).__name__}")
    elif isinstance(body, dict):
        if "cuid" in body:
            yield body
            return
        for value in body.values():
            if isinstance(value, list | dict):
                yield from flatten_runs(value)
    else:
        raise DataError(f"runs/shows answered {type(body).__name__}, expected a list or object")


# -- summaries ------------------------------------------------------------------------------


def number(value: Any, what: str) -> float | None:
    """A metric value: a number, or the strings "NaN"/"INF"/"-INF" (any float() spelling)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise DataError(f"{what}: expected a number, got a boolean")
    if isinstance(value, int | float):
        return float(str(value))  # an integer past the double range reads as ±inf, as "1e400"
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise DataError(f"{what}: {value!r} is not a number") from None
    raise DataError(f"{what}: expected a number, got {type(value).__name__}")


_BIGINT = range(-(2**63), 2**63)  # what the warehouse's step columns hold


def step(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise DataError(f"{what}: expected an integer step, got a boolean")
    found: int | None = None
    if isinstance(value, int):
        found = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value)
    ):
        found = int(value)
    if found is None:
        raise DataError(f"{what}: {value!r} is not an integer step")
    if found not in _BIGINT:
        raise DataError(f"{what}: step {value!r} is out of range (a 64-bit integer)")
    return found


def _extreme(
    item: Mapping[str, Any], name: str, idx: int, what: str
) -> tuple[float | None, int | None]:
    """min/max of a summary item in either U10 shape: ``{index, data}`` or a plain number
    (then maybe a ``minMax`` pair, and no step)."""
    v = item.get(name)
    if isinstance(v, dict):
        return number(v.get("data"), f"{what}.{name}.data"), step(
            v.get("index"), f"{what}.{name}.index"
        )
    if v is not None:
        return number(v, f"{what}.{name}"), None
    mm = item.get("minMax")
    if isinstance(mm, list) and len(mm) == 2:
        part = mm[idx]
        if isinstance(part, dict):
            return number(part.get("data"), f"{what}.minMax"), step(
                part.get("index"), f"{what}.minMax"
            )
        return number(part, f"{what}.minMax"), None
    return None, None


def summary_records(project: str, run_id: str, per_key: Any) -> list[SummaryRecord]:
    """The summary records of one run from its entry in a ``summaries`` answer."""
    what = f"summary of run {run_id!r}"
    if per_key is None:
        return []
    if not isinstance(per_key, dict):
        raise DataError(f"{what}: expected an object keyed by metric, got {type(per_key).__name__}")
    out: list[SummaryRecord] = []
    for key, item in per_key.items():
        kwhat = f"{what}, key {key!r}"
        if item is None:
            continue
        if not isinstance(item, dict):
            raise DataError(f"{kwhat}: expected an object, got {type(item).__name__}")
        mn, mn_step = _extreme(item, "min", 0, kwhat)
        mx, mx_step = _extreme(item, "max", 1, kwhat)
        value = item.get("value", item.get("latest"))
        last_step = item.get("step")
        if isinstance(value, dict):  # {index, data} like scalar/value's "latest"
            last_step = value.get("index") if last_step is None else last_step
            value = value.get("data")
        out.append(
            SummaryRecord(
                project=project,
                run_id=run_id,
                key=str(key),
                klass=metric_class(str(key)),
                last_step=step(last_step, f"{kwhat}.step"),
                last_value=number(value, f"{kwhat}.value"),
                min_value=mn,
                min_step=mn_step,
                max_value=mx,
                max_step=mx_step,
                raw=item,
            )
        )
    return out


def created_seconds(run: RunRecord) -> int:
    """The run's ``createdAt`` as integer Unix seconds, which every ``/house`` call needs."""
    if run["created_at"] is None:
        raise DataError(
            f"run {run['run_id']!r} of project '{run['project']}' has no createdAt; "
            "SwanLab's metric store cannot be queried without it"
        )
    return math.floor(run["created_at"].timestamp())
