"""Routes for login, users, workspaces, projects and runs (spec 2, 3.2-3.4, 5)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from trackersim.swanlab import shows
from trackersim.swanlab.model import Project, Run, Workspace, iso_ms
from trackersim.swanlab.proto import HttpError, Request, Response, json_response, route
from trackersim.swanlab.render import page, project_obj, run_obj

if TYPE_CHECKING:
    from trackersim.swanlab.server import SimServer

PAGE_SIZES = (10, 12, 15, 20, 24, 27, 50, 100)
EXPIRED_AT = "2099-12-31T23:59:59.000Z"


# -- auth -----------------------------------------------------------------------------------------
@route("POST", "/api/login/api_key", data=False, auth=False)
def login(sim: SimServer, req: Request) -> Response:
    key = req.headers.get("authorization", "").strip()
    if not key or not hmac.compare_digest(key, sim.api_key):
        raise HttpError(401, "UNAUTHORIZED", "Error api key")
    user = sim.world.user
    body = {
        "sid": sim.new_session(),
        "expiredAt": EXPIRED_AT,
        "userInfo": {"username": user.username, "name": user.name},
    }
    return json_response(body, sim.world.options.login_status)


@route("GET", "/api/auth/verify", data=False, auth=False)
def auth_verify(sim: SimServer, req: Request) -> Response:
    """The handshake a future SDK may use (spec 2.4)."""
    key = req.headers.get("authorization", "").removeprefix("ApiKey ").strip()
    if not key or not hmac.compare_digest(key, sim.api_key):
        raise HttpError(401, "UNAUTHORIZED", "Error api key")
    return json_response(
        {"uid": 1, "username": sim.username, "createdAt": iso_ms(1_700_000_000_000)}
    )


@route("GET", "/", data=False, auth=False)
def ping(sim: SimServer, req: Request) -> Response:
    return json_response({"status": "ok"})


# -- users and workspaces -------------------------------------------------------------------------
@route("GET", "/api/user/profile")
def user_profile(sim: SimServer, req: Request) -> Response:
    prof = sim.world.user.to_api()["profile"]
    return json_response({"username": sim.username, "name": sim.world.user.name, **prof})


def _workspace(sim: SimServer, name: str) -> Workspace:
    ws = sim.world.workspaces.get(name)
    if ws is None:
        raise HttpError(404, "NOT_FOUND", f"workspace {name} not found")
    return ws


@route("GET", "/api/group/{ws}")
def group(sim: SimServer, req: Request) -> Response:
    return json_response(_workspace(sim, req.params["ws"]).to_api())


@route("GET", "/api/group/")
def legacy_groups(sim: SimServer, req: Request) -> Response:
    items = [
        {"name": ws.name, "username": ws.username, "role": ws.role}
        for ws in sim.world.workspaces.values()
    ]
    return json_response({"list": items})


@route("GET", "/api/user/{username}/groups")
def user_groups(sim: SimServer, req: Request) -> Response:
    if req.params["username"] != sim.username:
        raise HttpError(403, "FORBIDDEN", "you can only list your own workspaces")
    return json_response([ws.to_api() for ws in sim.world.workspaces.values()])


# -- projects -------------------------------------------------------------------------------------
def _page_args(sim: SimServer, req: Request) -> tuple[int, int]:
    page_no = req.int_query("page", 1)
    size = req.int_query("size", 20)
    if size < 1 or (sim.world.options.strict_page_size and size not in PAGE_SIZES):
        raise HttpError(400, "BAD_REQUEST", f"size must be one of {PAGE_SIZES}")
    return page_no, min(size, 100)


@route("GET", "/api/project/{ws}")
def list_projects(sim: SimServer, req: Request) -> Response:
    world = sim.world
    page_no, size = _page_args(sim, req)
    with world.lock:
        ws = _workspace(sim, req.params["ws"])
        projs = [p for p in world.project_map.values() if p.workspace is ws]
        search = req.query.get("search", "").lower()
        if search:
            projs = [p for p in projs if search in p.name.lower()]
        sort = req.query.get("sort", "")
        if sort == "name":
            projs.sort(key=lambda p: p.name)
        elif sort == "create":
            projs.sort(key=lambda p: (p.created_ms, p.cuid), reverse=True)
        else:  # default and "update": recently updated first
            projs.sort(key=lambda p: (p.updated_ms, p.cuid), reverse=True)
        detail = req.flag("detail", False)
        items = [project_obj(p, world.options, detail) for p in projs]
    return json_response(page(items, page_no, size))


def find_project(sim: SimServer, ws: str, name: str) -> Project:
    proj = sim.world.project_map.get(f"{ws}/{name}")
    if proj is None:
        raise HttpError(404, "NOT_FOUND", f"project {ws}/{name} not found")
    return proj


@route("GET", "/api/project/{ws}/{proj}")
def get_project(sim: SimServer, req: Request) -> Response:
    with sim.world.lock:
        proj = find_project(sim, req.params["ws"], req.params["proj"])
        return json_response(project_obj(proj, sim.world.options, True))


# -- runs -----------------------------------------------------------------------------------------
def runs_by_created(proj: Project) -> list[Run]:
    """Live runs, newest first (the paged list's order)."""
    return sorted(proj.live_runs(), key=lambda r: (r.created_ms, r.cuid), reverse=True)


@route("GET", "/api/project/{ws}/{proj}/runs")
def list_runs(sim: SimServer, req: Request) -> Response:
    page_no, size = _page_args(sim, req)
    opts = sim.world.options
    with sim.world.lock:
        proj = find_project(sim, req.params["ws"], req.params["proj"])
        body = page(runs_by_created(proj), page_no, size)
        body["list"] = [run_obj(r, opts, opts.list_profile) for r in body["list"]]
    return json_response(body)


@route("POST", "/api/project/{ws}/{proj}/runs/shows")
def runs_shows(sim: SimServer, req: Request) -> Response:
    body = req.json()
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise HttpError(400, "BAD_REQUEST", "body must be an object with filters/groups/sorts")
    opts = sim.world.options
    with sim.world.lock:
        proj = find_project(sim, req.params["ws"], req.params["proj"])
        result: Any = shows.select(
            proj.live_runs(),
            body.get("filters") or [],
            body.get("sorts") or [],
            body.get("groups") or [],
            lambda r: run_obj(r, opts, opts.shows_profile),
        )
    return json_response(result)


@route("GET", "/api/project/{ws}/{proj}/runs/{ref}")
def get_run(sim: SimServer, req: Request) -> Response:
    with sim.world.lock:
        proj = find_project(sim, req.params["ws"], req.params["proj"])
        run = sim.world.find_run(proj, req.params["ref"])
        if run is None:
            raise HttpError(404, "NOT_FOUND", "experiment not found")
        return json_response(run_obj(run, sim.world.options, "full"))


# -- writes: refused (spec 5) ---------------------------------------------------------------------
def _read_only(sim: SimServer, req: Request) -> Response:
    raise HttpError(403, "FORBIDDEN", "the simulated cloud is read-only")


for _method, _tpl in (
    ("POST", "/api/project"),
    ("POST", "/api/projects/{ws}"),
    ("POST", "/api/project/{ws}/{proj}/experiment"),
    ("POST", "/api/project/{ws}/{proj}/runs/del"),
    ("POST", "/api/projects/{ws}/{proj}/series"),
    ("POST", "/api/house/metrics"),
    ("POST", "/api/resources/presigned/put"),
    ("POST", "/api/experiment/{cuid}/files/{action}"),
    ("POST", "/api/house/experiments/{cuid}/heartbeat"),
    ("POST", "/api/self_hosted/users"),
    ("PUT", "/api/project/{ws}/{proj}/runs/{cuid}/profile"),
    ("PUT", "/api/project/{ws}/{proj}/runs/{cuid}/state"),
    ("DELETE", "/api/project/{ws}/{proj}"),
    ("DELETE", "/api/project/{ws}/{proj}/runs/{cuid}"),
):
    route(_method, _tpl, data=False)(_read_only)
