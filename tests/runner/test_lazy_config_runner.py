"""The Runner built from a pure-Python (lazy-import) config: every class-typed field is accepted.

``from torch.optim import SGD`` in such a config gives a lazy object, built only when the Runner
builds the component (optimizer, hooks, loops, collate_fn, metrics, schedulers, datasets,
visualizer, log processor, ...), as in MMEngine.
"""

from __future__ import annotations

import glob
import os

import pytest
import torch

from mme.config import Config, LazyObject
from mme.dataset import RepeatDataset, default_collate, worker_init_fn
from mme.hooks import EMAHook, LoggerHook
from mme.optim import LinearLR, MultiStepLR
import mme.runner
from mme.runner import EpochBasedTrainLoop, Runner, RunnerConfigError
from mme.testing import ToyMetric, ToyModel
from mme.visualization import LocalVisBackend, Visualizer

_BASE = """
from mme.testing import ToyModel, ToyDataset, ToyMetric
from mme.dataset import DefaultSampler, default_collate, RepeatDataset, ConcatDataset
from torch.optim import SGD
from mme.optim import MultiStepLR, LinearLR, OptimWrapper, DefaultOptimWrapperConstructor
from mme.hooks import LoggerHook, CheckpointHook, EMAHook, IterTimerHook, ParamSchedulerHook
from mme.runner import EpochBasedTrainLoop, ValLoop, TestLoop, LogProcessor
from mme.model import BaseDataPreprocessor
from mme.visualization import Visualizer, LocalVisBackend
from mme.evaluator import Evaluator

model = dict(type=ToyModel, data_preprocessor=dict(type=BaseDataPreprocessor))
train_dataloader = dict(
    dataset=dict(type=RepeatDataset, times=2, dataset=dict(type=ToyDataset, size=16)),
    sampler=dict(type=DefaultSampler, shuffle=True), collate_fn=dict(type=default_collate),
    batch_size=8, num_workers=0)
val_dataloader = dict(
    dataset=dict(type=ConcatDataset, datasets=[dict(type=ToyDataset, size=8, seed=1),
                                               dict(type=ToyDataset, size=8, seed=2)]),
    sampler=dict(type=DefaultSampler, shuffle=False), collate_fn=dict(type=default_collate),
    batch_size=8, num_workers=0)
test_dataloader = val_dataloader
val_evaluator = [dict(type=ToyMetric)]
test_evaluator = dict(type=Evaluator, metrics=dict(type=ToyMetric))
train_cfg = dict(type=EpochBasedTrainLoop, max_epochs=3)
val_cfg = dict(type=ValLoop)
test_cfg = dict(type=TestLoop)
optim_wrapper = dict(type=OptimWrapper, optimizer=dict(type=SGD, lr=0.1, momentum=0.9),
                     constructor=DefaultOptimWrapperConstructor)
param_scheduler = [dict(type=LinearLR, start_factor=0.5, by_epoch=True, begin=0, end=1),
                   dict(type=MultiStepLR, milestones=[1], gamma=0.5, by_epoch=True)]
default_hooks = dict(timer=dict(type=IterTimerHook), logger=dict(type=LoggerHook, interval=2),
                     param_scheduler=dict(type=ParamSchedulerHook),
                     checkpoint=dict(type=CheckpointHook, interval=1))
custom_hooks = [dict(type=EMAHook)]
log_processor = dict(type=LogProcessor, window_size=2)
visualizer = dict(type=Visualizer, vis_backends=[dict(type=LocalVisBackend)], name='lazy_cfg_vis')
randomness = dict(seed=0)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
"""

_CHILD = """
from mme.config import read_base

with read_base():
    from .toy_base import *

work_dir = {work_dir!r}
train_cfg.max_epochs = 1
optim_wrapper.optimizer.lr = 0.05
"""


@pytest.fixture
def lazy_cfg_path(tmp_path):
    (tmp_path / "toy_base.py").write_text(_BASE, encoding="utf-8")
    path = tmp_path / "toy_lazy.py"
    path.write_text(_CHILD.format(work_dir=str(tmp_path / "work")), encoding="utf-8")
    return path


def test_lazy_import_config_trains_and_tests_the_toy_model(lazy_cfg_path):
    cfg = Config.fromfile(lazy_cfg_path)
    assert cfg.to_dict()["optim_wrapper"]["optimizer"]["type"] == "torch.optim.SGD"
    runner = Runner.from_cfg(cfg)
    model = runner.train()
    assert isinstance(model, ToyModel) and runner.epoch == 1
    assert isinstance(runner.optim_wrapper.optimizer, torch.optim.SGD)
    assert runner.optim_wrapper.optimizer.defaults["lr"] == 0.05
    assert [type(s) for s in runner.param_schedulers] == [LinearLR, MultiStepLR]
    assert isinstance(runner.train_loop, EpochBasedTrainLoop) and runner.train_loop.max_epochs == 1
    assert isinstance(runner.train_dataloader.dataset, RepeatDataset)
    assert runner.train_dataloader.collate_fn.func is default_collate
    assert any(isinstance(h, EMAHook) for h in runner.hooks)
    assert any(isinstance(h, LoggerHook) and h.interval == 2 for h in runner.hooks)
    assert isinstance(runner.visualizer, Visualizer)
    assert isinstance(runner.visualizer.get_backend("LocalVisBackend"), LocalVisBackend)
    assert runner.log_processor.window_size == 2
    metrics = runner.test()
    assert isinstance(runner.test_loop, mme.runner.TestLoop) and set(metrics) == {"accuracy"}
    # The config the run saved holds dotted import paths and loads again.
    saved = glob.glob(os.path.join(runner.work_dir, "*", "vis_data", "config.py"))
    assert saved and Config.fromfile(saved[0]).model.type == "mme.testing.ToyModel"


