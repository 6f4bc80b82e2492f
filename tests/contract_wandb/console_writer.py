"""Runs in the real SDK's venv: an offline run that prints to stdout and stderr (a line written in
two pieces, non-ASCII text, CRLF) and logs images (one with a caption, a list of two).

Usage: ``python console_writer.py`` with ``WANDB_MODE=offline`` and ``WANDB_DIR`` set.
"""

from __future__ import annotations

import sys

import numpy as np  # type: ignore[import-not-found]  # only in the SDK venv
import wandb  # type: ignore[import-not-found]

run = wandb.init(project="console-contract", entity="contract", id="console1")
print("hello from stdout", flush=True)
sys.stdout.write("written in ")
sys.stdout.flush()
sys.stdout.write("two pieces\n")
sys.stdout.flush()
print("ünïcode ✓ 训练", flush=True)
print("to stderr", file=sys.stderr, flush=True)
sys.stdout.write("crlf line\r\n")
sys.stdout.flush()
pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
run.log({"sample": wandb.Image(pixels, caption="a caption"), "loss": 1.0}, step=0)
run.log({"pair": [wandb.Image(pixels), wandb.Image(pixels[::-1])], "loss": 0.5}, step=1)
print("last line", flush=True)
run.finish()
