"""SwanLab local log folders (``swanlab.init(mode="local")``) read directly from disk.

See :class:`LogDirSource`; the on-disk format (0.10.x and 0.7.x) is described in
``docs/protocols/swanlab-offline-dashboard.md`` section 6.
"""

from swansync.sources.swanlab.logdir.source import LogDirSource

__all__ = ["LogDirSource"]
