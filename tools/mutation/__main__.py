"""``python tools/mutation``: see the package docstring."""

import os
import sys

if __package__ in (None, ""):  # run as a folder: make the package importable by its name
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from mutation import main  # noqa: E402

sys.exit(main())
