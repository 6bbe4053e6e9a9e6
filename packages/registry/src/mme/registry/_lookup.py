"""What a failed registry lookup says: close matches, where it searched, why an import failed."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ._errors import NotRegisteredError

if TYPE_CHECKING:  # only for annotations; same wheel
    from ._registry import Registry

_MAX_LISTED = 30


def close_matches(key: str, names: Iterable[str], n: int = 3) -> tuple[str, ...]:
    """Registered names close to ``key``: case-insensitive equals first, then difflib's picks."""
    import difflib  # only needed when a lookup fails; keeps `import mme.registry` light

    names = sorted(set(names))
    exact = [name for name in names if name.lower() == key.lower() and name != key]
    fuzzy = difflib.get_close_matches(key, names, n=n, cutoff=0.6)
    out: list[str] = []
    for name in exact + fuzzy:
        if name not in out and name != key:
            out.append(name)
    return tuple(out[:n])


def explain_dotted_path(path: str) -> str:
    """Say why ``path`` does not import as ``package.module.attribute``."""
    parts = path.split(".")
    for end in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:end])
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            missing = err.name or ""
            if missing == module_name or module_name.startswith(missing + "."):
                continue  # this prefix is not a module; try a shorter one
            return f"importing module {module_name!r} failed: {type(err).__name__}: {err}"
        except Exception as err:  # noqa: BLE001 - reported, not swallowed: the lookup fails anyway
            return f"importing module {module_name!r} failed: {type(err).__name__}: {err}"
        rest = ".".join(parts[end:])
        return f"module {module_name!r} imports but has no attribute {rest!r}"
    return f"there is no module {parts[0]!r} to import"


def not_registered_error(
    registry: Registry,
    key: str,
    searched: Sequence[Registry],
    notes: Sequence[str] = (),
) -> NotRegisteredError:
    """Build the error for a key that no searched registry holds and that does not import."""
    scope, real_key = registry.split_scope_key(key)
    names = [name for reg in searched for name in reg.module_dict]
    suggestions = close_matches(real_key, names)
    lines = [f"{key!r} is not registered in the {registry.name!r} registry (scope {registry.scope!r})"]
    if suggestions:
        lines[0] += "; did you mean " + ", ".join(repr(s) for s in suggestions) + "?"
    where: list[str] = []
    for reg in searched:
        line = f"registry {reg.name!r} (scope {reg.scope!r}): {len(reg.module_dict)} registered"
        if reg.locations:
            line += ", locations imported: " + ", ".join(reg.locations)
        where.append(line)
    if scope is not None and scope != registry.scope and not any(reg.scope == scope for reg in searched):
        scopes = sorted(_scopes(registry.root))
        where.append(
            f"no {registry.name!r} registry has scope {scope!r} (tried importing '{scope}.registry'); "
            f"scopes in this tree: {', '.join(scopes)}"
        )
    if "." in key:
        where.append(f"dotted-path import of {key!r}: {explain_dotted_path(key)}")
    where.extend(notes)
    lines.append("searched:")
    lines.extend(f"  - {line}" for line in where)
    available = sorted(set(names))
    if available:
        shown = ", ".join(available[:_MAX_LISTED])
        more = f" ... and {len(available) - _MAX_LISTED} more" if len(available) > _MAX_LISTED else ""
        lines.append(f"registered names: {shown}{more}")
    elif searched:
        lines.append("nothing is registered there yet; is the module that registers it imported?")
    return NotRegisteredError(
        "\n".join(lines),
        key=key,
        registry_name=registry.name,
        scope=registry.scope,
        suggestions=suggestions,
        searched=tuple(where),
    )


def _scopes(registry: Registry) -> list[str]:
    out = [registry.scope]
    for child in registry.children.values():
        out.extend(_scopes(child))
    return out
