"""Generated worlds -> pull -> every contract table equals the truth; time moves -> pull -> equal.

Each example builds a world from generated data (see :mod:`.worlds`), serves it with the
simulator on a free port, pulls every project into a fresh warehouse and compares all contract
tables with ``world.truth()``. Then a second pull with nothing changed must write no metric row,
and after each round of generated time operations (grow, finish, add a key, add a run, delete a
run, edit a config) one more pull must again equal the truth.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from hypothesis import example, given, note
from hypothesis import strategies as st

from swansync.sync import pull
from trackersim.swanlab import SimServer

from .checks import problems, settings_for
from .strategies import examples
from .worlds import (
    BASE_MS,
    Op,
    ProjectSpec,
    RunSpec,
    SeriesSpec,
    WorldSpec,
    apply_round,
    build,
    ops,
    worlds,
)

NASTY = RunSpec(
    name='a,b\n"x"',
    state="RUNNING",
    config={"a.b": 1, "a": {"b": 2.0, "c": [-0.0, 2**70, 5e-324]}, "": {}},
    metadata={"x": None},
    series=[
        SeriesSpec(k, [3, 10, 11], [-0.0, math.nan, 5e-324], [BASE_MS, BASE_MS + 1, BASE_MS + 2])
        for k in ("loss,val", 'say "hi"', "two\r\nlines", "Loss", "loss")
    ]
    + [SeriesSpec("edge", [0, 2**40], [math.inf, -1e308], [BASE_MS, BASE_MS + 5])],
    media=["img,1"],
)


@examples(ci=6, fuzz=100, shrink_in_ci=False)
@given(worlds(), st.lists(ops(), min_size=1, max_size=2))
@example(
    WorldSpec([ProjectSpec("p", "", [], "PRIVATE", [NASTY, NASTY])], {"csv_quoting": "all"}),
    [[Op("grow", 0, [SeriesSpec("", [0, 4], [-0.0, -math.inf], [BASE_MS, BASE_MS])])]],
)
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
