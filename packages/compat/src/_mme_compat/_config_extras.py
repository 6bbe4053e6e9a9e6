"""MMEngine's config and registry constants and helpers that mme's own layers have no use for.

They exist for code that imports them from MMEngine's modules (``mmengine.config.config``,
``mmengine.config.utils``, ``mmengine.registry.registry``); mme's config layer itself names the
same keys in its private modules.
"""

from __future__ import annotations

import argparse
import ast
import os.path as osp
import sys

from mme.config import ConfigError

__all__ = [
    "BASE_KEY",
    "DELETE_KEY",
    "DEPRECATION_KEY",
    "MODULE2PACKAGE",
    "PKG2PROJECT",
    "PYTHON_ROOT_DIR",
    "RESERVED_KEYS",
    "SYSTEM_PYTHON_PREFIX",
    "ConfigParsingError",
    "RemoveAssignFromAST",
    "add_args",
]

#: The key that names a config's base files.
BASE_KEY = "_base_"
#: A dict holding this key replaces the inherited dict instead of merging into it.
DELETE_KEY = "_delete_"
#: The key of a deprecated config's message.
DEPRECATION_KEY = "_deprecation_"
#: Attribute names of ``Config`` that cannot be config keys.
RESERVED_KEYS = ["filename", "text", "pretty_text", "env_variables"]

#: mme raises ``ConfigError`` (file, line and key path in the message) for every config that cannot
#: be parsed: MMEngine code catching ``ConfigParsingError`` catches it.
ConfigParsingError = ConfigError

#: OpenMMLab scopes (as in ``default_scope``) and the importable package of each.
MODULE2PACKAGE = {
    "mmcls": "mmcls", "mmdet": "mmdet", "mmdet3d": "mmdet3d", "mmseg": "mmsegmentation", "mmaction": "mmaction2",
    "mmtrack": "mmtrack", "mmpose": "mmpose", "mmedit": "mmedit", "mmocr": "mmocr", "mmgen": "mmgen",
    "mmfewshot": "mmfewshot", "mmrazor": "mmrazor", "mmflow": "mmflow", "mmhuman3d": "mmhuman3d",
    "mmrotate": "mmrotate", "mmselfsup": "mmselfsup", "mmyolo": "mmyolo", "mmpretrain": "mmpretrain",
    "mmagic": "mmagic",
}
#: Importable package names and the distribution (project) that installs each.
PKG2PROJECT = {
    "mmcv": "mmcv", "mmcls": "mmcls", "mmdet": "mmdet", "mmdet3d": "mmdet3d", "mmseg": "mmsegmentation",
    "mmaction2": "mmaction2", "mmtrack": "mmtrack", "mmpose": "mmpose", "mmedit": "mmedit", "mmocr": "mmocr",
    "mmgen": "mmgen", "mmfewshot": "mmfewshot", "mmrazor": "mmrazor", "mmflow": "mmflow",
    "mmhuman3d": "mmhuman3d", "mmrotate": "mmrotate", "mmselfsup": "mmselfsup", "mmyolo": "mmyolo",
    "mmpretrain": "mmpretrain", "mmagic": "mmagic",
}
#: The root of this Python installation (what ``sys.executable`` lies under).
PYTHON_ROOT_DIR = osp.dirname(osp.dirname(sys.executable))
#: Where a system Python keeps its standard library on Linux.
SYSTEM_PYTHON_PREFIX = "/usr/lib/python"


class RemoveAssignFromAST(ast.NodeTransformer):
    """Remove the assignments to the variable ``key`` from a module's AST.

    Examples:
        >>> tree = RemoveAssignFromAST('_base_').visit(ast.parse("_base_ = ['a.py']\\nx = 1"))
        >>> ast.unparse(tree)
        'x = 1'
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def visit_Assign(self, node: ast.Assign) -> ast.AST | None:  # noqa: N802 - ast's visitor naming
        """Drop ``key = ...``; keep every other assignment."""
        if any(isinstance(t, ast.Name) and t.id == self.key for t in node.targets):
            return None
        return node


def add_args(parser: argparse.ArgumentParser, cfg: dict, prefix: str = "") -> argparse.ArgumentParser:
    """Add a ``--<prefix><key>`` option to ``parser`` for every leaf of the dict ``cfg``.

    Strings, numbers and booleans (a flag) become options of that type, lists and tuples
    ``nargs='+'`` options of their first element's type, and dicts recurse with ``<key>.`` added
    to the prefix. Other values (``None``, objects) are skipped with a warning printed.

    Examples:
        >>> p = add_args(argparse.ArgumentParser(), dict(lr=0.1, model=dict(depth=18)))
        >>> vars(p.parse_args(['--lr', '0.5', '--model.depth', '50']))
        {'lr': 0.5, 'model.depth': 50}
    """
    for key, value in cfg.items():
        option = f"--{prefix}{key}"
        if isinstance(value, bool):
            parser.add_argument(option, action="store_true")
        elif isinstance(value, (str, int, float)):
            parser.add_argument(option, type=type(value))
        elif isinstance(value, dict):
            add_args(parser, value, f"{prefix}{key}.")
        elif isinstance(value, (list, tuple)) and value:
            parser.add_argument(option, type=type(value[0]), nargs="+")
        else:
            print(f"add_args: cannot parse the key {prefix}{key} of type {type(value).__name__}")
    return parser
