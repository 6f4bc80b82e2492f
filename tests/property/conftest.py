"""Hypothesis profiles for the property suite.

* ``ci`` (the default, used by ``make test``): derandomized, so every run tries the same examples
  and a failure reproduces on any machine; no example database (nothing written into the tree);
  few examples per property, chosen so the whole suite adds about a minute on 2 cores.
* ``fuzz`` (``make fuzz`` or ``HYPOTHESIS_PROFILE=fuzz``): random, many examples, a per-example
  time budget instead of a deadline; its database lives in ``.hypothesis/`` (git-ignored), so a
  failure found by one fuzz run is replayed first by the next.

Each property scales its own ``max_examples`` with :func:`examples` so the slow end-to-end ones
stay cheap in ``ci`` and get their share in ``fuzz``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)
settings.register_profile(
    "fuzz",
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)
settings.register_profile("shrink", parent=settings.get_profile("ci"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
