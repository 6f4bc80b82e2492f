"""The DuckLake warehouse backend: a lake with a PostgreSQL catalog and Parquet files in a
folder or S3, written by many pull workers at once (docs/ducklake.md)."""

from swansync.warehouse.lake.uri import LakeAddress, is_lake_uri, parse
from swansync.warehouse.lake.warehouse import LakeWarehouse

__all__ = ["LakeAddress", "LakeWarehouse", "is_lake_uri", "parse"]
