"""The SwanLab OpenAPI source (cloud or self-hosted).

Citations in this package -- "spec 3.4", "(U9)" -- name sections and open uncertainties (section
11) of the wire-protocol notes in ``docs/protocols/swanlab-openapi.md``.
"""
