"""The pure-Python config style: ``with read_base(): from .base import *`` and lazy imports."""

from __future__ import annotations

import ast
import copy
import importlib.util
import os
import types
from typing import Any, TypeGuard

from ._config_dict import ConfigDict
from ._errors import ConfigError, ConfigProblem
from ._lazy import LazyAttr, LazyObject, read_base

__all__ = ["is_lazy_config", "load_lazy"]

_CONFIG_MODULES = ("mme.config", "mmengine.config", "mmengine")
_BIND = "__mme_bind_base__"
_LAZY = "__mme_lazy_import__"


def _is_read_base(node: ast.AST) -> TypeGuard[ast.With]:
    if not isinstance(node, ast.With):
        return False
    return any(
        isinstance(item.context_expr, ast.Call)
        and isinstance(item.context_expr.func, (ast.Name, ast.Attribute))
        and (getattr(item.context_expr.func, "id", None) or getattr(item.context_expr.func, "attr", None))
        == "read_base"
        for item in node.items
    )


def _is_base_assign(node: ast.AST) -> bool:
    return isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_base_" for t in node.targets)


def _is_config_import(node: ast.AST) -> bool:
    return isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in _CONFIG_MODULES


def is_lazy_config(tree: ast.Module, filename: str, lazy_import: bool | None, prefer_lazy: bool = False) -> bool:
    """Whether a .py config uses the pure-Python (read_base / lazy import) style.

    Raises:
        ConfigError: The file mixes ``_base_`` with ``read_base()``, or the requested
            ``lazy_import`` contradicts the file.
    """
    from ._loader import is_stdlib

    base_line = next((n.lineno for n in tree.body if _is_base_assign(n)), None)
    with_line = next((n.lineno for n in tree.body if _is_read_base(n)), None)
    if base_line is not None and with_line is not None:
        raise ConfigError(
            f"mixes the two inheritance styles: `_base_ = ...` (line {base_line}) and `with read_base():` "
            f"(line {with_line}); use one of them",
            filename=filename,
            lineno=with_line,
        )
    if lazy_import is False:
        if with_line is not None:
            raise ConfigError(
                "uses `with read_base():`, which needs lazy_import=None or True", filename=filename, lineno=with_line
            )
        return False
    if lazy_import is True:
        if base_line is not None:
            raise ConfigError(
                "uses `_base_ = ...`, which cannot be loaded with lazy_import=True", filename=filename, lineno=base_line
            )
        return True
    if with_line is not None:
        return True
    if base_line is not None:
        return False
    if prefer_lazy:
        return True
    for node in tree.body:
        if isinstance(node, ast.Import) and any(not is_stdlib(a.name) for a in node.names):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and not _is_config_import(node)
            and (node.level or not is_stdlib(node.module or ""))
        ):
            return True
    return False


def _module_file(node: ast.ImportFrom, filename: str, name: str | None) -> str:
    """The config file a read_base import refers to."""
    parts = (node.module.split(".") if node.module else []) + ([name] if name else [])
    if node.level:
        root = os.path.dirname(filename)
        for _ in range(node.level - 1):
            root = os.path.dirname(root)
        return os.path.join(root, *parts) + ".py"
    try:
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise FileNotFoundError(f"package {parts[0]!r} is not installed")
    roots = list(spec.submodule_search_locations or []) or [os.path.dirname(spec.origin or "")]
    # A namespace package has several roots (one per portion): the file is in one of them.
    candidates = [os.path.join(root, *parts[1:]) + ".py" for root in roots]
    return next((c for c in candidates if os.path.isfile(c)), candidates[0])


def _base_bindings(
    node: ast.With,
    filename: str,
    stack: tuple[str, ...],
    use_predefined: bool,
    texts: list,
    env: dict,
    imports: set[str] | None = None,
) -> dict[str, Any]:
    """The names a ``with read_base():`` block binds; ``imports`` collects those that are a
    base's own imports (``from torch.optim import SGD`` there): usable here, no config keys."""
    from ._loader import load_file

    if imports is None:
        imports = set()

    bindings: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for stmt in node.body:
        if not isinstance(stmt, ast.ImportFrom):
            problems.append(
                ConfigProblem(
                    "only `from ... import ...` of config files may appear inside `with read_base():`",
                    filename,
                    stmt.lineno,
                )
            )
            continue
        whole_module = stmt.module is None  # `from . import base` binds the whole file
        targets = [(alias.name, alias.asname) for alias in stmt.names]
        files = [(_safe_path(stmt, filename, n if whole_module else None, problems), n, a) for n, a in targets]
        if not whole_module:
            files = files[:1]
        for path, name, alias in files:
            if path is None:
                continue
            if path in stack:
                chain = " -> ".join(stack[stack.index(path) :] + (path,))
                problems.append(ConfigProblem(f"cyclic read_base() inheritance: {chain}", filename, stmt.lineno))
                continue
            if not os.path.isfile(path):
                problems.append(ConfigProblem(f"base config {path} does not exist", filename, stmt.lineno))
                continue
            loaded = load_file(path, use_predefined_variables=use_predefined, stack=stack, prefer_lazy=True)
            texts += loaded.texts
            env.update(loaded.env_variables)
            if whole_module:
                bindings[alias or name] = loaded.cfg
                continue
            for item, item_alias in targets:
                if item == "*":
                    bindings.update(loaded.imported)
                    imports.update(loaded.imported)
                    bindings.update(dict.items(loaded.cfg))
                    imports.difference_update(dict.keys(loaded.cfg))
                elif item in loaded.cfg:
                    bindings[item_alias or item] = dict.__getitem__(loaded.cfg, item)
                elif item in loaded.imported:
                    bindings[item_alias or item] = loaded.imported[item]
                    imports.add(item_alias or item)
                else:
                    problems.append(
                        ConfigProblem(f"base config {path} does not define {item!r}", filename, stmt.lineno, item)
                    )
    if problems:
        raise ConfigError(problems)
    return bindings


