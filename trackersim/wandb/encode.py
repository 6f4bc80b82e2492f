"""How values go on the wire: JSON strings inside GraphQL answers and non-finite numbers.

Three spellings of NaN/±inf, chosen per place by world options:

* ``bare``   the JSON-ish tokens ``NaN``, ``Infinity``, ``-Infinity`` (what Python's and the
  W&B SDK's encoders write; fine inside JSON *strings*, fatal for the SDK in the envelope);
* ``string`` the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``;
* ``null``   ``null``.
"""

from __future__ import annotations

import json
import math
from typing import Any

SPELLING = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _spell(value: float, mode: str) -> Any:
    if mode == "null":
        return None
    if math.isnan(value):
        return SPELLING["nan"]
    return SPELLING["inf"] if value > 0 else SPELLING["-inf"]


def nonfinite(value: Any, mode: str) -> Any:
    """A copy of ``value`` with non-finite floats spelled per ``mode`` (``bare`` keeps them)."""
    if mode == "bare":
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _spell(value, mode)
    if isinstance(value, dict):
        return {k: nonfinite(v, mode) for k, v in value.items()}
    if isinstance(value, list):
        return [nonfinite(v, mode) for v in value]
    return value


def json_text(value: Any, mode: str = "bare") -> str:
    """JSON text of ``value`` with non-finite numbers spelled per ``mode``."""
    return json.dumps(
        nonfinite(value, mode),
        ensure_ascii=False,
        separators=(", ", ": "),
        allow_nan=mode == "bare",
    )
