"""``python -m trackersim.swanlab serve --world small --port 0 [--seed N] [--host H] [-q]
[--hostile | --friendly]``."""

from __future__ import annotations

import argparse
import logging

from trackersim.swanlab.generate import PRESETS
from trackersim.swanlab.serve import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m trackersim.swanlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve a simulated SwanLab cloud until SIGTERM/SIGINT")
    p.add_argument("--world", default="small", choices=PRESETS)
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("-q", "--quiet", action="store_true", help="do not log requests")
    mood = p.add_mutually_exclusive_group()
    mood.add_argument(
        "--hostile",
        dest="hostile",
        action="store_const",
        const=True,
        help="hostile data and wire formats (the default for small)",
    )
    mood.add_argument(
        "--friendly",
        dest="hostile",
        action="store_const",
        const=False,
        help="plain data and wire formats (the default for demo and bench)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.world, args.port, args.seed, host=args.host, quiet=args.quiet, hostile=args.hostile)


if __name__ == "__main__":
    main()