def _safe_path(stmt: ast.ImportFrom, filename: str, name: str | None, problems: list) -> str | None:
    try:
        return os.path.abspath(_module_file(stmt, filename, name))
    except FileNotFoundError as err:
        problems.append(ConfigProblem(f"base config cannot be found: {err}", filename, stmt.lineno))
        return None


def _lazy_assign(target: str, module: str, imported: str | None, node: ast.stmt) -> ast.Assign:
    call = ast.Call(ast.Name(_LAZY, ast.Load()), [ast.Constant(module), ast.Constant(imported)], [])
    return ast.copy_location(ast.Assign([ast.Name(target, ast.Store())], call), node)


def load_lazy(
    tree: ast.Module, filename: str, stack: tuple[str, ...], use_predefined: bool, sub: Any
) -> tuple[ConfigDict, list, dict[str, str], dict[str, Any]]:
    """Run a pure-Python config: bases bound by read_base(), other imports made lazy.

    Returns the config, the texts read, the env variables used and the imported names (the
    file's lazy imports and those its bases' imports it took): they are not config keys, but
    a child's ``from .this import *`` binds them, as in MMEngine.
    """
    from ._loader import execute

    texts: list = []
    env: dict[str, str] = {}
    bindings: list[dict[str, Any]] = []
    imported: dict[int, LazyObject] = {}  # kept alive so that the ids stay unique
    base_imports: set[str] = set()
    body: list[ast.stmt] = []
    for node in tree.body:
        if _is_read_base(node):
            bindings.append(_base_bindings(node, filename, stack, use_predefined, texts, env, base_imports))
            call = ast.Call(ast.Name(_BIND, ast.Load()), [ast.Constant(len(bindings) - 1)], [])
            body.append(ast.copy_location(ast.Expr(call), node))
        elif _is_config_import(node):
            continue  # read_base is provided by the loader
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    body.append(_lazy_assign(alias.asname, alias.name, None, node))
                else:
                    top = alias.name.split(".")[0]
                    body.append(_lazy_assign(top, top, None, node))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise ConfigError(
                    "relative imports are only allowed inside `with read_base():`",
                    filename=filename,
                    lineno=node.lineno,
                )
            for alias in node.names:
                if alias.name == "*":
                    raise ConfigError(
                        "`import *` of a module is only allowed inside `with read_base():`",
                        filename=filename,
                        lineno=node.lineno,
                    )
                body.append(_lazy_assign(alias.asname or alias.name, node.module or "", alias.name, node))
        else:
            body.append(node)

    namespace: dict[str, Any] = {"__file__": filename, "__name__": "__mme_config__", "read_base": read_base}

    def bind(index: int) -> None:
        for key, value in bindings[index].items():
            namespace[key] = copy.deepcopy(value)

    def lazy(module: str, name: str | None) -> LazyObject:
        obj = LazyObject(module, name)
        imported[id(obj)] = obj
        return obj

    namespace[_BIND] = bind
    namespace[_LAZY] = lazy
    execute(ast.fix_missing_locations(ast.Module(body=body, type_ignores=[])), filename, namespace, sub)
    cfg = ConfigDict()
    import_names = _imported_names(tree) | base_imports
    imports_out: dict[str, Any] = {}
    for name, value in namespace.items():
        if name.startswith("__") or name == "read_base":
            continue
        if isinstance(value, (types.ModuleType, types.FunctionType)):
            continue
        if isinstance(value, (LazyObject, LazyAttr)) and name in import_names:
            imports_out[name] = value
            continue
        cfg[name] = value
    return cfg, texts, env, imports_out


def _imported_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not _is_config_import(node):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names
