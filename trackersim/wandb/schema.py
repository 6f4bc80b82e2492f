"""The slice of the W&B GraphQL schema the simulator serves, and a validating executor.

Like a real GraphQL server, a document is validated against the schema before anything runs:
a field the type does not have, an unknown argument, a missing required argument, an object
field without a selection, an unknown fragment or an undefined or missing variable is an error
answered with ``data: null``. So a client that asks for a field the real server lacks fails here
too, instead of being handed a value the real server would never send.

Field types are written as in SDL (``"[Run]"``, ``"String!"``); only the named type matters for
validation. Resolvers are ``f_<field>(args)`` methods of :class:`Node` subclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trackersim.wandb.gql import Document, Enum, Field, GqlError, Inline, Operation, Spread, Var

SCALARS = {"String", "Int", "Int64", "Float", "Boolean", "ID", "JSON", "JSONString", "DateTime"}

FieldDefs = dict[str, tuple[str, dict[str, str]]]

_USER: FieldDefs = {
    "id": ("ID!", {}),
    "name": ("String", {}),
    "username": ("String", {}),
    "email": ("String", {}),
    "admin": ("Boolean", {}),
    "flags": ("JSONString", {}),
    "entity": ("String", {}),
    "deletedAt": ("DateTime", {}),
    "apiKeys": ("ApiKeyConnection", {}),
    "teams": ("EntityConnection", {}),
    "photoUrl": ("String", {}),
}

_CONN = {"first": "Int", "after": "String"}

# type -> field -> (return type, {argument: type})
SCHEMA: dict[str, FieldDefs] = {
    "Query": {
        "viewer": ("User", {}),
        "models": ("ProjectConnection", {"entityName": "String", **_CONN, "order": "String"}),
        "project": ("Project", {"name": "String!", "entityName": "String"}),
        "entity": ("Entity", {"name": "String!"}),
        "serverInfo": ("ServerInfo", {}),
    },
    "User": _USER,
    "ApiKeyConnection": {"edges": ("[ApiKeyEdge]", {})},
    "ApiKeyEdge": {"node": ("ApiKey", {})},
    "ApiKey": {"id": ("ID!", {}), "name": ("String", {}), "description": ("String", {})},
    "EntityConnection": {"edges": ("[EntityEdge]", {})},
    "EntityEdge": {"node": ("Entity", {})},
    "Entity": {
        "id": ("ID!", {}),
        "name": ("String!", {}),
        "isTeam": ("Boolean", {}),
        "projects": ("ProjectConnection", dict(_CONN)),
    },
    "ServerInfo": {"features": ("[ServerFeature]", {})},
    "ServerFeature": {"name": ("String!", {}), "isEnabled": ("Boolean!", {})},
    "PageInfo": {
        "endCursor": ("String", {}),
        "hasNextPage": ("Boolean!", {}),
        "startCursor": ("String", {}),
        "hasPreviousPage": ("Boolean!", {}),
    },
    "ProjectConnection": {"edges": ("[ProjectEdge]", {}), "pageInfo": ("PageInfo!", {})},
    "ProjectEdge": {"node": ("Project", {}), "cursor": ("String!", {})},
    "Project": {
        "id": ("ID!", {}),
        "internalId": ("ID", {}),
        "name": ("String!", {}),
        "entityName": ("String!", {}),
        "createdAt": ("DateTime", {}),
        "isBenchmark": ("Boolean", {}),
        "user": ("User", {}),
        "readOnly": ("Boolean", {}),
        "description": ("String", {}),
        "runCount": ("Int!", {"filters": "JSONString"}),
        "runs": (
            "RunConnection",
            {**_CONN, "filters": "JSONString", "order": "String"},
        ),
        "run": ("Run", {"name": "String!"}),
    },
    "RunConnection": {"edges": ("[RunEdge]", {}), "pageInfo": ("PageInfo!", {})},
    "RunEdge": {"node": ("Run", {}), "cursor": ("String!", {})},
    "Run": {
        "id": ("ID!", {}),
        "name": ("String!", {}),
        "displayName": ("String", {}),
        "state": ("String", {}),
        "config": ("JSONString", {}),
        "summaryMetrics": ("JSONString", {}),
        "systemMetrics": ("JSONString", {}),
        "createdAt": ("DateTime", {}),
        "heartbeatAt": ("DateTime", {}),
        "tags": ("[String!]", {}),
        "group": ("String", {}),
        "jobType": ("String", {}),
        "sweepName": ("String", {}),
        "commit": ("String", {}),
        "readOnly": ("Boolean", {}),
        "description": ("String", {}),
        "notes": ("String", {}),
        "host": ("String", {}),
        "projectId": ("ID!", {}),
        "user": ("User", {}),
        "historyLineCount": ("Int", {}),
        "historyKeys": ("JSON", {"format": "String"}),
        "history": ("[String]", {"samples": "Int", "minStep": "Int64", "maxStep": "Int64"}),
        "events": ("[String]", {"samples": "Int"}),
        "sampledHistory": ("[JSON]", {"specs": "[JSONString!]!"}),
        "parquetHistory": ("ParquetHistory", {"liveKeys": "[String!]!"}),
        "fileCount": ("Int", {}),
        "files": (
            "FileConnection",
            {"names": "[String]", **_CONN, "pattern": "String"},
        ),
    },
    "FileConnection": {"edges": ("[FileEdge]", {}), "pageInfo": ("PageInfo!", {})},
    "FileEdge": {"node": ("File", {}), "cursor": ("String!", {})},
    "File": {
        "id": ("ID!", {}),
        "name": ("String!", {}),
        "url": ("String", {"upload": "Boolean"}),
        "directUrl": ("String", {}),
        "sizeBytes": ("Int", {}),
        "mimetype": ("String", {}),
        "updatedAt": ("DateTime", {}),
        "md5": ("String", {}),
    },
    "ParquetHistory": {"parquetUrls": ("[String!]", {}), "liveData": ("[JSON]", {})},
}

# Fields that exist only when an option turns them on (see options.py).
OPTIONAL_FIELDS: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("Run", "updatedAt"): ("DateTime", {})
}


def named(type_ref: str) -> str:
    return type_ref.strip("[]!")


class Node:
    """A GraphQL object: resolvers are ``f_<field>(args)`` methods."""

    typename: str = ""

    def resolve(self, name: str, args: dict[str, Any]) -> Any:
        fn: Callable[[dict[str, Any]], Any] = getattr(self, "f_" + name)
        return fn(args)


@dataclass
class Executor:
    """Validates and executes one document against :data:`SCHEMA`."""

    doc: Document
    variables: dict[str, Any]
    extra_fields: dict[tuple[str, str], tuple[str, dict[str, str]]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def _field_def(self, type_name: str, name: str) -> tuple[str, dict[str, str]] | None:
        got = SCHEMA.get(type_name, {}).get(name)
        return got if got is not None else self.extra_fields.get((type_name, name))

    # -- validation -----------------------------------------------------------------------------
    def pick(self, operation_name: str | None) -> Operation:
        ops = self.doc.operations
        if not ops:
            raise GqlError("Must provide an operation.")
        if operation_name:
            for op in ops:
                if op.name == operation_name:
                    return op
            raise GqlError(f'Unknown operation named "{operation_name}".')
        if len(ops) > 1:
            raise GqlError("Must provide operation name if query contains multiple operations.")
        return ops[0]

    def validate(self, op: Operation) -> dict[str, Any]:
        """Check the operation, return its coerced variables (raises the first error)."""
        if op.kind != "query":
            raise GqlError(f"Schema is not configured for {op.kind}s (or it is read-only here).")
        values: dict[str, Any] = {}
        for vdef in op.var_defs:
            if vdef.name in self.variables and self.variables[vdef.name] is not None:
                values[vdef.name] = _coerce(self.variables[vdef.name], vdef.type, vdef.name)
            elif vdef.has_default:
                values[vdef.name] = vdef.default
            elif vdef.type.endswith("!"):
                raise GqlError(
                    f'Variable "${vdef.name}" of required type "{vdef.type}" was not provided.'
                )
            else:
                values[vdef.name] = None
        self._check(op.selections, "Query", set(values), set())
        return values

    def _check(self, sels: list[Any], type_name: str, defined: set[str], seen: set[str]) -> None:
        for sel in sels:
            if isinstance(sel, Spread):
                frag = self.doc.fragments.get(sel.name)
                if frag is None:
                    raise GqlError(f'Unknown fragment "{sel.name}".')
                self._type_cond(frag.type_name, type_name, f'Fragment "{sel.name}"')
                if sel.name not in seen:
                    self._check(frag.selections, type_name, defined, seen | {sel.name})
                continue
            if isinstance(sel, Inline):
                if sel.type_name is not None:
                    self._type_cond(sel.type_name, type_name, "Fragment")
                self._check(sel.selections, type_name, defined, seen)
                continue
            self._check_field(sel, type_name, defined, seen)

    def _type_cond(self, cond: str, type_name: str, what: str) -> None:
        if cond not in SCHEMA:
            raise GqlError(f'Unknown type "{cond}".')
        if cond != type_name:
            raise GqlError(
                f'{what} cannot be spread here as objects of type "{type_name}" can never be '
                f'of type "{cond}".'
            )

    def _check_field(self, f: Field, type_name: str, defined: set[str], seen: set[str]) -> None:
        _check_vars(f.args, defined)
        if f.name == "__typename":
            if f.selections:
                raise GqlError('Field "__typename" must not have a selection.')
            return
        spec = self._field_def(type_name, f.name)
        if spec is None:
            raise GqlError(f'Cannot query field "{f.name}" on type "{type_name}".')
        rtype, argdefs = spec
        for arg in f.args:
            if arg not in argdefs:
                raise GqlError(f'Unknown argument "{arg}" on field "{type_name}.{f.name}".')
        for arg, atype in argdefs.items():
            if atype.endswith("!") and f.args.get(arg) is None:
                raise GqlError(
                    f'Field "{f.name}" argument "{arg}" of type "{atype}" is required, '
                    "but it was not provided."
                )
        base = named(rtype)
        if base in SCALARS:
            if f.selections:
                raise GqlError(
                    f'Field "{f.name}" must not have a selection since type "{rtype}" has no '
                    "subfields."
                )
        elif not f.selections:
            raise GqlError(
                f'Field "{f.name}" of type "{rtype}" must have a selection of subfields. '
                f'Did you mean "{f.name} {{ ... }}"?'
            )
        else:
            self._check(f.selections, base, defined, seen)

    # -- execution ------------------------------------------------------------------------------
    def run(self, root: Node, op: Operation, values: dict[str, Any]) -> dict[str, Any]:
        return self._object(root, op.selections, values, [])

    def _collect(self, sels: list[Any], values: dict[str, Any]) -> list[Field]:
        out: list[Field] = []
        for sel in sels:
            if not _included(sel.directives, values):
                continue
            if isinstance(sel, Field):
                out.append(sel)
            elif isinstance(sel, Spread):
                out.extend(self._collect(self.doc.fragments[sel.name].selections, values))
            else:
                out.extend(self._collect(sel.selections, values))
        return out

    def _object(
        self, node: Node, sels: list[Any], values: dict[str, Any], path: list[str | int]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, list[Field]] = {}
        for f in self._collect(sels, values):
            merged.setdefault(f.key, []).append(f)
        for key, fields in merged.items():
            f = fields[0]
            if f.name == "__typename":
                result[key] = node.typename
                continue
            subsels = [s for g in fields for s in g.selections]
            args = {k: _resolve_value(v, values) for k, v in f.args.items()}
            try:
                value = node.resolve(f.name, args)
            except GqlError as exc:
                self.errors.append({"message": exc.message, "path": [*path, key]})
                result[key] = None
                continue
            result[key] = self._complete(value, subsels, values, [*path, key])
        return result

    def _complete(
        self, value: Any, sels: list[Any], values: dict[str, Any], path: list[str | int]
    ) -> Any:
        if value is None or not sels:
            return value
        if isinstance(value, list):
            return [self._complete(v, sels, values, [*path, i]) for i, v in enumerate(value)]
        if isinstance(value, Node):
            return self._object(value, sels, values, path)
        raise TypeError(f"resolver returned {type(value).__name__} for an object field")


def _included(directives: dict[str, dict[str, Any]], values: dict[str, Any]) -> bool:
    if "skip" in directives and _resolve_value(directives["skip"].get("if"), values) is True:
        return False
    return not (
        "include" in directives and _resolve_value(directives["include"].get("if"), values) is False
    )


def _check_vars(value: Any, defined: set[str]) -> None:
    if isinstance(value, Var):
        if value.name not in defined:
            raise GqlError(f'Variable "${value.name}" is not defined.')
    elif isinstance(value, list):
        for v in value:
            _check_vars(v, defined)
    elif isinstance(value, dict):
        for v in value.values():
            _check_vars(v, defined)


def _resolve_value(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, Var):
        return values.get(value.name)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list):
        return [_resolve_value(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_value(v, values) for k, v in value.items()}
    return value


def _coerce(value: Any, type_ref: str, name: str) -> Any:
    """Check a variable's JSON value against its declared type (as a real server does)."""
    t = type_ref.removesuffix("!")
    if value is None:
        if type_ref.endswith("!"):
            raise GqlError(f'Variable "${name}" of non-null type "{type_ref}" must not be null.')
        return None
    if t.startswith("["):
        inner = t[1:-1]
        items = value if isinstance(value, list) else [value]
        return [_coerce(v, inner, name) for v in items]
    ok = {
        "String": lambda v: isinstance(v, str),
        "ID": lambda v: isinstance(v, str | int) and not isinstance(v, bool),
        "JSONString": lambda v: isinstance(v, str),
        "DateTime": lambda v: isinstance(v, str),
        "Int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31,
        "Int64": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "Boolean": lambda v: isinstance(v, bool),
    }.get(t)
    if ok is not None and not ok(value):
        raise GqlError(f'Variable "${name}" got invalid value {value!r}; expected type "{t}".')
    return value
