"""Statistics over registry trees: ``traverse_registry_tree`` and ``count_registered_modules``."""

from __future__ import annotations

import logging
import os
from typing import Any

from mme.utils import mkdir_or_exist

from . import _root
from ._registry import Registry

__all__ = ["count_registered_modules", "traverse_registry_tree"]

logger = logging.getLogger(__name__)


def traverse_registry_tree(registry: Registry, verbose: bool = True) -> list[dict[str, Any]]:
    """Collect what every registry of ``registry``'s tree holds, from the root down (depth first).

    Args:
        registry: Any registry of the tree.
        verbose: Log a line per registry at INFO level.

    Returns:
        One dict per registry: ``num_modules``, ``scope``, ``name``, and for each folder of
        the registered objects' modules (``'mme/runner'``) the list of names from there.
    """
    modules_info: list[dict[str, Any]] = []

    def _visit(node: Registry) -> None:
        info: dict[str, Any] = {"num_modules": len(node.module_dict), "scope": node.scope, "name": node.name}
        for key, obj in node.module_dict.items():
            folder = "/".join(str(getattr(obj, "__module__", "") or "").split(".")[:-1])
            info.setdefault(folder, []).append(key)
        if verbose:
            logger.info("found %d modules in %s's %r registry", len(node.module_dict), node.scope, node.name)
        modules_info.append(info)
        for child in node.children.values():
            _visit(child)

    _visit(registry.root)
    return modules_info


def count_registered_modules(save_path: str | None = None, verbose: bool = True) -> dict[str, Any]:
    """Traverse the trees of all root registries of ``mme.registry``.

    Args:
        save_path: Folder to write ``modules_statistic_results.json`` into; None writes nothing.
        verbose: Log the results at INFO level.

    Returns:
        ``{'scan_date': 'YYYYmmddHHMMSS', 'registries': {'MODELS': [...], ...}}`` with the
        lists :func:`traverse_registry_tree` returns.
    """
    import datetime  # only needed here; keeps `import mme.registry` light
    import json

    registries_info = {
        attr: traverse_registry_tree(value, verbose)
        for attr, value in sorted(vars(_root).items())
        if isinstance(value, Registry)
    }
    scan_data = {
        "scan_date": datetime.datetime.now().strftime("%Y%m%d%H%M%S"),
        "registries": registries_info,
    }
    if verbose:
        logger.info("finished the registry analysis: %s", scan_data)
    if save_path is not None:
        mkdir_or_exist(save_path)
        json_path = os.path.join(save_path, "modules_statistic_results.json")
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(scan_data, f, indent=2)
        logger.info("saved the registry analysis to %s", json_path)
    return scan_data
