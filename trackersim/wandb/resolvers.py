"""Resolvers of the top of the schema: viewer, entities, projects and Relay connections."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trackersim.wandb import filters
from trackersim.wandb.gql import GqlError
from trackersim.wandb.model import Project, User, iso
from trackersim.wandb.schema import Node

if TYPE_CHECKING:
    from trackersim.wandb.world import World


@dataclass
class Ctx:
    """What resolvers need beyond the world: how to sign parquet URLs."""

    world: World
    sign_url: Callable[[str], str]  # path under the server -> absolute signed URL

    def time(self, seconds: int | None) -> str | None:
        return iso(seconds, self.world.options.time_format)

    def user(self, username: str | None) -> User | None:
        if username is None:
            return None
        if username == self.world.user.username:
            return self.world.user
        return User(username, username.capitalize(), f"{username}@example.com", [])


class PageInfo(Node):
    typename = "PageInfo"

    def __init__(self, end_cursor: str | None, has_next: bool, start_cursor: str | None) -> None:
        self.end_cursor, self.has_next, self.start_cursor = end_cursor, has_next, start_cursor

    def f_endCursor(self, args: dict[str, Any]) -> str | None:
        return self.end_cursor

    def f_hasNextPage(self, args: dict[str, Any]) -> bool:
        return self.has_next

    def f_startCursor(self, args: dict[str, Any]) -> str | None:
        return self.start_cursor

    def f_hasPreviousPage(self, args: dict[str, Any]) -> bool:
        return False


class Edge(Node):
    def __init__(self, typename: str, node: Node, cursor: str) -> None:
        self.typename, self.node, self.cursor = typename, node, cursor

    def f_node(self, args: dict[str, Any]) -> Node:
        return self.node

    def f_cursor(self, args: dict[str, Any]) -> str:
        return self.cursor


class Connection(Node):
    def __init__(self, typename: str, edges: list[Edge], page_info: PageInfo | None) -> None:
        self.typename, self.edges, self.page_info = typename, edges, page_info

    def f_edges(self, args: dict[str, Any]) -> list[Edge]:
        return self.edges

    def f_pageInfo(self, args: dict[str, Any]) -> PageInfo | None:
        return self.page_info


def page(
    ctx: Ctx,
    keyed: Sequence[tuple[Any, Any]],
    name_of: Callable[[Any], str],
    desc: bool,
    after: str | None,
    first: int | None,
) -> tuple[list[tuple[Any, Any, str]], bool]:
    """One Relay page of ``keyed`` (sorted (sort value, item) pairs): [(value, item, cursor)],
    has next page. Offset cursors count positions; keyset cursors hold the last sort value."""
    opts = ctx.world.options
    if first is not None and first < 0:
        raise GqlError("first must be >= 0")
    size = min(opts.max_page_size, 50 if first is None else first)
    start = 0
    if after:
        kind, pos = filters.decode_cursor(after)
        if kind == "offset":
            start = pos + 1
        else:
            cmp = functools.partial(filters.compare, desc=desc)
            start = len(keyed)
            for i, (value, item) in enumerate(keyed):
                if cmp((value, name_of(item)), pos) > 0:
                    start = i
                    break
    chunk = keyed[start : start + size]
    out = []
    for i, (value, item) in enumerate(chunk):
        if opts.cursor_style == "offset":
            cursor = filters.offset_cursor(start + i)
        else:
            cursor = filters.keyset_cursor(value, name_of(item))
        out.append((value, item, cursor))
    return out, start + size < len(keyed)


class UserNode(Node):
    typename = "User"

    def __init__(self, user: User, with_teams: bool = True) -> None:
        self.user, self.with_teams = user, with_teams

    def f_id(self, args: dict[str, Any]) -> str:
        return self.user.id

    def f_name(self, args: dict[str, Any]) -> str:
        return self.user.name

    def f_username(self, args: dict[str, Any]) -> str:
        return self.user.username

    def f_email(self, args: dict[str, Any]) -> str:
        return self.user.email

    def f_admin(self, args: dict[str, Any]) -> bool:
        return False

    def f_flags(self, args: dict[str, Any]) -> str:
        return "{}"

    def f_entity(self, args: dict[str, Any]) -> str:
        return self.user.username

    def f_deletedAt(self, args: dict[str, Any]) -> None:
        return None

    def f_photoUrl(self, args: dict[str, Any]) -> None:
        return None

    def f_apiKeys(self, args: dict[str, Any]) -> Connection:
        key = Simple("ApiKey", id="QXBpS2V5OjE=", name="default", description=None)
        return Connection("ApiKeyConnection", [Edge("ApiKeyEdge", key, "")], None)

    def f_teams(self, args: dict[str, Any]) -> Connection:
        teams = self.user.teams if self.with_teams else []
        edges = [Edge("EntityEdge", Simple("Entity", name=t), "") for t in teams]
        return Connection("EntityConnection", edges, None)


class Simple(Node):
    """An object whose fields are fixed values."""

    def __init__(self, typename: str, **values: Any) -> None:
        self.typename, self.values = typename, values

    def resolve(self, name: str, args: dict[str, Any]) -> Any:
        return self.values.get(name)


class ProjectNode(Node):
    typename = "Project"

    def __init__(self, ctx: Ctx, project: Project) -> None:
        self.ctx, self.project = ctx, project

    def f_id(self, args: dict[str, Any]) -> str:
        return self.project.id

    def f_internalId(self, args: dict[str, Any]) -> str:
        return str(self.project.internal_id)

    def f_name(self, args: dict[str, Any]) -> str:
        return self.project.name

    def f_entityName(self, args: dict[str, Any]) -> str:
        return self.project.entity

    def f_createdAt(self, args: dict[str, Any]) -> str | None:
        return self.ctx.time(self.project.created_s)

    def f_isBenchmark(self, args: dict[str, Any]) -> bool:
        return False

    def f_readOnly(self, args: dict[str, Any]) -> bool:
        return False

    def f_description(self, args: dict[str, Any]) -> str | None:
        return self.project.description

    def f_user(self, args: dict[str, Any]) -> UserNode | None:
        user = self.ctx.user(self.project.user)
        return None if user is None else UserNode(user)

    def f_runCount(self, args: dict[str, Any]) -> int:
        doc = filters.parse_filters(args.get("filters"))
        return sum(1 for r in self.project.live_runs() if filters.matches(r, doc))

    def f_runs(self, args: dict[str, Any]) -> Connection:
        from trackersim.wandb.runs import RunNode

        doc = filters.parse_filters(args.get("filters"))
        live = [r for r in self.project.live_runs() if filters.matches(r, doc)]
        keyed = filters.sort_runs(live, args.get("order"))
        _, desc = filters.order_key(args.get("order"))
        got, has_next = page(
            self.ctx, keyed, lambda r: r.name, desc, args.get("after"), args.get("first")
        )
        edges = [Edge("RunEdge", RunNode(self.ctx, run), cursor) for _, run, cursor in got]
        end = got[-1][2] if got else None
        start = got[0][2] if got else None
        if has_next:
            self._churn([run for _, run, _ in got])
        return Connection("RunConnection", edges, PageInfo(end, has_next, start))

    def _churn(self, served: list[Any]) -> None:
        """Runs created and deleted while a client pages (world options)."""
        world = self.ctx.world
        for _ in range(world.options.runs_added_per_page):
            world.add_run(self.project.path, display_name="added-while-paging")
        for run in served[: world.options.runs_deleted_per_page]:
            world.delete_run(run.name)

    def f_run(self, args: dict[str, Any]) -> Node | None:
        from trackersim.wandb.runs import RunNode

        run = self.ctx.world.find_run(self.project, args["name"])
        return None if run is None else RunNode(self.ctx, run)


class EntityNode(Node):
    typename = "Entity"

    def __init__(self, ctx: Ctx, name: str) -> None:
        self.ctx, self.name = ctx, name

    def f_id(self, args: dict[str, Any]) -> str:
        return f"RW50aXR5:{self.name}"

    def f_name(self, args: dict[str, Any]) -> str:
        return self.name

    def f_isTeam(self, args: dict[str, Any]) -> bool:
        return self.ctx.world.entities.get(self.name, False)

    def f_projects(self, args: dict[str, Any]) -> Connection:
        return projects_connection(self.ctx, self.name, args)


def projects_connection(ctx: Ctx, entity: str, args: dict[str, Any]) -> Connection:
    world = ctx.world
    projs = sorted(
        (p for p in world.project_map.values() if p.entity == entity),
        key=lambda p: (p.created_s, p.name),
    )
    keyed = [(p.created_s, p) for p in projs]
    got, has_next = page(ctx, keyed, lambda p: p.name, False, args.get("after"), args.get("first"))
    edges = [Edge("ProjectEdge", ProjectNode(ctx, p), cursor) for _, p, cursor in got]
    end = got[-1][2] if got else None
    start = got[0][2] if got else None
    return Connection("ProjectConnection", edges, PageInfo(end, has_next, start))


class QueryRoot(Node):
    typename = "Query"

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def f_viewer(self, args: dict[str, Any]) -> UserNode:
        return UserNode(self.ctx.world.user)

    def f_models(self, args: dict[str, Any]) -> Connection:
        world = self.ctx.world
        entity = args.get("entityName") or world.user.username
        if entity not in world.entities and world.options.unknown_entity == "error":
            raise GqlError(f"entity {entity} not found")
        return projects_connection(self.ctx, entity, args)

    def f_project(self, args: dict[str, Any]) -> ProjectNode | None:
        world = self.ctx.world
        entity = args.get("entityName") or world.user.username
        proj = world.project_map.get(f"{entity}/{args['name']}")
        return None if proj is None else ProjectNode(self.ctx, proj)

    def f_entity(self, args: dict[str, Any]) -> EntityNode | None:
        name = args["name"]
        return EntityNode(self.ctx, name) if name in self.ctx.world.entities else None

    def f_serverInfo(self, args: dict[str, Any]) -> Simple:
        return Simple("ServerInfo", features=[])
