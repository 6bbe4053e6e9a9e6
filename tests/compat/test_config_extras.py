"""MMEngine's config constants and helpers, as MMEngine code imports them, behave as their names say."""

from __future__ import annotations

import argparse
import ast

import pytest

pytest.importorskip("_mme_compat")

from mmengine.config import Config  # noqa: E402
from mmengine.config.config import BASE_KEY, DELETE_KEY, RESERVED_KEYS, ConfigParsingError, add_args  # noqa: E402
from mmengine.config.utils import RemoveAssignFromAST  # noqa: E402
from mmengine.model.efficient_conv_bn_eval import turn_on_efficient_conv_bn_eval_for_single_model  # noqa: E402


def test_base_and_delete_keys_are_the_ones_configs_use(tmp_path):
    (tmp_path / "base.py").write_text("model = dict(a=1, b=2)\n")
    (tmp_path / "child.py").write_text(f"{BASE_KEY} = ['base.py']\nmodel = {{'{DELETE_KEY}': True, 'c': 3}}\n")
    assert Config.fromfile(str(tmp_path / "child.py")).model.to_dict() == {"c": 3}
    assert all(hasattr(Config, key) for key in RESERVED_KEYS)


def test_config_parsing_error_catches_a_broken_config(tmp_path):
    (tmp_path / "bad.py").write_text("model = dict(\n")
    with pytest.raises(ConfigParsingError):
        Config.fromfile(str(tmp_path / "bad.py"))


def test_add_args_and_remove_assign():
    parser = add_args(argparse.ArgumentParser(), dict(lr=0.1, flag=False, sizes=[1, 2], model=dict(depth=18)))
    args = parser.parse_args(["--lr", "0.5", "--flag", "--sizes", "3", "4", "--model.depth", "50"])
    assert vars(args) == {"lr": 0.5, "flag": True, "sizes": [3, 4], "model.depth": 50}
    tree = RemoveAssignFromAST(BASE_KEY).visit(ast.parse("_base_ = ['a.py']\nx = 1\n_base_.y = 2"))
    assert ast.unparse(tree) == "x = 1\n_base_.y = 2"


def test_efficient_conv_bn_eval_for_a_single_model():
    import torch
    from torch import nn

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).eval()
    x = torch.randn(1, 1, 5, 5)
    expected = model(x)
    assert turn_on_efficient_conv_bn_eval_for_single_model(model) == 1
    torch.testing.assert_close(model(x), expected)
