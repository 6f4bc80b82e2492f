"""Compare the answers of every view and macro of ``sql/views`` between two sources of one
warehouse that hold the same runs (logged to SwanLab and to W&B alike, see ``spec.py``), with
:mod:`tests.support.same_answers`.

Each answer is split by its ``source`` column (or asked of each side's own run ids) and
normalised before comparing, for the differences the contract documents:

* ``source``, ``synced_at``: each source's name and pull time: dropped.
* ``run_id`` and ``slug``: a SwanLab log folder's run id is its run folder
  (``run-<time>-<id>``) and its slug the dashboard's experiment number; W&B's are the run id.
  Both are mapped to ``<project>#<run name>`` (also inside lists such as
  ``seed_groups.run_ids``).
* Times (``created_at``, ``finished_at``, ``duration_s``, point timestamps, first/last run,
  the day of ``project_activity``): the two runs were logged seconds apart, so only whether a
  time is there (NULL or not) is compared.
* Means over many points (``mean``) compare to 1e-12 relative; every other float exactly, NaN
  equal to NaN, -0.0 unequal to 0.0.

Consoles and media are not compared (``same_answers.CONSOLES_AND_MEDIA`` says why).
"""

from __future__ import annotations

import duckdb

from tests.support import same_answers
from tests.support.same_answers import NAN_KEY, Call, Rules, Side, q

RULES = Rules(
    dropped=frozenset({"source", "synced_at"}),
    run_ids=frozenset({"run_id", "slug", "run_ids"}),
    times="present",
)

# The spec's own keys (spec.py), after the common calls of same_answers.COMMON_CALLS.
MORE_CALLS: dict[str, list[Call]] = {
    "leaderboard": [
        lambda s, p, r: f"SELECT * FROM leaderboard({q(p)}, 'val/acc', goal := 'max')",
        lambda s, p, r: f"SELECT * FROM leaderboard({q(p)}, 'flags/improved', goal := 'max')",
    ],
    "seed_groups": [
        lambda s, p, r: (
            f"SELECT * FROM seed_groups({q(p)}, 'val/loss', seed_keys := ['seed'], pick := 'best')"
        ),
    ],
    "config_effect": [
        lambda s, p, r: f"SELECT * FROM config_effect({q(p)}, 'lr', 'train/loss')",
        lambda s, p, r: (
            f"SELECT * FROM config_effect({q(p)}, 'model.depth', 'val/acc', "
            "goal := 'max', pick := 'best')"
        ),
        lambda s, p, r: f"SELECT * FROM config_effect({q(p)}, 'data.name', 'epoch')",
    ],
}
MACRO_CALLS = same_answers.macro_calls(MORE_CALLS)

__all__ = ["NAN_KEY", "compare", "side"]


def side(con: duckdb.DuckDBPyConnection, source: str) -> Side:
    """The rows of ``source``, its run ids and slugs mapped to ``<project>#<run name>``."""
    common: dict[str, str] = {}
    own: dict[str, str] = {}
    for project, run_id, slug, name in con.execute(
        "SELECT project, run_id, slug, name FROM runs WHERE source = ?", [source]
    ).fetchall():
        key = f"{project}#{name}"
        assert key not in own, f"{source}: two runs named {name!r} in {project}"
        common[run_id] = common[slug] = key
        own[key] = run_id
    return Side(source, con, common, own, source=source)


def compare(con: duckdb.DuckDBPyConnection, a: Side, b: Side, projects: list[str]) -> list[str]:
    """Every view whole and every macro call per project, A against B: the differences."""
    assert a.con is con and b.con is con, "both sides are sources of one warehouse"
    return same_answers.compare(a, b, RULES, projects, MACRO_CALLS, may_be_empty={"system_usage"})
