"""mme.testing's RunnerTestCase and assertion helpers."""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest
import torch
from torch import nn

from mme.registry import MODELS
from mme.testing import (
    RunnerTestCase,
    ToyModel,
    assert_allclose,
    assert_attrs_equal,
    assert_dict_contains_subset,
    assert_dict_has_keys,
    assert_is_norm_layer,
    assert_keys_equal,
    assert_params_all_zeros,
    check_python_script,
)


def test_assert_allclose():
    assert_allclose(torch.tensor([1.0, 2.0]), [1.0, 2.0])
    assert_allclose(np.array([1.0]), np.array([1.0 + 1e-9]))
    assert_allclose([float("nan")], [float("nan")])
    with pytest.raises(AssertionError):
        assert_allclose([float("nan")], [float("nan")], equal_nan=False)
    with pytest.raises(AssertionError, match="not close"):
        assert_allclose(torch.tensor([1.0]), torch.tensor([1.1]))
    assert_allclose(torch.tensor([1.0]), torch.tensor([1.1]), rtol=0, atol=0.2)
    with pytest.raises(AssertionError, match="custom"):
        assert_allclose([1.0], [2.0], msg="custom")


def test_dict_and_attr_helpers():
    assert assert_dict_contains_subset({"a": 1, "b": np.array([1, 2])}, {"b": np.array([1, 2])})
    assert not assert_dict_contains_subset({"a": 1}, {"a": 2})
    assert not assert_dict_contains_subset({"a": 1}, {"z": 1})
    assert not assert_dict_contains_subset({"a": [1]}, {"a": (1,)})
    assert not assert_dict_contains_subset({"a": np.array([1, 2])}, {"a": np.array([1, 3])})

    class Obj:
        a = 1
        b = torch.tensor([1.0])

    assert assert_attrs_equal(Obj(), {"a": 1, "b": torch.tensor([1.0])})
    assert not assert_attrs_equal(Obj(), {"a": 2}) and not assert_attrs_equal(Obj(), {"z": 1})
    assert not assert_attrs_equal(Obj(), {"b": torch.tensor([2.0])})
    assert assert_dict_has_keys({"a": 1, "b": 2}, ["a"]) and not assert_dict_has_keys({"a": 1}, ["a", "b"])
    assert assert_keys_equal(["a", "b"], ["b", "a"]) and not assert_keys_equal(["a"], ["a", "b"])


def test_module_helpers():
    assert all(assert_is_norm_layer(m) for m in (nn.BatchNorm2d(2), nn.GroupNorm(1, 2), nn.LayerNorm(2),
                                                 nn.InstanceNorm2d(2), nn.SyncBatchNorm(2)))
    assert not assert_is_norm_layer(nn.Linear(2, 2))
    lin = nn.Linear(2, 2)
    nn.init.zeros_(lin.weight)
    assert not assert_params_all_zeros(lin)
    nn.init.zeros_(lin.bias)
    assert assert_params_all_zeros(lin)
    with pytest.raises(ValueError, match="ReLU has no parameters"):
        assert_params_all_zeros(nn.ReLU())


def test_check_python_script_runs_in_process(tmp_path):
    script = tmp_path / "hello.py"
    out = tmp_path / "out.txt"
    script.write_text("import sys\nif __name__ == '__main__':\n    open(sys.argv[2], 'w').write(sys.argv[1])\n")
    check_python_script(f"python {script} zz {out}")
    assert out.read_text() == "zz"
    check_python_script(f"{script} yy {out}")
    assert out.read_text() == "yy"
    with pytest.raises(ValueError, match="no script"):
        check_python_script("python")


class _Case(RunnerTestCase):
    def test_epoch(self):
        runner = self.build_runner(copy.deepcopy(self.epoch_based_cfg))
        runner.train()
        self.result = (runner.epoch, runner.experiment_name)
        runner.test()

    def test_iter(self):
        runner = self.build_runner(copy.deepcopy(self.iter_based_cfg))
        runner.train()
        self.result = (runner.iter, sorted(os.listdir(self.temp_dir.name)))


def test_runner_test_case_restores_the_registries():
    class OtherToy(ToyModel):
        pass

    MODELS.register_module(name="ToyModel", module=OtherToy, force=True)
    try:
        case = _Case("test_epoch")
        case.setUp()
        assert MODELS.get("ToyModel") is ToyModel  # the test case's own toy while it runs
        case.tearDown()
        assert MODELS.get("ToyModel") is OtherToy
    finally:
        MODELS.register_module(name="ToyModel", module=ToyModel, force=True)


def test_runner_test_case_trains_both_configs_and_cleans_up():
    replaced = MODELS.module_dict.get("ToyModel")
    case = _Case("test_epoch")
    case.setUp()
    work_dir = case.temp_dir.name
    try:
        assert case.epoch_based_cfg.train_cfg.max_epochs == 2 and case.iter_based_cfg.train_cfg.max_iters == 12
        assert case.experiment_name != case.experiment_name and "test_epoch" in case.experiment_name
        case.test_epoch()
        assert case.result[0] == 2 and case.result[1].startswith("test_epoch_")
        case.clear_work_dir()
        assert os.listdir(work_dir) == []
    finally:
        case.tearDown()
    assert not os.path.exists(work_dir)
    assert MODELS.module_dict.get("ToyModel") is replaced is ToyModel  # the registry is as it was

    case = _Case("test_iter")
    case.setUp()
    try:
        case.test_iter()
        assert case.result[0] == 12 and case.result[1]
    finally:
        case.tearDown()


def test_setup_dist_env_moves_the_port(monkeypatch):
    for key in ("MASTER_PORT", "MASTER_ADDR", "RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(RunnerTestCase, "dist_env", dict(RunnerTestCase.dist_env))
    case = _Case("test_epoch")
    first = RunnerTestCase.dist_env["MASTER_PORT"]
    case.setup_dist_env()
    case.setup_dist_env()
    assert os.environ["MASTER_PORT"] == str(first + 2)
    assert (os.environ["MASTER_ADDR"], os.environ["RANK"], os.environ["WORLD_SIZE"]) == ("127.0.0.1", "0", "1")
