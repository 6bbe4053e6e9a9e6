"""The Runner checks every component's arguments when it is built, before anything runs."""

from __future__ import annotations

import os

import pytest
import torch

import mme.hooks
import mme.optim
import mme.visualization  # noqa: F401 - registers the visualizer and its backends
from mme.dataset import BaseDataset
from mme.hooks import CheckpointHook, Hook
from mme.registry import DATASETS, HOOKS, PARAM_SCHEDULERS, TRANSFORMS, VISBACKENDS, Registry
from mme.runner import Runner, RunnerConfigError
from mme.testing import get_toy_cfg


@HOOKS.register_module()
class CheckTestTaggedCheckpointHook(CheckpointHook):
    """A subclass whose ``**kwargs`` go to CheckpointHook: they are checked against it."""

    def __init__(self, tag: str = "", **kwargs):
        super().__init__(**kwargs)
        self.tag = tag


@HOOKS.register_module()
class CheckTestOpenHook(Hook):
    """Keeps any keyword: its ``**kwargs`` go nowhere the check can know."""

    def __init__(self, **options):
        self.options = options


@TRANSFORMS.register_module()
class CheckTestScale:
    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def __call__(self, results):
        return results


@DATASETS.register_module()
class CheckTestDataset(BaseDataset):
    def load_data_list(self):
        return [{"inputs": torch.zeros(2), "data_samples": 0}]


SCOPED_HOOKS = Registry("hook", parent=HOOKS, scope="mme_check_test")


@SCOPED_HOOKS.register_module(name="CheckpointHook")
class ScopedCheckpointHook(Hook):
    def __init__(self, every: int = 1):
        self.every = every


def _cfg(tmp_path, **overrides):
    return get_toy_cfg(str(tmp_path / "wd"), log_level="WARNING", **overrides)


def _problems(cfg, build=Runner.from_cfg):
    with pytest.raises(RunnerConfigError) as info:
        build(cfg)
    problems: dict[str, str] = {}
    for path, message in info.value.problems:  # several problems at one key are joined by newlines
        problems[path] = f"{problems[path]}\n{message}" if path in problems else message
    return problems, str(info.value)


def test_a_typo_in_a_default_hook_fails_at_construction_with_the_key_and_a_close_match(tmp_path):
    cfg = _cfg(tmp_path, default_hooks=dict(checkpoint=dict(type="CheckpointHook", intreval=1)))
    problems, text = _problems(cfg)
    assert problems == {"default_hooks.checkpoint": "CheckpointHook has no argument 'intreval'; did you mean 'interval'?"}
    assert "default_hooks.checkpoint: CheckpointHook has no argument 'intreval'; did you mean 'interval'?" in text
    assert not (tmp_path / "wd").exists()  # nothing was created, built or trained


def test_a_typo_merged_into_the_default_checkpoint_hook_is_caught(tmp_path):
    cfg = _cfg(tmp_path, default_hooks=dict(checkpoint=dict(interval=1, max_keep_ckpt=2)))  # no type: tunes the default
    problems, _ = _problems(cfg)
    assert problems == {"default_hooks.checkpoint": "CheckpointHook has no argument 'max_keep_ckpt'; "
                                                    "did you mean 'max_keep_ckpts'?"}


