"""Reading a config file (and its bases) into a ConfigDict."""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import sys
import types
import warnings
from typing import TYPE_CHECKING, Any

from ._config_dict import ConfigDict
from ._errors import ConfigError, ConfigFileNotFoundError, ConfigProblem
from ._merge import merge_into
from ._template import BASE_REF_FUNC, find_tokens, lookup, resolve_base_refs, substitute

if TYPE_CHECKING:
    import ast

__all__ = ["LoadResult", "load_file", "load_text"]

BASE_KEY = "_base_"
DEPRECATION_KEY = "_deprecation_"
SUFFIXES = (".py", ".json", ".yaml", ".yml")
# ``_base_`` used other than in its own assignment (a false positive only costs a copy).
_BASE_USE = re.compile(r"\b_base_\b(?!\s*=[^=])")


class LoadResult:
    """A loaded config: its dict, the texts it was read from and the env variables used."""

    def __init__(self, cfg: ConfigDict, texts: list | None = None, env_variables: dict | None = None) -> None:
        self.cfg = cfg
        self.texts: list[tuple[str, str]] = texts if texts is not None else []
        self.env_variables: dict[str, str] = env_variables if env_variables is not None else {}
        # A pure-Python config's imported names (not config keys; `from .base import *` binds them).
        self.imported: dict[str, Any] = {}


def normalize_suffix(file_format: str, filename: str | None = None) -> str:
    suffix = file_format if file_format.startswith(".") else f".{file_format}"
    suffix = suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(
            f"unsupported config format {file_format!r}; use one of {', '.join(SUFFIXES)}", filename=filename
        )
    return suffix


