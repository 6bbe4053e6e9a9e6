"""Config semantics real OpenMMLab configs rely on (checked against MMEngine 0.10.7 as a black box).

- assignments through ``_base_`` in a ``.py`` config change the inherited value;
- a pure-Python config's ``to_dict()``, ``pretty_text`` and ``dump()`` never import what it
  imports (a config whose packages are not installed still loads and prints), lazy objects
  becoming their dotted import path;
- ``from .base import *`` also binds the names the base imported (not config keys).
"""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from mme.config import Config, LazyAttr, LazyObject


def test_assignments_through_base_change_inherited_values(write):
    write(
        "base.py",
        """
        model = dict(type='M', head=dict(num_classes=1000, loss=dict(type='CE')))
        train_dataloader = dict(batch_size=2, dataset=dict(type='D', pipeline=[dict(type='A')]))
        lst = [1, 2]
        """,
    )
    child = write(
        "child.py",
        """
        _base_ = './base.py'
        _base_.train_dataloader.dataset.pipeline = [dict(type='B')]
        _base_.model.head.num_classes = 10
        _base_.model.head.num_classes += 5
        _base_['lst'][0] = 7
        _base_.newkey = 3
        alias = _base_.model.head
        alias.extra = 1
        """,
    )
    cfg = Config.fromfile(child)
    # What MMEngine 0.10.7 reads from these two files.
    assert cfg.to_dict() == {
        "model": {"type": "M", "head": {"num_classes": 15, "loss": {"type": "CE"}, "extra": 1}},
        "train_dataloader": {"batch_size": 2, "dataset": {"type": "D", "pipeline": [{"type": "B"}]}},
        "lst": [7, 2],
        "newkey": 3,
        "alias": {"num_classes": 15, "loss": {"type": "CE"}, "extra": 1},
    }
    # The result shares nothing with the file's `alias`: changing one leaves the other.
    cfg.alias.num_classes = 0
    assert cfg.model.head.num_classes == 15
    # The base file itself is unchanged for whoever reads it next.
    assert Config.fromfile(write("other.py", "_base_ = './base.py'\nx = _base_.model.head.num_classes\n")).x == 1000


def test_assignment_through_base_in_a_grandchild_and_base_refs(write):
    write("a.py", "opt = dict(lr=0.1, wd=1e-4)\n")
    write("b.py", "_base_ = './a.py'\n_base_.opt.lr = 0.2\n")
    c = write("c.py", "_base_ = './b.py'\n_base_.opt.wd = 0.0\nlr = {{_base_.opt.lr}}\n")
    assert Config.fromfile(c).to_dict() == {"opt": {"lr": 0.2, "wd": 0.0}, "lr": 0.2}


@pytest.fixture
def missing_module_configs(write, tmp_path, monkeypatch):
    """A lazy base importing packages that fail to import (one missing, one raising), and its child."""
    write("probe_pkg/__init__.py", "raise RuntimeError('probe_pkg must not be imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    write(
        "configs/base.py",
        """
        from torch.optim import SGD
        from probe_pkg.models import Thing
        import mme_no_such_pkg as nsp

        optim = dict(type=SGD, lr=0.1)
        thing = dict(type=Thing, fn=nsp.func)
        alias = SGD
        """,
    )
    child = write(
        "configs/child.py",
        """
        from mme.config import read_base

        with read_base():
            from .base import *

        model = dict(type=Thing, opt=SGD, f=nsp.other, pipeline=[dict(type=Thing)], t=(Thing, 1))
        """,
    )
    yield child
    sys.modules.pop("probe_pkg", None)


def test_lazy_config_with_missing_modules_loads_prints_and_dumps(missing_module_configs, tmp_path):
    cfg = Config.fromfile(missing_module_configs)
    expected = {
        "optim": {"type": "torch.optim.SGD", "lr": 0.1},
        "thing": {"type": "probe_pkg.models.Thing", "fn": "mme_no_such_pkg.func"},
        "alias": "torch.optim.SGD",
        "model": {
            "type": "probe_pkg.models.Thing",
            "opt": "torch.optim.SGD",
            "f": "mme_no_such_pkg.other",
            "pipeline": [{"type": "probe_pkg.models.Thing"}],
            "t": ("probe_pkg.models.Thing", 1),
        },
    }
    assert cfg.to_dict() == expected  # what MMEngine's to_dict() gives: dotted paths
    assert cfg.model.to_dict()["pipeline"] == [{"type": "probe_pkg.models.Thing"}]
    assert "probe_pkg" not in sys.modules
    text = cfg.pretty_text
    assert "type='probe_pkg.models.Thing'" in text and "f='mme_no_such_pkg.other'" in text
    for suffix in (".py", ".json", ".yaml"):
        out = tmp_path / f"dumped{suffix}"
        cfg.dump(out)
        assert Config.fromfile(out).model.type == "probe_pkg.models.Thing"
    assert json.loads((tmp_path / "dumped.json").read_text())["thing"]["fn"] == "mme_no_such_pkg.func"
    assert yaml.safe_load((tmp_path / "dumped.yaml").read_text())["alias"] == "torch.optim.SGD"
    assert "probe_pkg" not in sys.modules
    # Unbuilt objects stay available, and reading one through the config builds it.
    assert isinstance(cfg.to_dict(keep_imported=True)["model"]["type"], LazyObject)
    assert isinstance(cfg._to_lazy_dict()["thing"]["fn"], LazyAttr)
    with pytest.raises(RuntimeError, match="probe_pkg must not be imported"):
        cfg.model.type  # noqa: B018 - the access is the point


def test_star_import_binds_the_bases_imported_names(missing_module_configs, write):
    cfg = Config.fromfile(missing_module_configs)
    # the base's imports (SGD, Thing, nsp) are usable in the child but are not config keys
    assert set(cfg.keys()) == {"optim", "thing", "alias", "model"}
    named = write(
        "configs/named.py",
        """
        from mme.config import read_base

        with read_base():
            from .base import SGD as Opt, nsp, alias

        x = dict(a=Opt, b=nsp.f, c=alias)
        """,
    )
    cfg = Config.fromfile(named)
    assert cfg.to_dict() == {"alias": "torch.optim.SGD",
                             "x": {"a": "torch.optim.SGD", "b": "mme_no_such_pkg.f", "c": "torch.optim.SGD"}}
    # a grandchild's `import *` passes the names on
    grand = write(
        "configs/grand.py",
        """
        from mme.config import read_base

        with read_base():
            from .child import *

        y = Thing
        """,
    )
    assert Config.fromfile(grand).to_dict()["y"] == "probe_pkg.models.Thing"
