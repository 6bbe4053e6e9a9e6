"""mme reads every config of the mmpretrain 1.2.0 wheel into the dict MMEngine 0.10.7 reads.

``data/mmpretrain_configs.json.gz`` is MMEngine's reading (``Config.fromfile(path).to_dict()``,
in the canonical form of ``tools/compat_corpus.py``) of every config file shipped in the wheel;
see that tool to regenerate it. Each config gets a test comparing mme's reading with it; a file
MMEngine cannot load must fail to load in mme too.

The configs come from the wheel itself, fetched once per session with
``pip download mmpretrain==1.2.0 --no-deps`` (1.6 MB, into the session's tmp folder) and checked against
the sha256 the fixture recorded. The wheel is only unzipped, never installed or imported: adding
mmpretrain to the test env would pull in its dependencies (hatch cannot say ``--no-deps`` for one
package) and put an importable ``mmpretrain`` next to the configs, which changes nothing these
configs read but is more than the test needs. Set ``MME_MMPRETRAIN_WHEEL`` to a downloaded wheel
to work offline. Without the wheel the tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from mme.config import Config

_ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("_compat_corpus", _ROOT / "tools" / "compat_corpus.py")
corpus_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus_tool)

FIXTURE = json.loads(gzip.decompress((Path(__file__).parent / "data" / "mmpretrain_configs.json.gz").read_bytes()))
CONFIGS: dict = FIXTURE["configs"]

# Files where mme's dict differs from MMEngine's on purpose, with why (each test then xfails
# strictly: it fails when mme starts to agree, so that the entry is removed).
_REPLKNET = (
    "MMEngine refuses the file (RuntimeError: the inheritance chain mixes lazy-import and plain configs): "
    "its base _base_/models/replknet-31B_in1k.py has no _base_ but imports mmpretrain.models, so MMEngine "
    "takes that base for a lazy-import config, which a `_base_ = [...]` child may not inherit. mme reads such "
    "a base as a pure-Python config (the import stays lazy and is not a key) and loads the file."
)
KNOWN_DIFFERENCES: dict[str, str] = {
    "mmpretrain/.mim/configs/replknet/deploy/replknet-31B-deploy_32xb64_in1k-384px.py": _REPLKNET,
    "mmpretrain/.mim/configs/replknet/deploy/replknet-31B-deploy_32xb64_in1k.py": _REPLKNET,
    "mmpretrain/.mim/configs/replknet/replknet-31B_32xb64_in1k-384px.py": _REPLKNET,
    "mmpretrain/.mim/configs/replknet/replknet-31B_32xb64_in1k.py": _REPLKNET,
}


def _find_wheel(download_dir: Path) -> Path:
    given = os.environ.get("MME_MMPRETRAIN_WHEEL")
    if given:
        return Path(given)
    try:
        return corpus_tool.fetch_wheel(download_dir, python=sys.executable)
    except Exception as err:  # no registry, no pip: skip here, fail in CI
        message = f"cannot download the mmpretrain 1.2.0 wheel ({type(err).__name__}: {err})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def corpus_files(tmp_path_factory) -> dict[str, Path]:
    wheel = _find_wheel(tmp_path_factory.mktemp("mmpretrain-wheel"))
    assert corpus_tool.sha256_file(wheel) == FIXTURE["wheel_sha256"], f"{wheel} is not the wheel the fixture was made from"
    return corpus_tool.config_files(wheel, tmp_path_factory.mktemp("mmpretrain"))


def test_fixture_covers_every_config_of_the_wheel(corpus_files):
    assert sorted(corpus_files) == sorted(CONFIGS)
    assert FIXTURE["oracle"] == "mmengine==0.10.7" and len(CONFIGS) > 900


def _mme_reading(path: Path):
    return corpus_tool.canonical(Config.fromfile(path).to_dict())


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_DIFFERENCES[n], strict=True))
        if n in KNOWN_DIFFERENCES
        else n
        for n in sorted(CONFIGS)
    ],
)
def test_config_reads_as_mmengine_reads_it(corpus_files, name):
    expected = CONFIGS[name]
    path = corpus_files[name]
    if isinstance(expected, dict) and "__error__" in expected:
        with pytest.raises(Exception):  # noqa: B017, PT011 - any error, as MMEngine raised one
            Config.fromfile(path)
        return
    got = _mme_reading(path)
    if isinstance(expected, dict) and set(expected) == {"__sha256__"}:
        assert corpus_tool.digest(got) == expected["__sha256__"]
    else:
        assert got == expected