def load_file(
    filename: str | os.PathLike,
    *,
    use_predefined_variables: bool = True,
    lazy_import: bool | None = None,
    stack: tuple[str, ...] = (),
    prefer_lazy: bool = False,
) -> LoadResult:
    """Load one config file with everything it inherits.

    ``prefer_lazy`` (files imported inside ``read_base()``): read a .py file in the
    pure-Python style unless it uses ``_base_``.

    Raises:
        ConfigError: The file or one of its bases cannot be read, parsed or merged.
    """
    path = os.path.abspath(os.fspath(filename))
    suffix = normalize_suffix(os.path.splitext(path)[1] or "<none>", path)
    if not os.path.isfile(path):
        raise ConfigFileNotFoundError("config file does not exist", filename=path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return load_text(
        text,
        suffix,
        path,
        use_predefined_variables=use_predefined_variables,
        lazy_import=lazy_import,
        stack=stack,
        prefer_lazy=prefer_lazy,
    )


def load_text(
    text: str,
    suffix: str,
    filename: str,
    *,
    use_predefined_variables: bool = True,
    lazy_import: bool | None = None,
    stack: tuple[str, ...] = (),
    real_file: bool = True,
    prefer_lazy: bool = False,
) -> LoadResult:
    """Load config text as if it were the file ``filename`` (used by ``fromstring`` too)."""
    sub = substitute(text, filename if real_file else None, use_predefined_variables, python=suffix == ".py")
    stack = stack + (filename,)
    tree = None
    if suffix == ".py":
        tree = _parse_python(sub.text, filename, sub)
        from ._lazy_loader import is_lazy_config, load_lazy

        if is_lazy_config(tree, filename, lazy_import, prefer_lazy):
            if sub.base_refs:
                line = next(iter(sub.base_refs.values()))[1]
                raise ConfigError(
                    "{{_base_.*}} references cannot be used in a read_base() config", filename=filename, lineno=line
                )
            cfg, texts, env, imported = load_lazy(tree, filename, stack, use_predefined_variables, sub)
            _check_missing_env(cfg, sub, filename)
            result = LoadResult(cfg, texts + [(filename, text)], {**env, **sub.env_variables})
            result.imported = imported
            return _finish(result, filename)
        base_files, base_line = _python_bases(tree, filename)
        raw = None
    else:
        raw = _parse_data(sub.text, suffix, filename, sub)
        base_files = raw.pop(BASE_KEY, [])
        base_line = None

    base = _load_bases(base_files, base_line, filename, stack, use_predefined_variables)
    if tree is not None:
        raw = _run_python(tree, filename, base.cfg, sub, uses_base=bool(_BASE_USE.search(sub.text)))
    if raw is None:  # unreachable: a .py file has a tree, other formats raw data
        raise ConfigError("nothing was parsed", filename=filename)
    _check_missing_env(raw, sub, filename)
    cfg = base.cfg
    if tree is not None and BASE_KEY in raw:
        # The file's own copy of the bases, as its assignments through `_base_` left it
        # (`_base_.model.head.num_classes = 10` changes the inherited value, as in MMEngine).
        # Copied again so that the file's values do not share objects with it.
        cfg = copy.deepcopy(raw.pop(BASE_KEY))
    if sub.base_refs:
        problems: list[ConfigProblem] = []
        resolve_base_refs(raw, sub.base_refs, cfg, filename, problems)
        if problems:
            raise ConfigError(problems)
    raw.pop(BASE_KEY, None)
    try:
        merge_into(
            cfg, {k: v for k, v in raw.items() if not (isinstance(k, str) and k.startswith("__"))}, filename=filename
        )
    except ConfigError as err:
        if tree is None:
            raise
        lines = _assignment_lines(tree)
        located = [
            ConfigProblem(p.message, p.filename, p.lineno or lines.get((p.key or "").split(".")[0]), p.key)
            for p in err.problems
        ]
        raise ConfigError(located) from None
    env = {**base.env_variables, **sub.env_variables}
    return _finish(LoadResult(cfg, base.texts + [(filename, text)], env), filename)


def _finish(result: LoadResult, filename: str) -> LoadResult:
    deprecation = dict.pop(result.cfg, DEPRECATION_KEY, None)
    if deprecation is not None:
        expected = deprecation.get("expected") if isinstance(deprecation, dict) else None
        reference = deprecation.get("reference") if isinstance(deprecation, dict) else None
        message = f"The config file {filename} will be deprecated in the future."
        if expected:
            message += f" Please use {expected} instead."
        if reference:
            message += f" More information can be found at {reference}"
        warnings.warn(message, DeprecationWarning, stacklevel=2)
    return result


def _parse_python(text: str, filename: str, sub: Any) -> ast.Module:
    import ast

    try:
        return ast.parse(text, filename=filename)
    except SyntaxError as err:
        if sub.missing_env:
            _raise_missing_env(sub, filename, [])
        message = f"invalid Python syntax: {err.msg}"
        if err.text and err.text.strip():
            message += f": {err.text.strip()!r}"
        raise ConfigError(message, filename=filename, lineno=err.lineno) from err


def _parse_data(text: str, suffix: str, filename: str, sub: Any) -> dict:
    from ._data import load_json, load_yaml

    try:
        data = load_json(text, filename) if suffix == ".json" else load_yaml(text, filename)
    except ConfigError:  # a key repeated in one mapping
        raise
    except Exception as err:  # json.JSONDecodeError, yaml.YAMLError
        if sub.missing_env:
            _raise_missing_env(sub, filename, [])
        line = getattr(err, "lineno", None)
        mark = getattr(err, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        raise ConfigError(f"invalid {suffix[1:].upper()}: {err}", filename=filename, lineno=line) from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"the top level must be a mapping, not {type(data).__name__}", filename=filename)
    return data


def _raise_missing_env(sub: Any, filename: str, keys: list[tuple[str, str]]) -> None:
    where = {token: key for token, key in keys}
    problems = [
        ConfigProblem(
            f"environment variable ${name} is not set and {{{{${name}}}}} gives no default",
            filename,
            line,
            where.get(token),
        )
        for token, (name, line) in sub.missing_env.items()
    ]
    raise ConfigError(problems)


def _check_missing_env(cfg: Any, sub: Any, filename: str) -> None:
    if sub.missing_env:
        _raise_missing_env(sub, filename, find_tokens(cfg, sub.missing_env))


def _python_bases(tree: ast.Module, filename: str) -> tuple[Any, int | None]:
    import ast

    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == BASE_KEY for t in node.targets):
            try:
                return ast.literal_eval(node.value), node.lineno
            except ValueError as err:
                raise ConfigError(
                    f"{BASE_KEY} must be a string or a list of strings literal",
                    filename=filename,
                    lineno=node.lineno,
                    key=BASE_KEY,
                ) from err
    return [], None


def _assignment_lines(tree: ast.Module) -> dict[str, int]:
    """Line of the last top-level assignment of each name in a .py config."""
    import ast

    lines: dict[str, int] = {}
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, (ast.AnnAssign, ast.AugAssign))
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name):
                lines[target.id] = node.lineno
    return lines


