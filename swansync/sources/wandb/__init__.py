"""Everything Weights & Biases.

``offline/`` reads the run folders the ``wandb`` SDK writes (``wandb/offline-run-*``,
``wandb/run-*``): their ``.wandb`` transaction logs, decoded by a small reader of our own so
that swansync does not depend on the ``wandb`` package at run time. The cloud/server source
(GraphQL) will live beside it in ``cloud/``.
"""
