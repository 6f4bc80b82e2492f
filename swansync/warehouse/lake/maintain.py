"""Lake maintenance: fewer, larger Parquet files, old snapshots expired, unused files deleted.

Every commit of a pull writes small files (one per table it appends to, or rows inlined in the
catalog); a busy lake collects thousands. :func:`maintain` runs, under an advisory lock (one
maintainer at a time; a second one returns at once):

1. ``ducklake_flush_inlined_data`` for swansync's tables (not the fences: they are replaced by
   every write and stay inlined),
2. ``ducklake_merge_adjacent_files`` (small files -> larger ones; runs beside writers, F10),
3. ``ducklake_expire_snapshots`` older than ``keep`` (the time-travel horizon),
4. ``ducklake_cleanup_old_files``: files only expired snapshots used, once ``orphan_age`` old
   (a reader still on such a snapshot loses them),
5. ``ducklake_delete_orphaned_files`` older than ``orphan_age`` (files of commits that never
   happened, e.g. a worker killed inside its commit, F11). It must exceed the longest write
   transaction: a transaction in flight has files no snapshot names yet.

Superseded versions of keyed rows are not pruned: that needs DELETEs, which would conflict with
every concurrent writer of the table (F2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from swansync.warehouse.lake.warehouse import ALIAS, LakeWarehouse

log = logging.getLogger(__name__)

SCHEMAS = ("main", "_swansync")  # not _swansync_fence


@dataclass
class Maintenance:
    ran: bool  # False: another maintainer holds the lock
    files_before: int = 0
    files_after: int = 0
    snapshots_expired: int = 0
    files_deleted: int = 0
    orphans_deleted: int = 0


def _files(wh: LakeWarehouse) -> int:
    row = wh.con.execute(
        f"SELECT count(*) FROM __ducklake_metadata_{ALIAS}.ducklake_data_file "
        "WHERE end_snapshot IS NULL"
    ).fetchone()
    return int(row[0]) if row else 0


def _count(wh: LakeWarehouse, sql: str) -> int:
    row = wh.con.execute(f"SELECT count(*) FROM {sql}").fetchone()
    return int(row[0]) if row else 0


def _call(wh: LakeWarehouse, sql: str) -> None:
    """One maintenance call in a transaction of its own, redone when its commit conflicts."""
    wh.run_ddl(sql.split("(", 1)[0].removeprefix("CALL "), lambda: wh.con.execute(sql).fetchall())


def _hours(age: timedelta) -> str:
    return f"INTERVAL '{int(age.total_seconds())} seconds'"


def maintain(
    wh: LakeWarehouse,
    *,
    keep: timedelta = timedelta(days=7),
    orphan_age: timedelta = timedelta(days=1),
) -> Maintenance:
    """One maintenance pass over the lake (see the module's description)."""
    with wh.try_global_lock("maintain") as held:
        if not held:
            log.info("another worker is maintaining the lake; left to it")
            return Maintenance(ran=False)
        out = Maintenance(ran=True, files_before=_files(wh))
        for schema in SCHEMAS:
            _call(wh, f"CALL ducklake_flush_inlined_data('{ALIAS}', schema_name => '{schema}')")
        _call(wh, f"CALL ducklake_merge_adjacent_files('{ALIAS}')")
        out.snapshots_expired = _count(
            wh, f"ducklake_expire_snapshots('{ALIAS}', older_than => now() - {_hours(keep)})"
        )
        age = f"older_than => now() - {_hours(orphan_age)}"
        out.files_deleted = _count(wh, f"ducklake_cleanup_old_files('{ALIAS}', {age})")
        out.orphans_deleted = _count(wh, f"ducklake_delete_orphaned_files('{ALIAS}', {age})")
        out.files_after = _files(wh)
    log.info(
        "lake maintained: %d data files -> %d, %d snapshots expired, %d files deleted",
        out.files_before,
        out.files_after,
        out.snapshots_expired,
        out.files_deleted + out.orphans_deleted,
    )
    return out


__all__ = ["Maintenance", "maintain"]
