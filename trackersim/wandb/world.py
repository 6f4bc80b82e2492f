"""The simulated server's state and the operations that move time forward.

Every public method takes the world lock, so tests may call them while the server answers
requests from other threads. Changes are stamped with the wall clock in whole seconds, kept
strictly increasing (a second operation in the same second is stamped one second later), so a
client that keeps heartbeat bookmarks always sees a change as newer.

Runs are addressed by their W&B run id (the wire ``name``), unique in a world, or by
``entity/project/run_id``.
"""

from __future__ import annotations

import inspect
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from trackersim.errors import SimDataError, SimNotFound
from trackersim.wandb import factory
from trackersim.wandb.history import KINDS
from trackersim.wandb.model import STATES, TERMINAL, Project, Run, User, run_name
from trackersim.wandb.options import WorldOptions


class World:
    """Users, entities, projects and runs of one simulated W&B server, plus its options."""

    def __init__(
        self,
        name: str,
        seed: int,
        *,
        user: User,
        api_key: str,
        options: WorldOptions | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.name = name
        self.seed = seed
        self.user = user
        self.api_key = api_key
        self.options = options or WorldOptions()
        self.lock = threading.RLock()
        self.entities: dict[str, bool] = {user.username: False}  # name -> is a team
        self.entities.update({t: True for t in user.teams})
        self.project_map: dict[str, Project] = {}
        self.run_map: dict[str, Run] = {}
        self._clock = clock or time.time
        self._last_s = 0
        self._rng = random.Random(seed * 7919 + 23)
        self._next_internal = 1

    # -- building -------------------------------------------------------------------------------
    def add_project(
        self, entity: str, name: str, created_s: int, description: str | None = None
    ) -> Project:
        with self.lock:
            self.entities.setdefault(entity, entity != self.user.username)
            proj = Project(entity, name, self._next_internal, created_s, self.user.username)
            proj.description = description
            self._next_internal += 1
            self.project_map[proj.path] = proj
            return proj

    def register(self, run: Run) -> Run:
        if run.name in self.run_map:
            raise SimDataError(f"run id {run.name!r} is already used in this world")
        self.run_map[run.name] = run
        return run

    def now_s(self) -> int:
        """Wall-clock seconds, strictly increasing across calls."""
        with self.lock:
            self._last_s = max(int(self._clock()), self._last_s + 1)
            return self._last_s

    # -- lookups --------------------------------------------------------------------------------
    def projects(self, entity: str | None = None) -> list[str]:
        with self.lock:
            return [p for p, proj in self.project_map.items() if entity in (None, proj.entity)]

    def runs(self, project: str | None = None, *, include_deleted: bool = False) -> list[str]:
        with self.lock:
            pool = self.project(project).runs if project else list(self.run_map.values())
            return [r.name for r in pool if include_deleted or not r.deleted]

    def project(self, path: str) -> Project:
        proj = self.project_map.get(path)
        if proj is None:
            raise SimNotFound(f"project {path!r} not found in the simulated world")
        return proj

    def run(self, ref: str) -> Run:
        run = self.run_map.get(ref.rsplit("/", 1)[-1])
        if run is None or ("/" in ref and run.path != ref):
            raise SimNotFound(f"run {ref!r} not found in the simulated world")
        return run

    def find_run(self, project: Project, name: str) -> Run | None:
        run = self.run_map.get(name)
        if run is None or run.deleted or run.project is not project:
            return None
        return run

    # -- time -----------------------------------------------------------------------------------
    def grow(self, ref: str, steps: int = 50) -> None:
        """A running run logs ``steps`` more steps (on every key whose grid hits them)."""
        with self.lock:
            run = self._live(ref)
            if run.state != "running":
                raise SimDataError(f"run {ref} is {run.state}; only running runs grow")
            if steps < 0:
                raise SimDataError("steps must be >= 0")
            run.ticks += steps
            run.heartbeat_s = run.updated_s = self.now_s()

    def heartbeat(self, ref: str) -> None:
        """A running run reports it is alive: heartbeatAt moves, nothing else."""
        with self.lock:
            run = self._live(ref)
            if run.state != "running":
                raise SimDataError(f"run {ref} is {run.state}; only running runs heartbeat")
            run.heartbeat_s = run.updated_s = self.now_s()

    def finish(self, ref: str, state: str = "finished") -> None:
        with self.lock:
            if state not in TERMINAL:
                raise SimDataError(f"state must be one of {TERMINAL}, not {state!r}")
            run = self._live(ref)
            run.state = state
            run.heartbeat_s = run.updated_s = self.now_s()
            if self.options.parquet_export:
                run.export_offset = run.ticks

    def set_state(self, ref: str, state: str) -> None:
        """Any state at all (``preempting``, ``pending``, back to ``running`` on resume)."""
        with self.lock:
            if state not in STATES:
                raise SimDataError(f"state must be one of {STATES}, not {state!r}")
            run = self._live(ref)
            run.state = state
            run.heartbeat_s = run.updated_s = self.now_s()

    def export(self, ref: str) -> None:
        """The server exports the run's history so far to parquet (live rows start after)."""
        with self.lock:
            run = self._live(ref)
            run.export_offset = run.ticks

    def set_config(self, ref: str, key: str, value: Any) -> None:
        """Set a config value; a dotted key walks into a top-level key's nested value."""
        with self.lock:
            run = self._live(ref)
            head, _, rest = key.partition(".")
            item = run.config.setdefault(head, {"value": None, "desc": None})
            if not (isinstance(item, dict) and "value" in item):
                item = run.config[head] = {"value": item, "desc": None}
            if not rest:
                item["value"] = value
            else:
                node = item["value"] if isinstance(item["value"], dict) else {}
                item["value"] = node
                parts = rest.split(".")
                for part in parts[:-1]:
                    child = node.get(part)
                    node[part] = child if isinstance(child, dict) else {}
                    node = node[part]
                node[parts[-1]] = value
            run.updated_s = self.now_s()

    def set_tags(self, ref: str, tags: list[str]) -> None:
        with self.lock:
            run = self._live(ref)
            run.tags = list(tags)
            run.updated_s = self.now_s()

    def set_summary(self, ref: str, key: str, value: Any) -> None:
        """Edit the summary (as ``run.summary[key] = value`` + ``update()`` would)."""
        with self.lock:
            run = self._live(ref)
            run.summary_extra[key] = value
            run.updated_s = self.now_s()

    def delete_run(self, ref: str) -> None:
        with self.lock:
            run = self._live(ref)
            run.deleted = True
            run.updated_s = self.now_s()

    def add_run(self, project: str, **overrides: Any) -> str:
        """A new run (running by default) in ``project`` ("entity/name"; created if missing).
        Returns its run id."""
        with self.lock:
            now = self.now_s()
            proj = self.project_map.get(project)
            if proj is None:
                entity, _, name = project.partition("/")
                if not name or "/" in name:
                    raise SimDataError(f"project must be 'entity/name', not {project!r}")
                proj = self.add_project(entity, name, now)
            spec: dict[str, Any] = {
                "display_name": f"added-{len(proj.runs)}",
                "state": "running",
                "ticks": 20,
                "key_names": ("train/loss", "train/acc"),
                "config": {"lr": 0.01, "batch_size": 32},
                "created_s": now,
                "heartbeat_s": now,
                "user": self.user.username,
            }
            allowed = set(inspect.signature(factory.make_run).parameters) - {"project", "rng"}
            unknown = set(overrides) - allowed
            if unknown:
                raise SimDataError(f"unknown run fields {sorted(unknown)}; use {sorted(allowed)}")
            spec.update(overrides)
            spec.setdefault("run_id", self._fresh_id())
            run = factory.make_run(proj, self._rng, **spec)
            try:
                self.register(run)
            except SimDataError:
                proj.runs.remove(run)
                raise
            return run.name

    def add_key(self, ref: str, key: str, kind: str = "number", every: int = 1) -> None:
        """A new key is logged from the run's next step on (history is append-only)."""
        with self.lock:
            run = self._live(ref)
            if any(s.name == key for s in run.keys):
                raise SimDataError(f"run {ref} already has key {key!r}")
            if kind not in KINDS:
                raise SimDataError(f"kind must be one of {KINDS}, not {kind!r}")
            seed = self._rng.getrandbits(48)
            run.keys.append(factory.key(seed, key, kind, first=run.ticks, every=every))
            run.version += 1
            run.updated_s = self.now_s()

    def tick(self, rng_seed: int) -> list[str]:
        """A random mix of time moves, deterministic from the seed and the world state.
        Returns what happened (for test messages)."""
        with self.lock:
            rng = random.Random(rng_seed)
            done: list[str] = []
            live = sorted((r for r in self.run_map.values() if not r.deleted), key=lambda r: r.name)
            running = [r for r in live if r.state == "running"]
            for run in running:
                steps = rng.randint(1, 40)
                self.grow(run.name, steps)
                done.append(f"grow {run.name} +{steps}")
            if running and rng.random() < 0.5:
                run = rng.choice(running)
                state = rng.choice(TERMINAL)
                self.finish(run.name, state)
                done.append(f"finish {run.name} {state}")
            if rng.random() < 0.5:
                path = rng.choice(sorted(self.project_map))
                new = self.add_run(path, display_name=f"tick-{rng_seed}")
                done.append(f"add_run {path} {new}")
            if live and rng.random() < 0.5:
                run = rng.choice(live)
                value = rng.choice([0.1, 0.5, "adamw", True, None, [1, 2]])
                self.set_config(run.name, "tick.value", value)
                done.append(f"set_config {run.name} tick.value={value!r}")
            if live and rng.random() < 0.3:
                run = rng.choice(live)
                self.set_tags(run.name, [*run.tags, f"tick-{rng_seed}"])
                done.append(f"set_tags {run.name} +tick-{rng_seed}")
            still = [r for r in running if r.state == "running"]
            if still and rng.random() < 0.3:
                run = rng.choice(still)
                if not any(s.name == f"tick/{rng_seed}" for s in run.keys):
                    self.add_key(run.name, f"tick/{rng_seed}")
                    done.append(f"add_key {run.name} tick/{rng_seed}")
            if live and rng.random() < 0.2:
                run = rng.choice(live)
                self.delete_run(run.name)
                done.append(f"delete {run.name}")
            return done

    # -- truth ----------------------------------------------------------------------------------
    def truth(self, history: bool = True) -> dict[str, Any]:
        """What a perfect mirror of the current world holds (see trackersim.wandb.truth)."""
        from trackersim.wandb.truth import build_truth

        with self.lock:
            return build_truth(self, history=history)

    def iter_history(self, ref: str) -> Iterator[dict[str, Any]]:
        """The history points of one run, one dict per (key, step), ascending step."""
        from trackersim.wandb.truth import history_points

        with self.lock:
            run = self.run(ref)
            rows = run.rows()
        return history_points(run, rows)

    # -- helpers --------------------------------------------------------------------------------
    def _live(self, ref: str) -> Run:
        run = self.run(ref)
        if run.deleted:
            raise SimNotFound(f"run {ref} was deleted")
        return run

    def _fresh_id(self) -> str:
        while True:
            name = run_name(self._rng)
            if name not in self.run_map:
                return name
