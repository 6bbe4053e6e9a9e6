"""``import mme.config`` stays light: no torch, numpy, yapf, and yaml/argparse only when used."""

from __future__ import annotations

import json
import subprocess
import sys

CODE = """
import json, sys
before = set(sys.modules)
import mme.config
after_import = set(sys.modules) - before
from mme.config import Config
Config.fromstring("a: 1", ".yaml")
after_use = set(sys.modules) - before
print(json.dumps([sorted(after_import), sorted(after_use)]))
"""


def test_import_pulls_nothing_heavy():
    out = subprocess.run([sys.executable, "-c", CODE], check=True, capture_output=True, text=True).stdout
    after_import, after_use = (set(x) for x in json.loads(out))
    heavy = {"torch", "numpy", "yapf"}
    assert not heavy & {m.split(".")[0] for m in after_use}
    assert not {"yaml", "argparse"} & after_import
    assert "yaml" in after_use


def test_public_names():
    from mme import config

    assert config.__all__ == sorted(config.__all__)
    for name in config.__all__:
        assert getattr(config, name) is not None
    assert issubclass(config.ConfigError, ValueError)
    assert issubclass(config.ConfigOptionError, config.ConfigError)