def test_every_problem_is_listed_once_with_its_key_path(tmp_path):
    cfg = _cfg(tmp_path)
    cfg["train_dataloader"]["sampler"]["shufle"] = True
    cfg["train_dataloader"]["batch_sze"] = 4
    cfg["train_dataloader"]["dataset"]["sise"] = 8
    cfg["train_dataloader"]["collate_fn"] = dict(type="default_collate", pad=0)
    cfg["val_dataloader"]["dataset"] = dict(type="RepeatDataset", times=2, dataset=dict(type="ToyDataset", sed=1))
    cfg["param_scheduler"] = [dict(type="LinearLR", start_factor=0.5, by_epoch=False, end=4),
                              dict(type="MultiStepLR", milestones=[1], gama=0.5)]
    cfg["optim_wrapper"] = dict(optimizer=dict(type="SGD", lr=0.1, momentun=0.9), clip_gard=None,
                                paramwise_cfg=dict(bias_lr_mul=2.0))
    cfg["val_cfg"] = dict(fp=True)
    cfg["val_evaluator"] = dict(type="ToyMetric", prefx="toy")
    cfg["custom_hooks"] = [dict(type="EarlyStoppingHook", monitr="accuracy")]
    cfg["visualizer"] = dict(type="Visualizer", vis_backends=[dict(type="LocalVisBackend", save_dri="x")])
    cfg["log_processor"] = dict(window_sise=5)
    cfg["randomness"] = dict(seed=0, determinstic=True)
    cfg["env_cfg"] = dict(cudnn_benchmrk=False, dist_cfg=dict(backend="gloo", timout=30))
    cfg["auto_scale_lr"] = dict(enable=True)
    problems, text = _problems(cfg)
    assert problems == {
        "train_dataloader": "DataLoader has no argument 'batch_sze'; did you mean 'batch_size'?",
        "train_dataloader.dataset": "ToyDataset has no argument 'sise'; did you mean 'size'?",
        "train_dataloader.sampler": "DefaultSampler has no argument 'shufle'; did you mean 'shuffle'?",
        "train_dataloader.collate_fn": "default_collate has no argument 'pad' (it takes none)",
        "val_dataloader.dataset.dataset": "ToyDataset has no argument 'sed'; did you mean 'seed'?",
        "param_scheduler.1": "MultiStepLR has no argument 'gama'; did you mean 'gamma'?",
        "optim_wrapper": "OptimWrapper has no argument 'clip_gard'; did you mean 'clip_grad'?",
        "optim_wrapper.optimizer": "SGD has no argument 'momentun'; did you mean 'momentum'?",
        "optim_wrapper.paramwise_cfg": problems["optim_wrapper.paramwise_cfg"],
        "val_cfg": "ValLoop has no argument 'fp'; did you mean 'fp16'?",
        "val_evaluator": "ToyMetric has no argument 'prefx'; did you mean 'prefix'?",
        "custom_hooks.0": "EarlyStoppingHook has no argument 'monitr'; did you mean 'monitor'?",
        "visualizer.vis_backends.0": "LocalVisBackend has no argument 'save_dri'; did you mean 'save_dir'?",
        "log_processor": "LogProcessor has no argument 'window_sise'; did you mean 'window_size'?",
        "randomness": "Runner.set_randomness has no argument 'determinstic'; did you mean 'deterministic'?",
        "env_cfg": "unknown key 'cudnn_benchmrk'; did you mean 'cudnn_benchmark'?",
        "env_cfg.dist_cfg": "unknown key 'timout'; did you mean 'timeout'?",
        "auto_scale_lr": "enable=True needs 'base_batch_size'",
    }
    assert "bias_lr_mul" in problems["optim_wrapper.paramwise_cfg"]
    assert text.startswith("the config has 18 problems (found before building anything):\n")
    assert not (tmp_path / "wd").exists()


def test_missing_required_arguments_and_unknown_types(tmp_path):
    cfg = _cfg(tmp_path, custom_hooks=[dict(type="EarlyStoppingHook"), dict(type="ChekpointHook")])
    cfg["train_cfg"] = dict(by_epoch=False)
    cfg["train_dataloader"].pop("sampler")
    problems, _ = _problems(cfg)
    assert problems["custom_hooks.0"] == "EarlyStoppingHook is missing the required argument 'monitor'"
    assert problems["custom_hooks.1"].startswith(
        "'ChekpointHook' is not registered in the 'hook' registry (scope 'mme'); did you mean 'CheckpointHook'")
    assert problems["train_cfg"] == "IterBasedTrainLoop is missing the required argument 'max_iters'"
    assert problems["train_dataloader"].startswith("needs a 'sampler'")


def test_top_level_keys_close_to_a_runner_key_are_typos_and_other_extra_keys_are_allowed(tmp_path):
    cfg = _cfg(tmp_path, randomnes=dict(seed=1), default_hook=dict(), train_dataloder=dict())
    problems, _ = _problems(cfg)
    assert problems == {
        "randomnes": "unknown top-level key 'randomnes'; did you mean 'randomness'?",
        "default_hook": "unknown top-level key 'default_hook'; did you mean 'default_hooks'?",
        "train_dataloder": "unknown top-level key 'train_dataloder'; did you mean 'train_dataloader'?",
    }
    extra = dict(tta_model=dict(type="Nothing"), norm_cfg=dict(type="BN"), train_pipeline=[], dataset_type="X",
                 data_root="data/", max_epochs=3, model_wrapper_cfg=None, sync_bn=None)
    runner = Runner.from_cfg(_cfg(tmp_path, **extra))
    assert runner.cfg.norm_cfg == dict(type="BN")