def resolve_base_path(base: str, filename: str) -> str:
    """Return the absolute path of a base: relative to ``filename`` or ``pkg::path``."""
    if "::" in base:
        package, _, rel = base.partition("::")
        try:
            spec = importlib.util.find_spec(package) if package else None
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            raise FileNotFoundError(f"package {package!r} is not installed")
        roots = list(spec.submodule_search_locations or []) or [os.path.dirname(spec.origin or "")]
        for root in roots:
            for candidate in (
                os.path.join(root, rel),
                os.path.join(root, ".mim", "configs", rel),
                os.path.join(root, "configs", rel),
            ):
                if os.path.isfile(candidate):
                    return os.path.abspath(candidate)
        raise FileNotFoundError(f"{rel!r} is not in package {package!r} (looked under {', '.join(roots)})")
    return os.path.abspath(os.path.join(os.path.dirname(filename), os.path.expanduser(base)))


def _load_bases(
    base_files: Any, line: int | None, filename: str, stack: tuple[str, ...], use_predefined: bool
) -> LoadResult:
    if isinstance(base_files, str):
        base_files = [base_files]
    if not isinstance(base_files, (list, tuple)) or not all(isinstance(b, str) for b in base_files):
        raise ConfigError(
            f"{BASE_KEY} must be a string or a list of strings, got {base_files!r}",
            filename=filename,
            lineno=line,
            key=BASE_KEY,
        )
    paths, problems = [], []
    for base in base_files:
        try:
            path = resolve_base_path(base, filename)
        except FileNotFoundError as err:
            problems.append(ConfigProblem(f"base config {base!r} cannot be found: {err}", filename, line, BASE_KEY))
            continue
        if path in stack:
            chain = " -> ".join(stack[stack.index(path) :] + (path,))
            problems.append(ConfigProblem(f"cyclic {BASE_KEY} inheritance: {chain}", filename, line, BASE_KEY))
        elif not os.path.isfile(path):
            problems.append(
                ConfigProblem(f"base config {base!r} does not exist (resolved to {path})", filename, line, BASE_KEY)
            )
        else:
            paths.append(path)
    if problems:
        raise ConfigError(problems)
    combined = LoadResult(ConfigDict())
    owner: dict[str, str] = {}
    for path in paths:
        loaded = load_file(path, use_predefined_variables=use_predefined, stack=stack)
        key: Any
        for key in dict.keys(loaded.cfg):
            if key in owner:
                problems.append(
                    ConfigProblem(
                        f"defined in two bases of this file: {owner[key]} and {path}", filename, line, str(key)
                    )
                )
            else:
                owner[key] = path
                dict.__setitem__(combined.cfg, key, dict.__getitem__(loaded.cfg, key))
        combined.texts += loaded.texts
        combined.env_variables.update(loaded.env_variables)
    if problems:
        raise ConfigError(problems)
    return combined


def _run_python(tree: ast.Module, filename: str, base: ConfigDict, sub: Any, uses_base: bool = True) -> dict:
    import ast

    body = [
        node
        for node in tree.body
        if not (
            isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == BASE_KEY for t in node.targets)
        )
    ]
    module = ast.Module(body=body, type_ignores=[])

    def base_ref(token: str) -> Any:
        dotted, line = sub.base_refs[token]
        try:
            return copy.deepcopy(lookup(base, dotted))
        except KeyError as err:
            message = f"{{{{_base_.{dotted}}}}} refers to '{err.args[0]}', which the bases do not define"
            raise ConfigError(message, filename=filename, lineno=line, key=f"_base_.{dotted}") from None

    namespace: dict[str, Any] = {
        "__file__": filename,
        "__name__": "__mme_config__",
        # Only a file that reads ``_base_`` needs its own copy of the bases.
        BASE_KEY: copy.deepcopy(base) if uses_base else ConfigDict(),
        BASE_REF_FUNC: base_ref,
    }
    execute(module, filename, namespace, sub)
    raw = {
        name: value
        for name, value in namespace.items()
        if not name.startswith("__")
        and name != BASE_KEY
        and not isinstance(value, (types.ModuleType, types.FunctionType))
    }
    if uses_base:
        raw[BASE_KEY] = namespace[BASE_KEY]
    return raw


def execute(module: ast.Module, filename: str, namespace: dict, sub: Any) -> None:
    """Run a config module, turning any exception into a ConfigError at its line."""
    try:
        exec(compile(module, filename, "exec"), namespace)  # noqa: S102 - running config files is the point
    except Exception as err:
        if sub.missing_env:
            _raise_missing_env(sub, filename, [])
        if isinstance(err, ConfigError):
            raise
        line = None
        tb = err.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == filename:
                line = tb.tb_lineno
            tb = tb.tb_next
        raise ConfigError(
            f"executing the config failed: {type(err).__name__}: {err}", filename=filename, lineno=line
        ) from err


def is_stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names
