"""The SwanLab OpenAPI source (cloud or self-hosted)."""
