"""Generated worlds -> pull -> every contract table equals the truth; time moves -> pull -> equal.

Each example builds a world from generated data (see :mod:`.worlds`), serves it with the
simulator on a free port, pulls every project into a fresh warehouse and compares all contract
tables with ``world.truth()``. Then a second pull with nothing changed must write no metric row,
and after each round of generated time operations (grow, finish, add a key, add a run, delete a
run, edit a config) one more pull must again equal the truth.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, note
from hypothesis import strategies as st

from swansync.sync import pull
from trackersim.swanlab import SimServer

from .checks import problems, settings_for
from .strategies import examples
from .worlds import Op, WorldSpec, apply_round, build, ops, worlds


@examples(ci=8, fuzz=300, shrink_in_ci=False)
@given(worlds(), st.lists(ops(), min_size=1, max_size=2))
def test_generated_world_mirrors_exactly_as_time_moves(
    spec: WorldSpec, rounds: list[list[Op]]
) -> None:
    world = build(spec)
    note(f"options: {spec.options}")
    with tempfile.TemporaryDirectory() as tmp, SimServer(world, port=0) as sim:
        db = Path(tmp) / "w.duckdb"
        settings = settings_for(sim, db)
        summary = pull(settings)
        assert summary.status == "ok", summary.failures
        assert problems(db, world.truth()) == []

        again = pull(settings)
        assert again.status == "ok", again.failures
        assert again.rows["metrics"] == 0, "a pull with nothing new wrote metric rows"

        for i, round_ops in enumerate(rounds):
            done = apply_round(world, round_ops)
            note(f"round {i}: {done}")
            summary = pull(settings)
            assert summary.status == "ok", summary.failures
            assert problems(db, world.truth()) == [], f"after round {i}: {done}"
