"""Config: a config file's dict plus where it came from, with loading, dumping and overrides."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._config_dict import ConfigDict
from ._errors import ConfigError

if TYPE_CHECKING:
    from ._loader import LoadResult

# The loader, merger and formatter are imported when first used, keeping `import mme.config` light.

__all__ = ["Config"]

RESERVED_KEYS = ("filename", "text", "pretty_text", "env_variables")


def _data_plain(value: Any) -> Any:
    """JSON/YAML-safe data: tuples as lists, unknown objects as their repr."""
    if isinstance(value, dict):
        return {k if k is None or isinstance(k, (str, int, float, bool)) else str(k): _data_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_data_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


class Config:
    """A config: a :class:`ConfigDict` with its file name, source text and env variables.

    Items are reachable as attributes and with ``[]`` (``cfg.model.depth``,
    ``cfg["model"]``). Build one with :meth:`fromfile`, :meth:`fromstring` or directly from
    a dict.

    Args:
        cfg_dict: The config's content: a dict or another Config, copied (nested dicts too); a
            ConfigDict is used as it is (changes show in both, as in MMEngine).
        cfg_text: The source text; read from ``filename`` when not given.
        filename: The file the config came from.
        env_variables: Environment variables substituted while reading the file.
        format_python_code: Kept for MMEngine compatibility; mme's formatter is always used.

    Examples:
        >>> cfg = Config(dict(model=dict(type="ResNet", depth=50)))
        >>> cfg.model.depth
        50
        >>> cfg.merge_from_dict({"model.depth": 101})
        >>> print(cfg.pretty_text, end="")
        model = dict(type='ResNet', depth=101)
    """

    def __init__(
        self,
        cfg_dict: Mapping | None = None,
        cfg_text: str | None = None,
        filename: str | os.PathLike | None = None,
        env_variables: dict | None = None,
        format_python_code: bool = True,
    ) -> None:
        if cfg_dict is None:
            cfg_dict = {}
        elif isinstance(cfg_dict, Config):
            cfg_dict = copy.deepcopy(cfg_dict._cfg_dict)
        elif not isinstance(cfg_dict, Mapping):
            raise TypeError(f"cfg_dict must be a dict, got {type(cfg_dict).__name__}")
        reserved = [k for k in RESERVED_KEYS if k in cfg_dict]
        if reserved:
            raise ConfigError(
                f"{', '.join(map(repr, reserved))} is reserved for config objects and cannot be a key", key=reserved[0]
            )
        filename = os.fspath(filename) if filename is not None else None
        if cfg_text is None:
            cfg_text = ""
            if filename is not None and os.path.isfile(filename):
                with open(filename, encoding="utf-8") as f:
                    cfg_text = f.read()
        object.__setattr__(self, "_cfg_dict", cfg_dict if isinstance(cfg_dict, ConfigDict) else ConfigDict(cfg_dict))
        object.__setattr__(self, "_filename", filename)
        object.__setattr__(self, "_text", cfg_text)
        object.__setattr__(self, "_env_variables", dict(env_variables or {}))
        object.__setattr__(self, "_format_python_code", format_python_code)

    # -- construction -------------------------------------------------------------------
    @staticmethod
    def fromfile(
        filename: str | os.PathLike,
        use_predefined_variables: bool = True,
        import_custom_modules: bool = True,
        lazy_import: bool | None = None,
    ) -> Config:
        """Load a .py, .json or .yaml config file with everything it inherits.

        Args:
            filename: The config file.
            use_predefined_variables: Substitute ``{{ fileDirname }}`` and friends.
            import_custom_modules: Import the modules listed in ``custom_imports``.
            lazy_import: Read the file in the pure-Python (``read_base``) style: None
                detects it, True or False forces it.

        Raises:
            ConfigError: The file or a base cannot be read, parsed or merged.
            ImportError: A module in ``custom_imports`` cannot be imported.
        """
        filename = os.fspath(filename)
        from ._loader import load_file

        result = load_file(filename, use_predefined_variables=use_predefined_variables, lazy_import=lazy_import)
        return Config._from_result(result, filename, import_custom_modules)

    @staticmethod
    def fromstring(cfg_str: str, file_format: str) -> Config:
        """Load a config from text in the given format (``".py"``, ``".json"``, ``".yaml"``).

        Nothing is written to disk. Relative ``_base_`` paths are taken from the current
        directory, and predefined file variables are left as they are (there is no file).

        Raises:
            ConfigError: The text cannot be parsed or merged.
        """
        from ._loader import load_text, normalize_suffix

        suffix = normalize_suffix(file_format, "<string>")
        pseudo = os.path.join(os.getcwd(), f"<string>{suffix}")
        result = load_text(cfg_str, suffix, pseudo, use_predefined_variables=False, real_file=False)
        return Config._from_result(result, None, True)

    @staticmethod
    def _from_result(result: LoadResult, filename: str | None, import_custom_modules: bool) -> Config:
        cfg_dict = result.cfg
        custom = dict.get(cfg_dict, "custom_imports")
        if import_custom_modules and custom:
            _import_custom(custom, filename)
        text = "\n".join(f"{name}\n{body}" for name, body in result.texts) if filename else result.texts[-1][1]
        return Config(cfg_dict, cfg_text=text, filename=filename, env_variables=result.env_variables)

    # -- properties ---------------------------------------------------------------------
    @property
    def filename(self) -> str | None:
        """The file the config was loaded from."""
        return self._filename

    @property
    def text(self) -> str:
        """The source text (the file and its bases, each after its name)."""
        return self._text

    @property
    def env_variables(self) -> dict:
        """Environment variables substituted by ``{{$NAME:default}}``, name to value."""
        return self._env_variables

    @property
    def pretty_text(self) -> str:
        """The config as deterministic Python source that parses back to an equal config."""
        from ._format import format_config

        return format_config(self._cfg_dict)

    # -- mapping behaviour --------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(object.__getattribute__(self, "_cfg_dict"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._cfg_dict.__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        self._cfg_dict.__delattr__(name)

    def __getitem__(self, name: Any) -> Any:
        return self._cfg_dict[name]

    def __setitem__(self, name: Any, value: Any) -> None:
        self._cfg_dict[name] = value

    def __delitem__(self, name: Any) -> None:
        del self._cfg_dict[name]

    def __contains__(self, name: object) -> bool:
        return name in self._cfg_dict

    def __len__(self) -> int:
        return len(self._cfg_dict)

    def __iter__(self) -> Iterator:
        return iter(self._cfg_dict)

    def keys(self):
        """The top-level keys."""
        return self._cfg_dict.keys()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return dict.__eq__(self._cfg_dict, other._cfg_dict)
        if isinstance(other, dict):
            return dict.__eq__(self._cfg_dict, other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Config (path: {self._filename}): {dict.__repr__(self._cfg_dict)}"

    # -- copies and pickling ------------------------------------------------------------
    def __getstate__(self) -> tuple:
        return (self._cfg_dict, self._filename, self._text, self._env_variables, self._format_python_code)

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(("_cfg_dict", "_filename", "_text", "_env_variables", "_format_python_code"), state):
            object.__setattr__(self, name, value)

    def __copy__(self) -> Config:
        new = Config.__new__(Config)
        new.__setstate__(
            (self._cfg_dict.copy(), self._filename, self._text, dict(self._env_variables), self._format_python_code)
        )
        return new

    copy = __copy__

    def __deepcopy__(self, memo: dict) -> Config:
        new = Config.__new__(Config)
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        return new

    # -- conversion ---------------------------------------------------------------------
    def to_dict(self, keep_imported: bool = False) -> dict:
        """Plain nested dicts; lazy objects become their dotted import path (nothing is imported).

        ``keep_imported=True`` keeps lazy objects as they are (unbuilt :class:`LazyObject`).
        """
        return self._cfg_dict._to_lazy_dict() if keep_imported else self._cfg_dict.to_dict()

    def _to_lazy_dict(self) -> dict:
        return self._cfg_dict._to_lazy_dict()

    def dump(self, file: str | os.PathLike | None = None) -> str | None:
        """Write the config to ``file`` in the format of its suffix, or return it as text.

        Without ``file`` the format is that of :attr:`filename` (Python when there is none).
        Lazy objects, classes and functions are written as dotted import paths.
        """
        target = os.fspath(file) if file is not None else None
        source = target or self._filename or "config.py"
        from ._format import to_serializable
        from ._loader import normalize_suffix

        suffix = normalize_suffix(os.path.splitext(source)[1] or ".py", source)
        if suffix == ".py":
            text = self.pretty_text
        elif suffix == ".json":
            import json

            text = (
                json.dumps(_data_plain(to_serializable(self._cfg_dict, tuples=False)), indent=4, ensure_ascii=False)
                + "\n"
            )
        else:
            import yaml

            data = _data_plain(to_serializable(self._cfg_dict, tuples=False))
            dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
            text = yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)
        if target is None:
            return text
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        return None

    # -- overrides and comparison -------------------------------------------------------
    def merge_from_dict(
        self, options: Mapping[str, Any], allow_list_keys: bool = True, *, force_new_keys: bool = False
    ) -> None:
        """Merge ``{"a.b.0.c": value}`` overrides (as from ``--cfg-options``) into the config.

        Keys are split on dots; a numeric part indexes an existing list when
        ``allow_list_keys`` is True (out of range is an error); a dict value merges into an
        existing dict (``_delete_=True`` replaces it).

        A key that does not exist yet is added, unless it looks like a typo of a key next to
        it (``randomnes.seed`` when there is ``randomness``): that is an error suggesting the
        existing key. Write ``+`` before the option key (``"+randomnes.seed"``) to add such a
        key anyway, or pass ``force_new_keys=True`` to do so for every option.

        Args:
            options: Dotted keys and their values.
            allow_list_keys: Let numeric key parts index lists and tuples.
            force_new_keys: Add new keys even where they look like typos.

        Raises:
            ConfigError: Listing every override that could not be applied.

        Examples:
            >>> cfg = Config(dict(randomness=dict(seed=0)))
            >>> try:
            ...     cfg.merge_from_dict({"randomnes.seed": 3})
            ... except ConfigError as err:
            ...     print(err)
            key 'randomnes.seed': 'randomnes' is not a key of the config; did you mean 'randomness.seed'? ...
            >>> cfg.merge_from_dict({"randomness.seed": 3, "+randomnes.seed": 1})
            >>> cfg.randomness.seed, cfg.randomnes.seed
            (3, 1)
        """
        from ._merge import merge_options

        merge_options(self._cfg_dict, options, allow_list_keys=allow_list_keys, force_new_keys=force_new_keys)

    @staticmethod
    def diff(cfg1: Config | Mapping | str | os.PathLike, cfg2: Config | Mapping | str | os.PathLike) -> str:
        """A unified diff of the two configs' :attr:`pretty_text` (empty when equal)."""
        import difflib

        def as_config(cfg: Any) -> Config:
            if isinstance(cfg, Config):
                return cfg
            if isinstance(cfg, Mapping):
                return Config(cfg)
            return Config.fromfile(cfg)

        first, second = as_config(cfg1), as_config(cfg2)
        lines = difflib.unified_diff(
            first.pretty_text.splitlines(keepends=True),
            second.pretty_text.splitlines(keepends=True),
            fromfile=first.filename or "cfg1",
            tofile=second.filename or "cfg2",
        )
        return "".join(lines)


Mapping.register(Config)


def _import_custom(custom: Any, filename: str | None) -> None:
    from mme.utils import import_modules_from_strings

    if isinstance(custom, (str, list, tuple)):
        custom = {"imports": custom}
    if not isinstance(custom, dict) or "imports" not in custom:
        raise ConfigError(
            "custom_imports must be a dict with an 'imports' list", filename=filename, key="custom_imports"
        )
    allowed = {"imports", "allow_failed_imports"}
    if set(custom) - allowed:
        raise ConfigError(
            f"unknown custom_imports fields: {sorted(set(custom) - allowed)}", filename=filename, key="custom_imports"
        )
    try:
        import_modules_from_strings(**dict(custom))
    except ImportError as err:
        raise ImportError(f"{filename or '<string>'}: custom_imports failed: {err}") from err
    except TypeError as err:
        raise ConfigError(f"invalid custom_imports: {err}", filename=filename, key="custom_imports.imports") from err
