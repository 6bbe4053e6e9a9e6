"""Telling a mistyped key from a new one: which existing keys are one slip away."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["close_keys"]

# A key this long may differ from an existing one by two edits and still count as a slip.
_LONG_KEY = 10
# Shorter keys than this are only matched when they differ in letter case alone: a single
# edit turns many short, unrelated names into each other (lr/l2, mu/nu).
_SHORT_KEY = 4


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two neighbours).

    Returns ``limit + 1`` as soon as the distance is known to exceed ``limit``.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def _without_digits(text: str) -> str:
    return "".join(c for c in text if not c.isdigit())


def close_keys(key: str, existing: Iterable[object], n: int = 3) -> list[str]:
    """The existing keys that ``key`` is most likely a typo of, closest first.

    A key is close when it differs only in letter case, or (both keys at least four
    characters long) by one edit, two for keys of ten characters or more, where an edit
    inserts, deletes or replaces a character or swaps two neighbours. Keys that differ only
    in their digits (``stage1``/``stage2``, ``beta1``/``beta2``) are siblings, not typos.

    Examples:
        >>> close_keys("randomnes", ["randomness", "model"])
        ['randomness']
        >>> close_keys("dept", ["depth", "type"])
        ['depth']
        >>> close_keys("val_dataloader", ["train_dataloader"])
        []
        >>> close_keys("beta2", ["beta1"])
        []
    """
    found: list[tuple[int, str]] = []
    folded = key.casefold()
    for name in existing:
        if not isinstance(name, str) or name == key:
            continue
        if name.casefold() == folded:
            found.append((0, name))
            continue
        if min(len(name), len(key)) < _SHORT_KEY or _without_digits(name) == _without_digits(key):
            continue
        limit = 2 if max(len(name), len(key)) >= _LONG_KEY else 1
        distance = _edit_distance(folded, name.casefold(), limit)
        if distance <= limit:
            found.append((distance, name))
    found.sort(key=lambda item: item[0])
    return [name for _, name in found[:n]]
