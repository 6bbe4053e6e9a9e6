"""Write MMEngine's reading of every config in the mmpretrain 1.2.0 wheel to a test fixture.

tests/compat/test_config_corpus.py holds mme's ``Config.fromfile`` to this fixture: for every
config file shipped in the wheel, the dict mme reads must equal the one MMEngine 0.10.7 read.
MMEngine is a black box here: each file goes in, ``cfg.to_dict()`` comes out, nothing more.

Regenerate it by hand in a throwaway venv that has MMEngine (and a CPU torch, which it imports):

    python3 -m venv /tmp/mmeoracle
    /tmp/mmeoracle/bin/pip install mmengine==0.10.7 torch==2.13.0
    /tmp/mmeoracle/bin/python tools/compat_corpus.py

It downloads the wheel (``pip download mmpretrain==1.2.0 --no-deps``; or pass ``--wheel``),
reads it as a zip into a temporary folder and never imports mmpretrain.

The fixture (gzip'd JSON) maps each config's path inside the wheel to ``canonical(cfg.to_dict())``
(see :func:`canonical`), or ``{"__sha256__": ...}`` of its canonical JSON when that is larger than
``--inline-limit``, or ``{"__error__": "ExceptionType"}`` when MMEngine cannot load the file. The
header records the wheel's sha256, so the test reads exactly the files the fixture was made from.

This module imports nothing outside the standard library at module level: the test imports it
for :func:`canonical`, :func:`digest`, :func:`config_files` and :func:`fetch_wheel`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "mmpretrain"
VERSION = "1.2.0"
# Where the wheel keeps configs: the classic ones (for mim) and the new pure-Python ones. The
# 1.2.0 wheel ships only the first; the second is listed so a newer wheel is read whole.
CONFIG_DIRS = ("mmpretrain/.mim/configs/", "mmpretrain/configs/")
SUFFIXES = (".py", ".json", ".yaml", ".yml")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "compat" / "data" / "mmpretrain_configs.json.gz"


def canonical(value: Any) -> Any:
    """A JSON-able form of a config dict that keeps what JSON would lose.

    Tuples become ``{"__tuple__": [...]}``, dicts with a key that is not a str
    ``{"__dict__": [[key, value], ...]}``, non-finite floats ``{"__float__": "inf"}``, and any other
    object (a class or function left in the config) ``{"__object__": "module.qualname"}``.
    """
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: canonical(v) for k, v in value.items()}
        return {"__dict__": sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=repr)}
    if type(value) is tuple:
        return {"__tuple__": [canonical(v) for v in value]}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    return {"__object__": f"{getattr(value, '__module__', '?')}.{name}"}


def digest(canon: Any) -> str:
    """sha256 of a canonical value's JSON with sorted keys (dict order does not count)."""
    text = json.dumps(canon, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fetch_wheel(dest: str | os.PathLike, python: str = sys.executable) -> Path:
    """Download the mmpretrain wheel (no dependencies) into ``dest`` and return its path."""
    dest = Path(dest)
    subprocess.run(
        [python, "-m", "pip", "download", f"{PACKAGE}=={VERSION}", "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", "-q", "-d", str(dest)],
        check=True,
    )
    wheels = sorted(dest.glob(f"{PACKAGE}-{VERSION}-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip download left no {PACKAGE} {VERSION} wheel in {dest}")
    return wheels[0]


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def config_files(wheel: str | os.PathLike, dest: str | os.PathLike) -> dict[str, Path]:
    """Unpack the wheel's config folders into ``dest``: wheel path -> file on disk (sorted)."""
    found: dict[str, Path] = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            if not name.startswith(CONFIG_DIRS) or name.endswith("/"):
                continue
            zf.extract(name, dest)
            if name.endswith(SUFFIXES):
                found[name] = Path(dest) / name
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help="an mmpretrain 1.2.0 wheel already downloaded")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--inline-limit", type=int, default=65536,
                        help="store a sha256 instead of the dict when its JSON is longer than this")
    args = parser.parse_args(argv)

    from mmengine.config import Config  # the oracle, only here

    import mmengine

    with tempfile.TemporaryDirectory() as tmp:
        wheel = Path(args.wheel) if args.wheel else fetch_wheel(tmp)
        files = config_files(wheel, Path(tmp) / "unpacked")
        results: dict[str, Any] = {}
        for name, path in files.items():
            try:
                canon = canonical(Config.fromfile(str(path)).to_dict())
            except Exception as err:  # noqa: BLE001 - recorded: mme must fail on the same files
                results[name] = {"__error__": type(err).__name__}
                print(f"{name}: {type(err).__name__}: {err}".splitlines()[0], file=sys.stderr)
                continue
            text = json.dumps(canon, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            results[name] = canon if len(text) <= args.inline_limit else {"__sha256__": digest(canon)}
        fixture = {
            "package": f"{PACKAGE}=={VERSION}",
            "wheel": wheel.name,
            "wheel_sha256": sha256_file(wheel),
            "oracle": f"mmengine=={mmengine.__version__}",
            "configs": results,
        }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(fixture, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # No name and mtime 0 in the gzip header: the same input writes the same bytes.
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(data)
    errors = sum(1 for v in results.values() if isinstance(v, dict) and "__error__" in v)
    hashed = sum(1 for v in results.values() if isinstance(v, dict) and "__sha256__" in v)
    print(f"{len(results)} configs ({errors} MMEngine cannot load, {hashed} stored as sha256) -> {out} "
          f"({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
