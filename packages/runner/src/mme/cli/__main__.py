"""``python -m mme.cli``: the same as the ``mme`` console script (used under torchrun)."""

from __future__ import annotations

import sys

from mme.cli import main

if __name__ == "__main__":
    sys.exit(main())
