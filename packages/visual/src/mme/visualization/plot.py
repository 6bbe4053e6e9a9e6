"""Command line: plot training curves from LocalVisBackend's scalars files.

Usage::

    python -m mme.visualization.plot WORK_DIR [WORK_DIR ...] --keys loss lr --out curves.png

The ``mme logs plot`` command of mme-runner calls ``main`` (or ``plot_curves``) the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._errors import ScalarsFileError
from ._plot import LAYOUTS, plot_curves

__all__ = ["add_arguments", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the plot arguments to ``parser`` (so another CLI can host this as a sub-command)."""
    parser.add_argument(
        "sources", nargs="+", metavar="WORK_DIR", help="work dir, run dir or scalars.json of each run to plot"
    )
    parser.add_argument("--keys", nargs="+", required=True, help="scalar names to plot, e.g. loss lr")
    parser.add_argument("--out", default="curves.png", help="output image (default: curves.png)")
    parser.add_argument("--legend", nargs="+", default=None, help="one legend name per run")
    parser.add_argument("--x-key", default="step", help="field used as the x axis (default: step)")
    parser.add_argument(
        "--layout", choices=LAYOUTS, default="subplots", help="one subplot per key (default) or all curves in one axes"
    )
    parser.add_argument("--title", default=None, help="figure title")
    parser.add_argument("--dpi", type=int, default=100, help="image resolution (default: 100)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Plot from parsed arguments; returns the exit status (2 on a bad source or key)."""
    try:
        out = plot_curves(
            args.sources,
            args.keys,
            args.out,
            labels=args.legend,
            x_key=args.x_key,
            layout=args.layout,
            title=args.title,
            dpi=args.dpi,
        )
    except (ScalarsFileError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(f"{out}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mme.visualization.plot``."""
    parser = argparse.ArgumentParser(
        prog="python -m mme.visualization.plot", description="Plot training curves from scalars.json files."
    )
    return run(add_arguments(parser).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
