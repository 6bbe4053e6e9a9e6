"""PrepareTTAHook, build_runner_with_tta, NPUProfilerHook and check_kineto."""

from __future__ import annotations

import sys
import types

import pytest
import torch

from mme.hooks import HookConfigError, NPUProfilerHook, PrepareTTAHook, build_runner_with_tta, check_kineto
from mme.model import BaseTTAModel
from mme.registry import DATASETS, HOOKS, MODELS
from mme.testing import ToyDataset, ToyModel, get_toy_cfg


@MODELS.register_module(force=True)
class _HookMeanTTA(BaseTTAModel):
    def merge_preds(self, data_samples_list):
        return [samples[0] for samples in data_samples_list]


@DATASETS.register_module(force=True)
class _PipelineToyDataset(ToyDataset):
    def __init__(self, pipeline=None, **kwargs):
        super().__init__(**kwargs)
        self.pipeline = pipeline


def test_prepare_tta_hook_wraps_the_model(tmp_path):
    class Runner:
        model = ToyModel()

    runner = Runner()
    inner = runner.model
    PrepareTTAHook(tta_cfg=dict(type="_HookMeanTTA")).before_test(runner)
    assert isinstance(runner.model, _HookMeanTTA) and runner.model.module is inner
    with pytest.raises(HookConfigError, match="tta_cfg must be a dict"):
        PrepareTTAHook(tta_cfg="x")
    assert HOOKS.get("PrepareTTAHook") is PrepareTTAHook


def test_build_runner_with_tta(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), test_dataloader=dict(dataset=dict(type="_PipelineToyDataset", size=8),
                                                          sampler=dict(type="DefaultSampler", shuffle=False),
                                                          batch_size=4, num_workers=0),
                      test_evaluator=dict(type="ToyMetric"), test_cfg=dict())
    with pytest.raises(HookConfigError, match="lacks tta_model and tta_pipeline"):
        build_runner_with_tta(cfg)
    cfg.update(tta_model=dict(type="_HookMeanTTA"), tta_pipeline=[dict(type="Marker")])
    runner = build_runner_with_tta(cfg)
    assert any(isinstance(h, PrepareTTAHook) for h in runner.hooks)
    assert runner.test_dataloader.dataset.pipeline == [dict(type="Marker")]
    runner.call_hook("before_test")
    assert isinstance(runner.model, _HookMeanTTA) and isinstance(runner.model.module, ToyModel)
    assert cfg["test_dataloader"]["dataset"].get("pipeline") is None  # the caller's config is left alone


def test_npu_profiler_hook_needs_torch_npu(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch_npu", None)
    with pytest.raises(ImportError, match="NPUProfilerHook needs torch_npu"):
        NPUProfilerHook()


def test_npu_profiler_hook_with_a_fake_torch_npu(monkeypatch, tmp_path):
    events = []

    class Profile:
        def __init__(self, path, use_e2e_profiler=False):
            events.append(("profile", path, use_e2e_profiler))

        def __enter__(self):
            events.append("enter")

        def __exit__(self, *exc):
            events.append("exit")

    fake = types.ModuleType("torch_npu")
    fake.npu = types.SimpleNamespace(profile=Profile)
    monkeypatch.setitem(sys.modules, "torch_npu", fake)
    with pytest.raises(HookConfigError, match="begin .2. must be smaller than end .2."):
        NPUProfilerHook(begin=2, end=2)
    hook = NPUProfilerHook(begin=1, end=3, result_path=str(tmp_path / "prof"), exit_after_profiling=True)
    runner = types.SimpleNamespace(max_iters=2, iter=0, logger=types.SimpleNamespace(info=lambda msg: None))
    with pytest.raises(HookConfigError, match="end .3. is after the last iteration .2."):
        hook.before_run(runner)
    runner.max_iters = 10
    hook.before_run(runner)
    assert (tmp_path / "prof").is_dir()
    for it in range(3):
        runner.iter = it
        hook.before_train_iter(runner, it)
        if it < 2:
            hook.after_train_iter(runner, it)
    assert events == [("profile", str(tmp_path / "prof"), False), "enter"]
    with pytest.raises(SystemExit):
        hook.after_train_iter(runner, 2)
    assert events[-1] == "exit"


def test_check_kineto(monkeypatch):
    assert check_kineto() == torch.autograd.kineto_available()
    monkeypatch.delattr(torch.autograd, "kineto_available")
    assert check_kineto() is False
