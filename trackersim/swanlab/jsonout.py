"""JSON answers, plain or hostile.

A hostile answer is still valid JSON that means exactly the same thing, but floats come in every
spelling a server may use (``1E5``, ``1e-5``, ``-0.0e+00``, ``2E0`` for ``2.0``) and some strings
are escaped the way other JSON writers do it (``\\u00e9``, emoji as surrogate pairs
``\\ud83d\\ude80``, ``\\/``). Which float or string gets which form is a pure function of a salt
(the world seed and the request) and the value's position, so answers are reproducible.

The server picks the style per request (:func:`use`) in the handler thread; route code calls
:func:`dumps` through :func:`trackersim.swanlab.proto.json_response` and never sees the style.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from trackersim.swanlab.spell import mix, spell_json_float


@dataclass(frozen=True)
class JsonStyle:
    numbers: bool = False  # respell floats
    escapes: bool = False  # escape some strings differently
    salt: int = 0

    @property
    def plain(self) -> bool:
        return not (self.numbers or self.escapes)


PLAIN = JsonStyle()
_local = threading.local()


def use(style: JsonStyle) -> None:
    """The style of the JSON answers built in this thread from now on."""
    _local.style = style


def current() -> JsonStyle:
    style: JsonStyle = getattr(_local, "style", PLAIN)
    return style


def dumps(data: Any, style: JsonStyle | None = None) -> bytes:
    """``data`` as UTF-8 JSON text (NaN/inf are refused: the API sends them as strings).

    Lone surrogates U+DC80..U+DCFF in strings stand for raw bytes that are not UTF-8 (console
    text, see :mod:`trackersim.swanlab.console`): they go out as those raw bytes, or escaped
    as ``\\udcXX`` when the style escapes that string."""
    style = current() if style is None else style
    if style.plain:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8", "surrogateescape")
    out: list[str] = []
    _Writer(style, out).value(data)
    return "".join(out).encode("utf-8", "surrogateescape")


class _Writer:
    def __init__(self, style: JsonStyle, out: list[str]) -> None:
        self.style = style
        self.out = out
        self.n = 0

    def _h(self) -> int:
        self.n += 1
        return mix(self.style.salt, self.n)

    def value(self, v: Any) -> None:
        out = self.out
        if isinstance(v, str):
            out.append(self.string(v))
        elif v is None or isinstance(v, bool | int):
            out.append(json.dumps(v))
        elif isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError(f"out of range float value {v!r} is not JSON compliant")
            out.append(spell_json_float(v, self._h()) if self.style.numbers else repr(v))
        elif isinstance(v, dict):
            out.append("{")
            for i, (k, item) in enumerate(v.items()):
                if i:
                    out.append(",")
                out.append(self.string(str(k)))
                out.append(":")
                self.value(item)
            out.append("}")
        elif isinstance(v, list | tuple):
            out.append("[")
            for i, item in enumerate(v):
                if i:
                    out.append(",")
                self.value(item)
            out.append("]")
        else:
            raise TypeError(f"Object of type {type(v).__name__} is not JSON serializable")

    def string(self, s: str) -> str:
        if not self.style.escapes:
            return json.dumps(s, ensure_ascii=False)
        choice = self._h() % 3
        if choice == 0:
            return json.dumps(s, ensure_ascii=False)
        if choice == 1:
            return json.dumps(s, ensure_ascii=True)  # \uXXXX, surrogate pairs for emoji
        return json.dumps(s, ensure_ascii=True).replace("/", "\\/")
