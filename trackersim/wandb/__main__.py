"""``python -m trackersim.wandb serve --world small --port 0 [--seed N] [--host H] [-q]``."""

from __future__ import annotations

import argparse
import logging

from trackersim.wandb.generate import PRESETS
from trackersim.wandb.serve import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m trackersim.wandb", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve a simulated W&B server until SIGTERM/SIGINT")
    p.add_argument("--world", default="small", choices=PRESETS)
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("-q", "--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.world, args.port, args.seed, host=args.host, quiet=args.quiet)


if __name__ == "__main__":
    main()