def _lazy(path: str) -> LazyObject:
    module, _, name = path.rpartition(".")
    return LazyObject(module, name)


def _direct_kwargs(tmp_path) -> dict:
    """Runner arguments as plain dicts holding lazy objects (no Config, no from_cfg)."""
    sampler = dict(type=_lazy("mme.dataset.DefaultSampler"), shuffle=False)
    return dict(
        model=dict(type=_lazy("mme.testing.ToyModel")),
        work_dir=str(tmp_path / "direct"),
        train_dataloader=dict(dataset=dict(type=_lazy("mme.testing.ToyDataset"), size=16), sampler=sampler,
                              collate_fn=dict(type=_lazy("mme.dataset.default_collate")),
                              worker_init_fn=dict(type=_lazy("mme.dataset.worker_init_fn"), num_workers=0,
                                                  rank=0, seed=0),
                              batch_size=8, num_workers=0),
        val_dataloader=dict(dataset=dict(type=_lazy("mme.testing.ToyDataset"), size=8, seed=1), sampler=sampler,
                            collate_fn=dict(type=_lazy("mme.dataset.default_collate")), batch_size=8, num_workers=0),
        val_evaluator=dict(type=_lazy("mme.testing.ToyMetric")),
        train_cfg=dict(type=_lazy("mme.runner.EpochBasedTrainLoop"), max_epochs=1),
        val_cfg=dict(type=_lazy("mme.runner.ValLoop")),
        optim_wrapper=dict(type=_lazy("mme.optim.OptimWrapper"), optimizer=dict(type=_lazy("torch.optim.SGD"), lr=0.1)),
        param_scheduler=dict(type=_lazy("mme.optim.MultiStepLR"), milestones=[1], by_epoch=True),
        default_hooks=dict(logger=dict(type=_lazy("mme.hooks.LoggerHook"), interval=1),
                           checkpoint=dict(type=_lazy("mme.hooks.CheckpointHook"), interval=1,
                                           backend_args=dict(backend="local"))),
        custom_hooks=[dict(type=_lazy("mme.hooks.EMAHook"))],
        visualizer=dict(type=_lazy("mme.visualization.Visualizer"),
                        vis_backends=[dict(type=_lazy("mme.visualization.LocalVisBackend"))]),
        randomness=dict(seed=0),
        env_cfg=dict(dist_cfg=dict(backend="gloo")),
    )


def test_runner_builders_and_check_accept_lazy_objects_in_plain_dicts(tmp_path):
    runner = Runner(**_direct_kwargs(tmp_path))
    runner.train()
    assert isinstance(runner.optim_wrapper.optimizer, torch.optim.SGD)
    assert runner.train_dataloader.collate_fn.func is default_collate
    assert runner.train_dataloader.worker_init_fn.func is worker_init_fn
    assert isinstance(runner.val_evaluator.metrics[0], ToyMetric)
    assert any(isinstance(h, EMAHook) for h in runner.hooks)
    # where code reads `type` itself: the visualizer names its backends, the checkpoint hook's
    # backend_args are found in the hook configs (to read checkpoints back)
    assert isinstance(runner.visualizer.get_backend("LocalVisBackend"), LocalVisBackend)
    assert runner._checkpoint_backend_args() == {"backend": "local"}


def test_flexible_runner_takes_a_lazy_strategy_in_a_plain_dict(tmp_path):
    from mme.strategy import SingleDeviceStrategy

    runner = mme.runner.FlexibleRunner(**_direct_kwargs(tmp_path),
                                       strategy=dict(type=_lazy("mme.strategy.SingleDeviceStrategy")))
    runner.train()
    assert type(runner.strategy) is SingleDeviceStrategy and isinstance(runner.visualizer, Visualizer)


def test_config_check_reads_the_signature_of_a_lazy_type(tmp_path):
    kwargs = _direct_kwargs(tmp_path)
    kwargs["default_hooks"] = dict(logger=dict(type=_lazy("mme.hooks.LoggerHook"), intervl=1))
    kwargs["train_dataloader"]["collate_fn"] = dict(type=_lazy("mme.dataset.default_collate"), bogus=1)
    with pytest.raises(RunnerConfigError) as info:
        Runner(**kwargs)
    text = str(info.value)
    assert "default_hooks.logger" in text and "'interval'" in text
    assert "train_dataloader.collate_fn" in text and "bogus" in text