def test_model_wrapper_cfg_is_checked_when_the_run_is_distributed(tmp_path):
    wrapper = dict(type="MMDistributedDataParallel", find_unused_parameter=True)
    problems, _ = _problems(_cfg(tmp_path, launcher="pytorch", model_wrapper_cfg=wrapper))  # before any init_dist
    assert problems == {"model_wrapper_cfg": "MMDistributedDataParallel has no argument 'find_unused_parameter'; "
                                             "did you mean 'find_unused_parameters'?"}
    # a single-process run does not wrap the model: its wrapper config is not used, nor checked
    runner = Runner.from_cfg(_cfg(tmp_path, model_wrapper_cfg=wrapper, env_cfg=dict(resource_limit=4096)))
    assert not runner.distributed


def test_forwarded_kwargs_are_checked_against_where_they_go(tmp_path):
    # CheckpointHook's **kwargs go to Runner.save_checkpoint: `meta` is one of its arguments
    hook = dict(type="CheckpointHook", interval=1, meta=dict(note="kept"))
    runner = Runner.from_cfg(_cfg(tmp_path, max_epochs=1, default_hooks=dict(checkpoint=hook)))
    runner.train()
    saved = torch.load(tmp_path / "wd" / "epoch_1.pth", weights_only=True)
    assert saved["meta"]["note"] == "kept"
    # ... but not those the hook sets itself
    problems, _ = _problems(_cfg(tmp_path / "b", default_hooks=dict(checkpoint=dict(type="CheckpointHook",
                                                                                       filename="x.pth"))))
    assert problems == {"default_hooks.checkpoint": "CheckpointHook has no argument 'filename'; "
                                                    "did you mean 'filename_tmpl'?"}


def test_kwargs_handed_to_super_are_checked_and_unknown_destinations_accept_anything(tmp_path):
    hooks = [dict(type="CheckTestTaggedCheckpointHook", tag="t", intervall=2),
             dict(type="CheckTestOpenHook", anything=1, goes=2)]
    problems, _ = _problems(_cfg(tmp_path, custom_hooks=hooks))
    assert problems == {"custom_hooks.0": "CheckTestTaggedCheckpointHook has no argument 'intervall'; "
                                           "did you mean 'interval'?"}
    hooks[0].pop("intervall")
    runner = Runner.from_cfg(_cfg(tmp_path, custom_hooks=hooks))
    assert any(isinstance(h, CheckTestTaggedCheckpointHook) and h.tag == "t" for h in runner.hooks)


def test_types_resolve_in_the_scope_of_the_config(tmp_path):
    hook = dict(type="CheckpointHook", _scope_="mme_check_test", evry=2)
    problems, _ = _problems(_cfg(tmp_path, custom_hooks=[hook]))
    assert problems == {"custom_hooks.0": "ScopedCheckpointHook has no argument 'evry'; did you mean 'every'?"}


def test_pipeline_steps_are_checked_where_the_transform_registry_knows_them(tmp_path):
    dataset = dict(type="CheckTestDataset", pipeline=[dict(type="CheckTestScale", sclae=2.0),
                                                      dict(type="NotATransformHere", anything=1)])
    cfg = _cfg(tmp_path)
    cfg["train_dataloader"]["dataset"] = dataset
    problems, _ = _problems(cfg)
    assert problems == {"train_dataloader.dataset.pipeline.0": "CheckTestScale has no argument 'sclae'; "
                                                                "did you mean 'scale'?"}


def test_runner_arguments_are_checked_without_a_config_too(tmp_path):
    cfg = _cfg(tmp_path)
    cfg["param_scheduler"] = dict(type="MultiStepLR", milestones=[1], by_epcoh=True)
    problems, _ = _problems(cfg, build=lambda c: Runner(**c))
    assert problems == {"param_scheduler": "MultiStepLR has no argument 'by_epcoh'; did you mean 'by_epoch'?"}


