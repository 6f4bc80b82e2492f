"""Generated fault schedules -> one pull -> exactly the truth.

A schedule mixes the simulator's transient faults (429 with Retry-After, 5xx, resets before an
answer, after the headers and in the middle of a body, chunked and Content-Length truncations,
HTML pages with 200 and 502, a slow drip, expired presigned URLs on downloads) at generated
rates, separately for API calls, downloads and (sometimes) the login. The simulator draws each
fault from (seed, request, attempt), so a schedule is the same whatever the thread interleaving.
With a retry budget that the rates cannot plausibly exhaust (at most 35 % per attempt over 11
attempts), a single pull must land every table exactly and report no failure.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import event, given, note, target
from hypothesis import strategies as st

from swansync.sync import pull
from trackersim.swanlab import Faults, SimServer
from trackersim.swanlab.faults import DOWNLOAD_ONLY, KINDS

from .checks import problems, settings_for
from .strategies import PROFILE, examples
from .worlds import WorldSpec, build, worlds

MAX_RATE = 0.35
RETRIES = 10


@st.composite
def rates(draw: st.DrawFn, kinds: tuple[str, ...]) -> dict[str, float]:
    """Rates per fault kind that sum to a generated total <= MAX_RATE."""
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=len(kinds), unique=True))
    total = draw(st.floats(0.05, MAX_RATE))
    weights = [draw(st.integers(1, 5)) for _ in chosen]
    return {f"rate_{k}": total * w / sum(weights) for k, w in zip(chosen, weights, strict=True)}


@st.composite
def schedules(draw: st.DrawFn) -> Faults:
    api = draw(rates(tuple(k for k in KINDS if k not in DOWNLOAD_ONLY)))
    download = draw(rates(KINDS))
    # A real Retry-After of 1 s costs a second per 429: only the fuzz profile can afford it.
    retry_after = draw(st.sampled_from([0, 1])) if PROFILE == "fuzz" else 0
    classes = {"download": download}
    if draw(st.booleans()):  # the login too (it is not a data route: only when asked for)
        classes["login"] = draw(rates(tuple(k for k in KINDS if k not in DOWNLOAD_ONLY)))
    seed = draw(st.integers(0, 2**32))
    extra = {"classes": classes, "retry_after": retry_after, "drip_ms": 0.2}
    return Faults.from_dict({**api, **extra, "seed": seed})


@examples(ci=6, fuzz=60, shrink_in_ci=False)
@given(worlds(max_projects=2, max_runs=3), schedules())
def test_one_pull_under_generated_faults_is_exact(spec: WorldSpec, faults: Faults) -> None:
    world = build(spec)
    note(f"faults: {faults}")
    with tempfile.TemporaryDirectory() as tmp, SimServer(world, port=0) as sim:
        db = Path(tmp) / "w.duckdb"
        sim.faults = faults
        summary = pull(settings_for(sim, db, retries=RETRIES))
        injected = dict(faults.injected)
        note(f"injected: {injected}")
        for kind in injected:
            event(f"injected {kind}")
        target(float(sum(injected.values())), label="faults injected")
        sim.faults = Faults()
        assert summary.status == "ok", summary.failures
        assert problems(db, world.truth()) == []
