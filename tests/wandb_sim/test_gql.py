"""The GraphQL parser and the validating executor, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from trackersim.wandb.gql import Field, GqlError, Inline, Spread, Var, operation_name, parse
from trackersim.wandb.schema import Executor, Node


def test_parses_operations_fragments_and_values() -> None:
    doc = parse(
        """#graphql
        # a comment line
        query Q($a: String!, $b: [JSONString!]! = ["x"], $c: Int = 5) @dir {
          alias: project(name: $a, entityName: "e\\u00e9\\n") { ...F ... on Project { id } }
          x: viewer { id }, models(first: -3, after: null, order: ENUM_VALUE) { pageInfo { a } }
          y: f(list: [1, 2.5e3, true, false, {k: [$c]}], s: \"\"\"block "q" \"\"\")
        }
        fragment F on Project { name @skip(if: true) }
        """
    )
    (op,) = doc.operations
    assert op.name == "Q" and [v.name for v in op.var_defs] == ["a", "b", "c"]
    assert op.var_defs[1].type == "[JSONString!]!" and op.var_defs[1].default == ["x"]
    assert op.var_defs[2].has_default and op.var_defs[2].default == 5
    first = op.selections[0]
    assert isinstance(first, Field) and first.key == "alias" and first.name == "project"
    assert first.args == {"name": Var("a"), "entityName": "eé\n"}
    assert isinstance(first.selections[0], Spread) and isinstance(first.selections[1], Inline)
    third = op.selections[2]
    assert isinstance(third, Field)
    assert third.args["first"] == -3 and third.args["after"] is None
    y = op.selections[3]
    assert isinstance(y, Field)
    assert y.args["list"] == [1, 2500.0, True, False, {"k": [Var("c")]}]
    assert y.args["s"] == 'block "q" '
    assert doc.fragments["F"].type_name == "Project"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected a definition"),
        ("query { viewer { id }", "expected '}'"),
        ("query Q { viewer { } }", "cannot be empty"),
        ("query Q($a String) { viewer { id } }", "expected ':'"),
        ("query Q { viewer(a: ) { id } }", "expected a value"),
        ("query Q { viewer { id } } % ", "unexpected character"),
        ("fragment on on X { a }", "expected a fragment name"),
        ("query Q { a } fragment F on X { a } fragment F on X { b }", "only one fragment"),
        ("query Q { a(x: 1, x: 2) }", "only one argument"),
    ],
)
def test_syntax_errors_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(GqlError) as info:
        parse(text)
    assert fragment in info.value.message


def test_operation_name_skips_comments_and_leading_text() -> None:
    assert operation_name("#graphql\n  query Runs($x: Int) { a }") == "Runs"
    assert operation_name("# query Fake\nquery Real { a }") == "Real"
    assert operation_name("{ viewer { id } }") is None
    assert operation_name("mutation UpsertBucket { a }") == "UpsertBucket"


class _Root(Node):
    typename = "Query"

    def f_viewer(self, args: dict[str, Any]) -> Node:
        return _User()

    def f_project(self, args: dict[str, Any]) -> Node | None:
        if args["name"] == "boom":
            raise GqlError("project exploded")
        return None


class _User(Node):
    typename = "User"

    def f_id(self, args: dict[str, Any]) -> str:
        return "U1"

    def f_username(self, args: dict[str, Any]) -> str:
        return "alice"


def _run(
    text: str, variables: dict[str, Any] | None = None, name: str | None = None
) -> tuple[Executor, dict[str, Any]]:
    ex = Executor(parse(text), variables or {})
    op = ex.pick(name)
    values = ex.validate(op)
    return ex, ex.run(_Root(), op, values)


def test_executor_answers_only_what_was_asked() -> None:
    _, got = _run("query { me: viewer { __typename id } viewer { username } }")
    assert got == {"me": {"__typename": "User", "id": "U1"}, "viewer": {"username": "alice"}}
    _, got = _run("query V($s: Boolean!) { viewer { id @include(if: $s) username } }", {"s": False})
    assert got == {"viewer": {"username": "alice"}}


def test_resolver_errors_carry_a_path_and_null_the_field() -> None:
    ex, got = _run('query { project(name: "boom") { id } viewer { id } }')
    assert got == {"project": None, "viewer": {"id": "U1"}}
    assert ex.errors == [{"message": "project exploded", "path": ["project"]}]


@pytest.mark.parametrize(
    ("text", "variables", "fragment"),
    [
        ("query { viewer { nope } }", {}, 'Cannot query field "nope" on type "User"'),
        ("query { nope }", {}, 'Cannot query field "nope" on type "Query"'),
        ("query { viewer(x: 1) { id } }", {}, 'Unknown argument "x" on field "Query.viewer"'),
        ("query { project { id } }", {}, 'argument "name" of type "String!" is required'),
        ("query { viewer }", {}, "must have a selection of subfields"),
        ("query { viewer { id { a } } }", {}, "must not have a selection"),
        ("query { viewer { ...F } }", {}, 'Unknown fragment "F"'),
        ("query { viewer { ...F } } fragment F on Run { id }", {}, "can never be of type"),
        ("query { viewer { ... on Nope { id } } }", {}, 'Unknown type "Nope"'),
        ("query { project(name: $n) { id } }", {}, 'Variable "$n" is not defined'),
        ("query Q($n: String!) { project(name: $n) { id } }", {}, "was not provided"),
        ("query Q($n: String!) { project(name: $n) { id } }", {"n": 3}, "invalid value 3"),
        ("query Q($n: Int) { models(first: $n) { edges { cursor } } }", {"n": 2**40}, "Int"),
        ("mutation M { viewer { id } }", {}, "mutations"),
        ("query A { viewer { id } } query B { viewer { id } }", {}, "Must provide operation"),
    ],
)
def test_validation_errors_like_a_real_server(
    text: str, variables: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(GqlError) as info:
        _run(text, variables)
    assert fragment in info.value.message


def test_named_operation_is_picked_from_several() -> None:
    _, got = _run("query A { viewer { id } } query B { viewer { username } }", name="B")
    assert got == {"viewer": {"username": "alice"}}
    with pytest.raises(GqlError, match='Unknown operation named "C"'):
        _run("query A { viewer { id } }", name="C")
