"""A small GraphQL parser: enough of the language for any read query a client sends.

Supports operations (``query``/``mutation``, named or anonymous, variable definitions with
defaults), fields with aliases and arguments (variables, literals, lists, objects, enums),
fragment definitions, fragment spreads, inline fragments and directives (parsed, ``@skip`` /
``@include`` honoured). Comments (``#...``) and commas are ignored, as the language says.
A syntax error raises :class:`GqlError` naming the line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class GqlError(Exception):
    """A GraphQL error: becomes one entry of the answer's ``errors`` list."""

    def __init__(self, message: str, path: list[str | int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Enum:
    name: str


@dataclass
class Field:
    name: str
    alias: str | None
    args: dict[str, Any]
    selections: list[Selection]
    directives: dict[str, dict[str, Any]]

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class Spread:
    name: str
    directives: dict[str, dict[str, Any]]


@dataclass
class Inline:
    type_name: str | None
    selections: list[Selection]
    directives: dict[str, dict[str, Any]]


Selection = Field | Spread | Inline


@dataclass
class VarDef:
    name: str
    type: str  # as written, e.g. "String!", "[JSONString!]!"
    default: Any = None
    has_default: bool = False


@dataclass
class Operation:
    kind: str  # "query" | "mutation" | "subscription"
    name: str | None
    var_defs: list[VarDef]
    selections: list[Selection]


@dataclass
class Fragment:
    name: str
    type_name: str
    selections: list[Selection]


@dataclass
class Document:
    operations: list[Operation] = field(default_factory=list)
    fragments: dict[str, Fragment] = field(default_factory=dict)


_TOKEN = re.compile(
    r"""
    (?P<ws>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&():=@\[\]{}|])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
  | (?P<string>"(?:[^"\\\n\r]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*")
    """,
    re.VERBOSE,
)

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokens(src: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None:
            raise GqlError(f"Syntax Error: unexpected character {src[pos]!r} at {_where(src, pos)}")
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    out.append(_Tok("eof", "", len(src)))
    return out


def _where(src: str, pos: int) -> str:
    line = src.count("\n", 0, pos) + 1
    col = pos - (src.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = _tokens(src)
        self.i = 0

    # -- token helpers --------------------------------------------------------------------------
    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, what: str) -> GqlError:
        tok = self.peek()
        got = "end of document" if tok.kind == "eof" else repr(tok.text)
        return GqlError(
            f"Syntax Error: expected {what}, found {got} at {_where(self.src, tok.pos)}"
        )

    def expect(self, text: str) -> None:
        if self.peek().text != text or self.peek().kind not in ("punct", "spread"):
            raise self.fail(repr(text))
        self.i += 1

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok.kind in ("punct", "spread") and tok.text == text

    def name(self) -> str:
        if self.peek().kind != "name":
            raise self.fail("a name")
        return self.take().text

    # -- grammar --------------------------------------------------------------------------------
    def document(self) -> Document:
        doc = Document()
        if self.peek().kind == "eof":
            raise self.fail("a definition")
        while self.peek().kind != "eof":
            tok = self.peek()
            if self.at("{"):
                doc.operations.append(Operation("query", None, [], self.selection_set()))
            elif tok.kind == "name" and tok.text in ("query", "mutation", "subscription"):
                doc.operations.append(self.operation())
            elif tok.kind == "name" and tok.text == "fragment":
                frag = self.fragment()
                if frag.name in doc.fragments:
                    raise GqlError(f'There can be only one fragment named "{frag.name}".')
                doc.fragments[frag.name] = frag
            else:
                raise self.fail("a query, mutation or fragment")
        return doc

    def operation(self) -> Operation:
        kind = self.take().text
        name = self.name() if self.peek().kind == "name" else None
        var_defs: list[VarDef] = []
        if self.at("("):
            self.take()
            while not self.at(")"):
                self.expect("$")
                vname = self.name()
                self.expect(":")
                vtype = self.type_ref()
                vdef = VarDef(vname, vtype)
                if self.at("="):
                    self.take()
                    vdef.default = self.value(const=True)
                    vdef.has_default = True
                self.directives()
                var_defs.append(vdef)
            self.take()
        self.directives()
        return Operation(kind, name, var_defs, self.selection_set())

    def type_ref(self) -> str:
        if self.at("["):
            self.take()
            inner = self.type_ref()
            self.expect("]")
            text = f"[{inner}]"
        else:
            text = self.name()
        if self.at("!"):
            self.take()
            text += "!"
        return text

    def fragment(self) -> Fragment:
        self.take()
        name = self.name()
        if name == "on":
            raise self.fail("a fragment name")
        if self.name() != "on":
            raise self.fail("'on'")
        type_name = self.name()
        self.directives()
        return Fragment(name, type_name, self.selection_set())

    def selection_set(self) -> list[Selection]:
        self.expect("{")
        out: list[Selection] = []
        while not self.at("}"):
            if self.peek().kind == "eof":
                raise self.fail("'}'")
            out.append(self.selection())
        self.take()
        if not out:
            raise GqlError("Syntax Error: a selection set cannot be empty")
        return out

    def selection(self) -> Selection:
        if self.at("..."):
            self.take()
            tok = self.peek()
            if tok.kind == "name" and tok.text != "on":
                return Spread(self.name(), self.directives())
            type_name = None
            if tok.kind == "name":
                self.take()
                type_name = self.name()
            directives = self.directives()
            return Inline(type_name, self.selection_set(), directives)
        first = self.name()
        alias = None
        if self.at(":"):
            self.take()
            alias, first = first, self.name()
        args = self.arguments(const=False)
        directives = self.directives()
        selections = self.selection_set() if self.at("{") else []
        return Field(first, alias, args, selections, directives)

    def arguments(self, const: bool) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if not self.at("("):
            return args
        self.take()
        while not self.at(")"):
            name = self.name()
            self.expect(":")
            if name in args:
                raise GqlError(f'There can be only one argument named "{name}".')
            args[name] = self.value(const)
        self.take()
        return args

    def directives(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        while self.at("@"):
            self.take()
            name = self.name()
            out[name] = self.arguments(const=False)
        return out

    def value(self, const: bool) -> Any:
        tok = self.peek()
        if tok.kind == "punct" and tok.text == "$":
            if const:
                raise self.fail("a constant value")
            self.take()
            return Var(self.name())
        if tok.kind == "punct" and tok.text == "[":
            self.take()
            items = []
            while not self.at("]"):
                items.append(self.value(const))
            self.take()
            return items
        if tok.kind == "punct" and tok.text == "{":
            self.take()
            obj: dict[str, Any] = {}
            while not self.at("}"):
                key = self.name()
                self.expect(":")
                obj[key] = self.value(const)
            self.take()
            return obj
        if tok.kind == "number":
            self.take()
            is_float = any(c in tok.text for c in ".eE")
            return float(tok.text) if is_float else int(tok.text)
        if tok.kind == "string":
            self.take()
            return _unescape(tok.text[1:-1])
        if tok.kind == "block":
            self.take()
            return tok.text[3:-3].replace('\\"""', '"""')
        if tok.kind == "name":
            self.take()
            return {"true": True, "false": False, "null": None}.get(tok.text, Enum(tok.text))
        raise self.fail("a value")


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
        elif body[i + 1] == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
    return "".join(out)


def parse(src: str) -> Document:
    """Parse a GraphQL document (raises GqlError on a syntax error)."""
    return _Parser(src).document()


_OP_NAME = re.compile(r"\b(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


def operation_name(src: str) -> str | None:
    """The first ``query|mutation <Name>`` of a document's text, skipping comments (how the
    simulator names a request for counters and faults; ``operationName`` is mostly empty)."""
    text = re.sub(r"#[^\n\r]*", "", src)
    m = _OP_NAME.search(text)
    return m.group(2) if m else None
