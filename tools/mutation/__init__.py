"""Mutation testing for mme: how many deliberately broken copies of the code do the tests catch?

Run by hand, never in CI: a target takes from a quarter of an hour to a few hours on 2 cores.

    hatch run mutation:run schedulers hooks        # targets: config registry checkpoint schedulers hooks
    hatch run mutation:run hooks --module _ema     # only the files whose path contains '_ema'
    hatch run mutation:run hooks --match _better   # only the mutants whose key contains '_better'
    hatch run mutation:run hooks -j 2              # two mutants at a time
    hatch run mutation:run --list                  # the targets, their files and their tests
    hatch run mutation:run schedulers --dry-run -v # list the mutants without running anything

(``hatch run test:python tools/mutation ...`` runs the same in the test env.) It is our own small
tool rather than mutmut or cosmic-ray: mutmut 3 runs the tests from a copy of the project in a
``mutants/`` folder and needs the code imported from that copy, which editable installs of eight
src folders sharing the PEP 420 namespace ``mme`` do not give; cosmic-ray writes each mutant into
the source file. This tool writes nothing into the working tree, which several people edit at
once, and needs nothing beyond the test env.

Each target names the source files to mutate and the test files or folders that test them. A run
goes in three steps:

1. Coverage: the target's tests run once on the unmutated code under a line tracer, which records
   for each test the lines of the target files it executes (also in the worker processes that the
   tests start, through ``site/sitecustomize.py``). A test that fails here is left out, with a
   warning.
2. Mutants: every file is parsed and each mutation operator applied to each node that fits, one
   change per mutant: comparison swaps (``<`` to ``<=``, ``==`` to ``!=``, ``in`` to ``not in``,
   ``is`` to ``is not``), arithmetic swaps (``+`` to ``-``, ``*`` to ``/``, ...), ``and`` to
   ``or``, dropped ``not`` and unary minus, constants (numbers + 1, booleans flipped, strings
   changed), ``return x`` to ``return None``, statements replaced by ``pass``, conditions negated,
   ``if`` guards made always true, loops made to iterate over nothing, ``break`` and ``continue``
   swapped. Docstrings (and ``__doc__ =``), annotations, imports, ``__all__``, decorators,
   ``TYPE_CHECKING`` blocks, error and log message texts and lines marked
   ``# pragma: no mutate`` are left alone.
3. Runs: for each mutant a child process forked from this one (which has imported torch, pytest
   and the mme packages that do not import the target already) installs an import hook that
   compiles the mutated tree in place of the module, and runs with ``pytest -x`` the tests that
   cover the mutated lines, fastest first. A change at module or class level takes effect at
   import: it runs first with the tests that use the file, and if it survives those, with all
   the target's other tests. Nothing is written into the source tree. A mutant is killed when a
   test fails or the run errors, survives when they all pass, and times out (counted as killed)
   when the run takes longer than ``--timeout-factor`` times the tests' traced duration plus 30
   seconds. A mutant in a line no test executes survives without running ("nocov").

The score of a module is killed / (mutants - equivalent). Equivalent mutants, which no test can
tell from the original, are listed in ``tools/mutation/equivalents.txt``, one key per line as
printed for a survivor, followed by `` ## `` and why. A JSON report of each run goes to
``work_dirs/mutation/``.
"""

from __future__ import annotations

__all__ = ["bootstrap_subprocess", "main"]


def bootstrap_subprocess() -> None:
    """Install the mutant, or the line tracer, in a process the tests started (see site/)."""
    from ._trace import bootstrap_subprocess as bootstrap

    bootstrap()


def main(argv: list[str] | None = None) -> int:
    """The command line (``python tools/mutation``)."""
    from ._cli import main as cli

    return cli(argv)
