"""The run cursor: a run whose system metrics were skipped (``--no-system``) says so, and a
cursor that read them is spelled as before (stored cursors stay equal, no churn)."""

from __future__ import annotations

import json

from swansync.sources.wandb.cloud.state import KeyState, RunState


def test_skipped_system_metrics_survive_the_cursor() -> None:
    state = RunState(("finished", "hb", 3, 2), history_to=2, lines=3, system_skipped=True)
    decoded = RunState.decode(state.encode())
    assert decoded is not None and decoded.system_skipped
    assert decoded.copy_history(state.marker).system_skipped is False  # each read decides


def test_a_cursor_with_its_system_metrics_is_spelled_as_before() -> None:
    state = RunState(("finished", "hb", 3, 2), history_to=2, lines=3)
    state.system["system.cpu"] = KeyState(last_step=4, last_value=1.0, points=5)
    text = state.encode()
    assert "ns" not in json.loads(text)
    decoded = RunState.decode(text)
    assert decoded is not None and not decoded.system_skipped
    assert decoded.encode() == text
