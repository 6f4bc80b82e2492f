"""Errors of the simulators (their own: an oracle shares no code with what it checks)."""

from __future__ import annotations


class SimError(Exception):
    """Base class of every simulator error."""


class SimConfigError(SimError, ValueError):
    """A world, option or fault setting the simulator does not know."""


class SimNotFound(SimError, LookupError):
    """A project, run or key the simulated world does not hold."""


class SimDataError(SimError, ValueError):
    """A time move the world refuses (growing a finished run, a duplicate key, ...)."""
