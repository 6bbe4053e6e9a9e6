"""Comparable version tuples and the git hash of the working directory."""

from __future__ import annotations

import os
import re
import subprocess

_VERSION_RE = re.compile(
    r"^\s*v?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre_l>a|alpha|b|beta|rc|c|pre|preview)[-_.]?(?P<pre_n>\d*))?"
    r"(?:(?:-(?P<post_n1>\d+))|(?:[-_.]?(?:post|rev|r)[-_.]?(?P<post_n2>\d*)))?"
    r"(?:[-_.]?dev[-_.]?(?P<dev_n>\d*))?"
    r"(?:\+[a-z0-9.]+)?\s*$",
    re.IGNORECASE,
)
_PRE = {"a": -3, "alpha": -3, "b": -2, "beta": -2, "rc": -1, "c": -1, "pre": -1, "preview": -1}


def digit_version(version_str: str, length: int = 4) -> tuple[int, ...]:
    """Turn a PEP 440 version string into a tuple of ints that compares like the versions.

    The release part is padded to ``length``; two more items mark pre-releases (negative),
    post-releases (1, n) and final releases (0, 0).

    Examples:
        >>> digit_version("2.1.0")
        (2, 1, 0, 0, 0, 0)
        >>> digit_version("2.1.0rc1") < digit_version("2.1.0") < digit_version("2.1.0.post1")
        True
    """
    match = _VERSION_RE.match(version_str)
    if match is None:
        raise ValueError(f"invalid version string {version_str!r}")
    release = [int(p) for p in match["release"].split(".")]
    if len(release) > length:
        raise ValueError(f"version {version_str!r} has more than {length} release parts")
    release += [0] * (length - len(release))
    if match["pre_l"]:
        release += [_PRE[match["pre_l"].lower()], int(match["pre_n"] or 0)]
    elif match["dev_n"] is not None and match["post_n1"] is None and match["post_n2"] is None:
        release += [-4, int(match["dev_n"] or 0)]
    elif match["post_n1"] is not None or match["post_n2"] is not None:
        release += [1, int(match["post_n1"] or match["post_n2"] or 0)]
    else:
        release += [0, 0]
    return tuple(release)


def get_git_hash(fallback: str = "unknown", digits: int | None = None) -> str:
    """Return the commit hash of the git repository that holds the current directory.

    Args:
        fallback: Returned when git is missing or the directory is not in a repository.
        digits: Keep only the first ``digits`` characters of the hash.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     cwd = os.getcwd()
        ...     os.chdir(tmp)
        ...     try:
        ...         print(get_git_hash(fallback="none"))
        ...     finally:
        ...         os.chdir(cwd)
        none
    """
    if digits is not None and (not isinstance(digits, int) or isinstance(digits, bool) or digits < 0):
        raise TypeError(f"digits must be a non-negative int or None, but got {digits!r}")
    # a minimal environment: C locale for stable output, and no GIT_DIR etc. from the caller
    env = {k: os.environ[k] for k in ("SYSTEMROOT", "PATH", "HOME") if k in os.environ}
    env.update(LANGUAGE="C", LANG="C", LC_ALL="C")
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, env=env, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return fallback
    sha = out.stdout.strip()
    if out.returncode != 0 or not sha:
        return fallback
    return sha[:digits] if digits is not None else sha
