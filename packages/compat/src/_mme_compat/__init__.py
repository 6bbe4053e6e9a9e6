"""mme-compat: ``import mmengine`` and MMEngine's module paths resolve to mme's objects.

The wheel's ``mme_compat.pth`` calls :func:`_startup` at interpreter start, which puts the import
hook first in ``sys.meta_path`` unless ``MME_COMPAT=0`` (or ``false``/``no``/``off``) is set. The
hook outranks an installed MMEngine, which downstream wheels pull in as a dependency; the switch
is also read at the first ``import mmengine``, so setting it in ``os.environ`` before that works.
This package imports only ``os`` and ``sys`` until ``mmengine`` is imported: it is loaded by every
interpreter of the environment.

:func:`install` and :func:`uninstall` do the same by hand, e.g. where ``.pth`` files are not read
(``python -S``, a ``pip install --target`` folder on ``PYTHONPATH``).
"""

from __future__ import annotations

import sys

from ._finder import MMEngineFinder, enabled
from .version import __version__

__all__ = ["__version__", "enabled", "install", "uninstall"]


def install() -> None:
    """Put the import hook first in ``sys.meta_path`` (again, if something was put before it)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, MMEngineFinder)]
    sys.meta_path.insert(0, MMEngineFinder())


def uninstall() -> None:
    """Remove the import hook and forget the ``mmengine`` modules it created."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, MMEngineFinder)]
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if spec is not None and isinstance(spec.loader, MMEngineFinder):
            del sys.modules[name]


def _startup() -> None:
    """Called by ``mme_compat.pth`` at interpreter start."""
    if enabled():
        install()
