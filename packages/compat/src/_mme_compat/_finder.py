"""The import hook that serves ``import mmengine`` from mme-compat, first in ``sys.meta_path``.

``MMEngineFinder`` answers for ``mmengine`` and its submodules only: each module path of
MMEngine's public tree becomes a ``_modules.CompatModule``; any other ``mmengine.*`` module is
refused with ModuleNotFoundError, so that an installed MMEngine never mixes its modules into mme's.
Every other import passes by after one string comparison.

The ``.pth`` file imports this module in every interpreter of the environment, so it imports
nothing at module level beyond ``os`` and ``sys`` (and is not an ``importlib.abc`` subclass:
that import alone costs about 30 ms); the tree loads on the first ``import mmengine``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # `typing` costs milliseconds at every interpreter start; type checkers see True
if TYPE_CHECKING:
    import types
    from importlib.machinery import ModuleSpec
    from typing import Any

ROOT = "mmengine"
SWITCH = "MME_COMPAT"
_OFF = {"0", "false", "no", "off"}


def enabled() -> bool:
    """Whether ``MME_COMPAT`` lets mme-compat serve ``import mmengine`` (on unless 0/false/no/off)."""
    return os.environ.get(SWITCH, "1").strip().lower() not in _OFF


class MMEngineFinder:
    """Meta path finder and loader for MMEngine's module tree, by protocol rather than subclass."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname != ROOT and not fullname.startswith(ROOT + "."):
            return None
        from importlib.machinery import ModuleSpec

        from ._modules import TREE, CompatModule

        if fullname == ROOT:
            if not enabled():
                return None
        elif not isinstance(sys.modules.get(ROOT), CompatModule):
            return None  # an MMEngine imported while mme-compat was off keeps its own submodules
        if fullname not in TREE.sources:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: mme-compat provides MMEngine's public modules only "
                f"(set {SWITCH}=0 to use an installed MMEngine instead)",
                name=fullname,
            )
        loader: Any = self  # a Loader by protocol, not an importlib.abc.Loader subclass (see the docstring)
        spec = ModuleSpec(fullname, loader, origin=TREE.origin, is_package=bool(TREE.children[fullname]))
        spec.has_location = True  # __file__ points at the tree that defines the module
        return spec

    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        from ._modules import CompatModule

        return CompatModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        from ._modules import init_module

        init_module(module)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} serving {ROOT!r} from mme>"