def test_build_errors_name_the_config_key(tmp_path):
    cfg = _cfg(tmp_path, model=dict(type="ToyModel", hidden=-1))
    with pytest.raises(RuntimeError) as info:  # torch refuses a negative size while the model is built
        Runner.from_cfg(cfg)
    assert str(info.value).startswith("key 'model': failed to build 'ToyModel'")


BOGUS = "bogus_key_for_the_check"


def _registered(registry, skip=()):
    """The names mme itself registers (test modules register more while the suite is collected)."""
    return sorted(name for name, obj in registry.module_dict.items()
                  if obj.__module__.startswith("mme.") and name not in skip)


@pytest.mark.parametrize("name", _registered(HOOKS))
def test_every_registered_hook_rejects_an_unknown_argument(tmp_path, name):
    problems, _ = _problems(_cfg(tmp_path, custom_hooks=[dict(type=name, **{BOGUS: 1})]))
    assert f"has no argument {BOGUS!r}" in problems["custom_hooks.0"]


@pytest.mark.parametrize("hook, problem", [
    (dict(momentm=0.1), "ExponentialMovingAverage has no argument 'momentm'; did you mean 'momentum'?"),
    (dict(ema_type="StochasticWeightAverage", momentum=0.1),
     "StochasticWeightAverage has no argument 'momentum' (it takes: device, interval, update_buffers)"),
    (dict(ema_type="NoSuchEMA"), "'NoSuchEMA' is not registered in the 'model' registry (scope 'mme')"),
])
def test_ema_hook_kwargs_are_checked_as_the_arguments_of_its_ema_model(tmp_path, hook, problem):
    problems, _ = _problems(_cfg(tmp_path, custom_hooks=[dict(type="EMAHook", **hook)]))
    assert problems == {"custom_hooks.0": problem}
    assert not (tmp_path / "wd").exists()
    cfg = _cfg(tmp_path, custom_hooks=[dict(type="EMAHook", momentum=0.01, begin_iter=2, priority="NORMAL")])
    assert any(type(h).__name__ == "EMAHook" for h in Runner.from_cfg(cfg).hooks)  # its own arguments are not kwargs


def test_a_typo_in_paramwise_cfg_gets_a_close_match(tmp_path):
    cfg = _cfg(tmp_path, optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(bias_lr_mul=2.0)))
    problems, _ = _problems(cfg)
    assert problems["optim_wrapper.paramwise_cfg"].startswith(
        "paramwise_cfg has unknown keys ['bias_lr_mul']; did you mean 'bias_lr_mult'? known keys are [")


@pytest.mark.parametrize("name", _registered(PARAM_SCHEDULERS))
def test_every_registered_scheduler_rejects_an_unknown_argument(tmp_path, name):
    problems, _ = _problems(_cfg(tmp_path, param_scheduler=[dict(type=name, **{BOGUS: 1})]))
    assert f"has no argument {BOGUS!r}" in problems["param_scheduler.0"]


@pytest.mark.parametrize("name", _registered(VISBACKENDS))
def test_every_registered_vis_backend_rejects_an_unknown_argument(tmp_path, name):
    cfg = _cfg(tmp_path, visualizer=dict(type="Visualizer", vis_backends=[dict(type=name, **{BOGUS: 1})]))
    problems, _ = _problems(cfg)
    assert f"has no argument {BOGUS!r}" in problems["visualizer.vis_backends.0"]


def test_a_valid_config_builds_nothing_heavy_up_front(tmp_path):
    built = []

    @DATASETS.register_module(force=True)
    class CheckTestCountingDataset(torch.utils.data.Dataset):
        def __init__(self, size=8):
            built.append(size)

        def __len__(self):
            return 8

        def __getitem__(self, i):
            return {"inputs": torch.zeros(2), "data_samples": 0}

    cfg = _cfg(tmp_path)
    cfg["train_dataloader"]["dataset"] = dict(type="CheckTestCountingDataset", size=8)
    runner = Runner.from_cfg(cfg)
    assert built == [] and not isinstance(runner.optim_wrapper, mme.optim.OptimWrapper)  # still built lazily
    assert os.path.isdir(runner.log_dir)
