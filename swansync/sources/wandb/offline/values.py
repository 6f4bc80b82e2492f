"""Values and keys of W&B items (history, summary, config, stats), as W&B writes them.

Every item carries its value as JSON text (``value_json``) and its name either as ``key``
(one string) or as ``nested_key`` (a path). Measured: 0.17.x writes ``key`` with nested dicts
as JSON objects (``b`` = ``{"c": 2}``); 0.31.0 writes one item per leaf with a path
(``["b", "c"]`` = ``2``), media objects included (``["img", "_type"]`` = ``"image-file"``).

Both spellings mean the same thing once the items are set into one nested object, path by path,
in the order written (:func:`set_path`). Flattening that object joins nested keys with ``.``, as
the W&B app shows them (:func:`flatten`); an object with a ``_type`` (image, table, histogram,
...) is a value of its own and stays whole. A literal dotted key (``"a.b"``) and a nested one
(``a`` → ``b``) therefore flatten to the same name, as they do in W&B.

JSON numbers: W&B writes NaN, Infinity and -Infinity as bare tokens, 0.31.0 writes ``-0.0`` as
``-0`` and an integral float ``1.0`` as ``1``. We read ``-0`` as the float -0.0 (no integer has
a sign on zero) and integral numbers as ``int``: the float-ness of ``1.0`` is not in the file.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

JsonValue = Any
"""What ``json.loads`` returns: None, bool, int, float, str, list or dict (str keys)."""

MEDIA_TYPE_KEY = "_type"
SEPARATOR = "."


class BadValueError(ValueError):
    """An item's ``value_json`` is not JSON (message says which item)."""


def _parse_int(text: str) -> int | float:
    return -0.0 if text == "-0" else int(text)


_DECODER = json.JSONDecoder(parse_int=_parse_int)
# The C scanner behind raw_decode, minus a layer of Python (typeshed types its argument as the
# scanner class itself; any decoder-like object is what it takes).
_SCAN: Callable[[str, int], tuple[JsonValue, int]] = json.scanner.make_scanner(
    _DECODER  # type: ignore[arg-type]
)


def parse_value(text: str) -> JsonValue:
    """One ``value_json``: strict JSON plus NaN/Infinity/-Infinity; ``-0`` is -0.0."""
    try:
        try:
            value, end = _SCAN(text, 0)  # the fast path: no surrounding blanks
        except StopIteration:
            end = -1
        if end != len(text):
            value = _DECODER.decode(text)  # blanks around the value, or the error message
        return value
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; so are
        # ints past Python's digit limit
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise BadValueError(f"value is not JSON ({exc.__class__.__name__}): {shown!r}") from None


def set_path(tree: dict[str, JsonValue], path: Sequence[str], value: JsonValue) -> None:
    """Set ``value`` at ``path`` in ``tree``, creating (or replacing non-object) parents."""
    node = tree
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value


def remove_path(tree: dict[str, JsonValue], path: Sequence[str]) -> None:
    """Delete the value at ``path`` if it is there (a summary ``remove`` item)."""
    node: JsonValue = tree
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def is_media(value: JsonValue) -> bool:
    """A W&B media/table/histogram object: a JSON object with a string ``_type``."""
    return isinstance(value, dict) and isinstance(value.get(MEDIA_TYPE_KEY), str)


def flatten(tree: Mapping[str, JsonValue], prefix: str = "") -> dict[str, JsonValue]:
    """Nested objects to ``a.b.c`` names; media objects and empty objects stay whole."""
    out: dict[str, JsonValue] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and not is_media(value):
            out.update(flatten(value, name + SEPARATOR))
        else:
            out[name] = value
    return out


def build_tree(items: Iterable[tuple[Sequence[str], JsonValue]]) -> dict[str, JsonValue]:
    tree: dict[str, JsonValue] = {}
    for path, value in items:
        set_path(tree, path, value)
    return tree
