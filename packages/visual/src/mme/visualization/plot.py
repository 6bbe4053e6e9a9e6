"""Command line: plot training curves from LocalVisBackend's scalars files.

Usage::

    python -m mme.visualization.plot WORK_DIR [WORK_DIR ...] --keys loss lr --out curves.png

``mme logs plot`` (mme-runner) is the same command: it adds these arguments with
``add_arguments`` and runs them with ``run``, so both take identical flags.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._errors import ScalarsFileError
from ._plot import LAYOUTS, plot_curves

__all__ = ["DESCRIPTION", "add_arguments", "build_parser", "main", "run"]

DESCRIPTION = (
    "Plot logged scalars (scalars.json) to an image, one curve per run. A work dir is one run: "
    "the segments of a resumed training are joined, the newer segment winning where they overlap."
)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the plot arguments to ``parser`` (so another CLI can host this as a sub-command)."""
    parser.add_argument(
        "sources", nargs="+", metavar="WORK_DIR", help="work dir, run folder or scalars.json of each run to plot"
    )
    parser.add_argument("--keys", nargs="+", required=True, help="scalar names to plot, e.g. loss lr accuracy")
    parser.add_argument(
        "--out", default="curves.png", help="output image; its suffix picks the format (default: curves.png)"
    )
    parser.add_argument("--labels", "--legend", nargs="+", default=None, help="legend name of each run")
    parser.add_argument(
        "--x-key",
        default="step",
        help="record field used as the x axis (default: step, named iteration or epoch after what was logged)",
    )
    parser.add_argument(
        "--layout", choices=LAYOUTS, default="subplots", help="one subplot per key (default) or all curves in one axes"
    )
    parser.add_argument("--title", default=None, help="figure title")
    parser.add_argument("--dpi", type=int, default=100, help="image resolution (default: 100)")
    return parser


def build_parser(prog: str = "python -m mme.visualization.plot") -> argparse.ArgumentParser:
    """The parser of ``python -m mme.visualization.plot``."""
    return add_arguments(argparse.ArgumentParser(prog=prog, description=DESCRIPTION))


def run(args: argparse.Namespace) -> int:
    """Plot from parsed arguments and print the image path; returns 2 on a bad source or key."""
    try:
        out = plot_curves(
            args.sources,
            args.keys,
            args.out,
            labels=args.labels,
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
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
