"""The MMEngine version whose API mme-compat provides: ``mmengine.__version__`` and ``version_info``.

Downstream packages check it (``digit_version(mmengine.__version__) >= digit_version('0.8.3')``),
so it names the MMEngine release whose public names the compat tree covers, not mme's version.
"""

from __future__ import annotations

import re

MMENGINE_VERSION = "0.10.7"

__all__ = ["parse_version_info", "version_info"]


def parse_version_info(version_str: str) -> tuple[int | str, ...]:
    """Split a version string into a tuple: ``'0.10.7'`` -> ``(0, 10, 7)``, ``'2.0.0rc4'`` -> ``(2, 0, 0, 'rc4')``.

    Examples:
        >>> parse_version_info('0.10.7')
        (0, 10, 7)
        >>> parse_version_info('2.0.0rc4')
        (2, 0, 0, 'rc4')
    """
    parts: list[int | str] = []
    for part in version_str.split("."):
        match = re.fullmatch(r"(\d+)(.*)", part)
        if match is None:
            parts.append(part)
            continue
        parts.append(int(match.group(1)))
        if match.group(2):
            parts.append(match.group(2))
    return tuple(parts)


version_info = parse_version_info(MMENGINE_VERSION)
