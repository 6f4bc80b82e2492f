"""``POST /graphql``: credentials, parsing, validation and execution of one request.

* Credentials: HTTP Basic ``api:<key>``; anything else (no header, a wrong key, another user
  name) is HTTP 401 with a GraphQL ``errors`` body, on every operation.
* A body that is not a JSON object with a string ``query`` is HTTP 400.
* Syntax and validation errors (unknown fields, arguments, fragments, variables) are HTTP 200
  with ``{"errors": [...], "data": null}``; errors inside resolvers (a bad filter, a bad
  cursor) are HTTP 200 with ``errors`` (each with its ``path``) and the field set to null.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trackersim.wandb.gql import GqlError, operation_name, parse
from trackersim.wandb.resolvers import Ctx, QueryRoot
from trackersim.wandb.schema import OPTIONAL_FIELDS, Executor
from trackersim.wandb.world import World


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(data: Any, status: int = 200, allow_nan: bool = False) -> Reply:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=allow_nan)
    return Reply(status, text.encode())


def errors_reply(status: int, *messages: str) -> Reply:
    return json_reply({"errors": [{"message": m} for m in messages]}, status)


def request_name(body: bytes) -> tuple[str, dict[str, Any] | None]:
    """(operation name for counters and faults, the decoded body or None if it is not JSON)."""
    try:
        data = json.loads(body)
    except ValueError:
        return "<invalid>", None
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return "<invalid>", None
    return operation_name(data["query"]) or "<anonymous>", data


def authorized(world: World, header: str | None) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        user, _, key = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return user == "api" and hmac.compare_digest(key.encode(), world.api_key.encode())


def execute(world: World, data: dict[str, Any], sign_url: Callable[[str], str]) -> Reply:
    """Answer one decoded GraphQL request (credentials already checked)."""
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        return errors_reply(400, "variables must be a JSON object")
    op_name = data.get("operationName") or None
    if op_name is not None and not isinstance(op_name, str):
        return errors_reply(400, "operationName must be a string")
    opts = world.options
    extra = {
        k: v
        for k, v in OPTIONAL_FIELDS.items()
        if k == ("Run", "updatedAt") and opts.run_updated_at
    }
    try:
        doc = parse(data["query"])
        executor = Executor(doc, variables, extra_fields=extra)
        op = executor.pick(op_name)
        values = executor.validate(op)
    except GqlError as exc:
        return json_reply({"errors": [{"message": exc.message}], "data": None})
    with world.lock:
        result = executor.run(QueryRoot(Ctx(world, sign_url)), op, values)
    out: dict[str, Any] = {"data": result}
    if executor.errors:
        out["errors"] = executor.errors
    return json_reply(out, allow_nan=opts.sampled_nonfinite == "bare")
