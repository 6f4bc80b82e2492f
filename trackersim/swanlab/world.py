"""The simulated cloud's state and the operations that move time forward.

Every public method takes the world lock, so tests may call them while the server answers
requests from other threads. Time operations stamp changes with the wall clock (monotone), so a
client that keeps wall-clock bookmarks sees them as recent.
"""

from __future__ import annotations

import inspect
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from trackersim.errors import SimDataError, SimNotFound
from trackersim.swanlab import factory
from trackersim.swanlab.model import Project, Run, Workspace, config_set, cuid
from trackersim.swanlab.options import WorldOptions

TERMINAL = ("FINISHED", "CRASHED", "ABORTED")


class World:
    """All workspaces, projects and runs of one simulated cloud, plus its options."""

    def __init__(
        self,
        name: str,
        seed: int,
        *,
        user: Workspace,
        api_key: str,
        options: WorldOptions | None = None,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.name = name
        self.seed = seed
        self.user = user
        self.api_key = api_key
        self.options = options or WorldOptions()
        self.lock = threading.RLock()
        self.workspaces: dict[str, Workspace] = {user.username: user}
        self.project_map: dict[str, Project] = {}
        self.run_map: dict[str, Run] = {}
        self._clock = clock or (lambda: int(time.time() * 1000))
        self._last_ms = 0
        self._rng = random.Random(seed * 7919 + 17)

    # -- building -------------------------------------------------------------------------------
    def add_workspace(self, ws: Workspace) -> Workspace:
        self.workspaces[ws.username] = ws
        return ws

    def add_project(self, project: Project) -> Project:
        self.workspaces.setdefault(project.workspace.username, project.workspace)
        self.project_map[project.path] = project
        for run in project.runs:
            self.run_map[run.cuid] = run
        return project

    def register(self, run: Run) -> Run:
        self.run_map[run.cuid] = run
        return run

    def now_ms(self) -> int:
        """Wall-clock ms, strictly increasing across calls."""
        with self.lock:
            self._last_ms = max(self._clock(), self._last_ms + 1)
            return self._last_ms

    # -- lookups --------------------------------------------------------------------------------
    def projects(self) -> list[str]:
        with self.lock:
            return list(self.project_map)

    def runs(self, project: str | None = None, *, include_deleted: bool = False) -> list[str]:
        with self.lock:
            runs = (
                self.project(project).runs if project is not None else list(self.run_map.values())
            )
            return [r.cuid for r in runs if include_deleted or not r.deleted]

    def project(self, path: str) -> Project:
        proj = self.project_map.get(path)
        if proj is None:
            raise SimNotFound(f"project {path!r} not found in the simulated world")
        return proj

    def run(self, run_id: str) -> Run:
        run = self.run_map.get(run_id)
        if run is None:
            raise SimNotFound(f"run {run_id!r} not found in the simulated world")
        return run

    def find_run(self, project: Project, ref: str) -> Run | None:
        """A live run of ``project`` by cuid or slug."""
        for run in project.runs:
            if not run.deleted and ref in (run.cuid, run.slug):
                return run
        return None

    # -- time -----------------------------------------------------------------------------------
    def grow(self, run_id: str, steps: int = 50) -> None:
        """A RUNNING run logs ``steps`` more ticks on all its keys."""
        with self.lock:
            run = self._live(run_id)
            if run.state != "RUNNING":
                raise SimDataError(f"run {run_id} is {run.state}; only RUNNING runs grow")
            if steps < 0:
                raise SimDataError("steps must be >= 0")
            run.set_ticks(run.ticks + steps)
            if self.options.project_updated_on_metrics:
                run.project.updated_ms = self.now_ms()

    def finish(self, run_id: str, state: str = "FINISHED") -> None:
        with self.lock:
            if state not in TERMINAL:
                raise SimDataError(f"state must be one of {TERMINAL}, not {state!r}")
            run = self._live(run_id)
            now = self.now_ms()
            run.state = state
            run.finished_ms = now
            self._touch(run, now)

    def append_logs(self, run_id: str, lines: int) -> None:
        """A RUNNING run prints ``lines`` more console lines (besides its ticks)."""
        with self.lock:
            run = self._live(run_id)
            if run.state != "RUNNING":
                raise SimDataError(f"run {run_id} is {run.state}; only RUNNING runs print")
            if lines < 0:
                raise SimDataError("lines must be >= 0")
            run.data_run.log_extra += lines

    def delete_run(self, run_id: str) -> None:
        with self.lock:
            run = self._live(run_id)
            run.deleted = True
            now = self.now_ms()
            run.updated_ms = now
            run.project.updated_ms = now

    def set_config(self, run_id: str, key: str, value: Any) -> None:
        """Set a config value by dotted path into the unwrapped config."""
        with self.lock:
            run = self._live(run_id)
            config_set(run.config, key, value)
            self._touch(run, self.now_ms())

    def add_run(self, project: str, **overrides: Any) -> str:
        """A new run (RUNNING by default) in ``project`` ("ws/name"; created if missing)."""
        with self.lock:
            proj = self.project_map.get(project)
            now = self.now_ms()
            if proj is None:
                ws_name, _, name = project.partition("/")
                if not name:
                    raise SimDataError(f"project must be 'workspace/name', not {project!r}")
                ws = self.workspaces.get(ws_name) or self.add_workspace(
                    Workspace(ws_name, ws_name.capitalize(), "TEAM")
                )
                proj = self.add_project(
                    Project(ws, name, cuid(self._rng), "", "PRIVATE", [], now, now)
                )
            spec: dict[str, Any] = {
                "name": f"run-{len(proj.runs)}",
                "state": "RUNNING",
                "ticks": 20,
                "keys": ("train/loss", "train/acc"),
                "config": {"lr": 0.01, "batch_size": 32},
                "log_every": 5,
            }
            allowed = set(inspect.signature(factory.make_run).parameters) - {"project", "rng"}
            unknown = set(overrides) - allowed
            if unknown:
                raise SimDataError(f"unknown run fields {sorted(unknown)}; use {sorted(allowed)}")
            spec.update(overrides)
            spec.setdefault("created_ms", now)
            run = factory.make_run(proj, self._rng, **spec)
            self.register(run)
            self._touch(run, now)
            return run.cuid

    def add_key(self, run_id: str, key: str) -> None:
        """A new scalar key appears on the run, with points over its whole logged range."""
        with self.lock:
            run = self._live(run_id)
            if key in run.series:
                raise SimDataError(f"run {run_id} already has key {key!r}")
            factory.add_series(run, key)

    def tick(self, rng_seed: int) -> list[str]:
        """A random mix of time operations, deterministic from the seed and the world state.

        Returns a description of what happened (for test messages)."""
        with self.lock:
            rng = random.Random(rng_seed)
            done: list[str] = []
            live = sorted((r for r in self.run_map.values() if not r.deleted), key=lambda r: r.cuid)
            for run in (r for r in live if r.state == "RUNNING"):
                steps = rng.randint(1, 40)
                self.grow(run.cuid, steps)
                done.append(f"grow {run.cuid} +{steps}")
            running = [r for r in live if r.state == "RUNNING"]
            if running and rng.random() < 0.5:
                run = rng.choice(running)
                state = rng.choice(TERMINAL)
                self.finish(run.cuid, state)
                done.append(f"finish {run.cuid} {state}")
            if rng.random() < 0.5:
                path = rng.choice(sorted(self.project_map))
                new = self.add_run(path, name=f"tick-{rng_seed}")
                done.append(f"add_run {path} {new}")
            if live and rng.random() < 0.5:
                run = rng.choice(live)
                value = rng.choice([0.1, 0.5, "adamw", True, None, [1, 2]])
                self.set_config(run.cuid, "tick.value", value)
                done.append(f"set_config {run.cuid} tick.value={value!r}")
            if running and rng.random() < 0.3:
                run = rng.choice([r for r in running if r.state == "RUNNING"] or running)
                if not run.deleted and f"tick/{rng_seed}" not in run.series:
                    self.add_key(run.cuid, f"tick/{rng_seed}")
                    done.append(f"add_key {run.cuid} tick/{rng_seed}")
            deletable = [r for r in live if not r.pinned and not r.deleted]
            if deletable and rng.random() < 0.2:
                run = rng.choice(deletable)
                self.delete_run(run.cuid)
                done.append(f"delete {run.cuid}")
            return done

    # -- truth ----------------------------------------------------------------------------------
    def truth(self, metrics: bool = True, logs: bool = True) -> dict[str, dict[str, list[Any]]]:
        """What a perfect mirror of the current world contains (see trackersim.swanlab.truth);
        ``metrics``/``logs`` False leave out the (possibly huge) points and console lines."""
        from trackersim.swanlab.truth import build_truth

        with self.lock:
            return build_truth(self, metrics=metrics, logs=logs)

    def iter_points(self, run_id: str, key: str) -> Iterator[tuple[int, float, int]]:
        """(step, value, ts_ms) of every current point of one series, ascending step."""
        with self.lock:
            run = self.run(run_id)
            series = run.data_run.series.get(key)
            if series is None:
                raise SimNotFound(f"run {run_id} has no scalar key {key!r}")
            n = series.count()
        return series.iter_points(n)

    # -- helpers --------------------------------------------------------------------------------
    def _live(self, run_id: str) -> Run:
        run = self.run(run_id)
        if run.deleted:
            raise SimNotFound(f"run {run_id} was deleted")
        return run

    def _touch(self, run: Run, now: int) -> None:
        run.updated_ms = now
        run.project.updated_ms = now
