"""Simulated experiment trackers: test oracles for swansync.

Each subpackage serves one tracker's wire protocol from a deterministic world with time, faults
and a truth export (what a perfect mirror holds):

- :mod:`trackersim.swanlab`: the SwanLab cloud OpenAPI.
- :mod:`trackersim.wandb`: the W&B server's GraphQL read API (what ``wandb.Api`` sends).

The simulators never import ``swansync`` and share no code with it: they check it, so they must
not make its assumptions. ``swansync demo`` and ``swansync sim serve`` are the only places the
product starts them.
"""
