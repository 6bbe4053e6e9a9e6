"""The Runner's checkpoint methods one by one: what save_checkpoint writes, what load_checkpoint and
resume take from a checkpoint (and what they do when parts are missing), and how a finished run is
recognised for every form of train_cfg."""

from __future__ import annotations

import pytest
import torch

from mme.hooks import Hook
from mme.registry import DATA_SAMPLERS
from mme.runner import CheckpointError, Runner, UnsafeCheckpointError
from mme.testing import get_toy_cfg


class Opaque:
    """A pickled object that weights_only loading refuses."""


class Watch(Hook):
    """Records what the runner looks like when a checkpoint is loaded and when training starts."""

    def __init__(self) -> None:
        self.resuming: list[bool] = []
        self.start: tuple[int, int] | None = None
        self.iters = 0
        self.weights: torch.Tensor | None = None

    def after_load_checkpoint(self, runner, checkpoint):
        self.resuming.append(runner.is_resuming)

    def before_train(self, runner):
        self.start = (runner.epoch, runner.iter)
        self.weights = runner.model.net[0].weight.detach().clone()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.iters += 1


def _runner(work_dir, watch=None, log_level="WARNING", **overrides) -> Runner:
    cfg = get_toy_cfg(str(work_dir), log_level=log_level, **overrides)
    if watch is not None:
        cfg["custom_hooks"] = [watch]
    return Runner.from_cfg(cfg)


def _log(runner) -> str:
    with open(runner.logger.log_file, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished 2-epoch run: epoch_1.pth, epoch_2.pth."""
    work_dir = tmp_path_factory.mktemp("trained")
    runner = _runner(work_dir)
    runner.train()
    return work_dir, runner


def test_save_checkpoint_writes_every_part_by_default_and_returns_the_path(trained, tmp_path):
    _, runner = trained
    path = runner.save_checkpoint(str(tmp_path), "a.pth", meta={"note": 1})
    assert path == str(tmp_path / "a.pth")
    ckpt = torch.load(path, weights_only=True)
    assert ckpt["meta"]["note"] == 1 and ckpt["meta"]["epoch"] == 2 and ckpt["meta"]["cfg"].startswith("model = ")
    assert ckpt["meta"]["dataset_meta"] == runner.train_dataloader.dataset.metainfo
    assert ckpt["param_schedulers"] == [runner.param_schedulers[0].state_dict()]
    assert set(ckpt) == {"meta", "message_hub", "state_dict", "optimizer", "param_schedulers", "sampler", "rng"}
    lean = torch.load(runner.save_checkpoint(str(tmp_path), "b.pth", save_optimizer=False,
                                             save_param_scheduler=False), weights_only=True)
    assert "optimizer" not in lean and "param_schedulers" not in lean
    with pytest.raises(TypeError, match="meta must be a dict or None, got str"):
        runner.save_checkpoint(str(tmp_path), "c.pth", meta="note")
    with pytest.raises(Exception, match="nobackend"):  # file_client_args, MMEngine's old name, is used
        runner.save_checkpoint(str(tmp_path), "d.pth", file_client_args={"backend": "nobackend"})


@DATA_SAMPLERS.register_module(force=True)
class PlainSampler(torch.utils.data.Sampler):
    """A sampler without a state to save."""

    def __init__(self, dataset, seed=None):
        self.size = len(dataset)

    def __iter__(self):
        return iter(range(self.size))

    def __len__(self):
        return self.size


def test_a_sampler_without_state_leaves_the_sampler_entry_out(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=1, log_level="WARNING")
    cfg["train_dataloader"]["sampler"] = dict(type="PlainSampler")
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert "sampler" not in torch.load(tmp_path / "epoch_1.pth", weights_only=True)


def test_a_runner_that_has_not_trained_saves_what_it_has(tmp_path):
    """Before train() the optimizer and schedulers are still configs, the loop is not built."""
    cfg = get_toy_cfg(str(tmp_path))
    runner = Runner(model=cfg["model"], work_dir=str(tmp_path), log_level="WARNING",
                    train_dataloader=cfg["train_dataloader"], train_cfg=cfg["train_cfg"],
                    optim_wrapper=cfg["optim_wrapper"], param_scheduler=cfg["param_scheduler"])
    ckpt = torch.load(runner.save_checkpoint(str(tmp_path), "fresh.pth"), weights_only=True)
    assert set(ckpt) == {"meta", "message_hub", "state_dict", "rng"}
    assert ckpt["meta"]["cfg"] == "" and "dataset_meta" not in ckpt["meta"]  # no config, no dataset


def test_load_checkpoint_strips_module_prefixes_and_ignores_extra_keys_by_default(trained, tmp_path):
    _, source = trained
    state = {f"module.{k}": v for k, v in source.model.state_dict().items()}  # saved from a DDP wrapper
    state["module.extra.weight"] = torch.zeros(1)
    torch.save({"state_dict": state}, tmp_path / "ddp.pth")
    runner = _runner(tmp_path / "wd")
    runner.load_checkpoint(str(tmp_path / "ddp.pth"))
    assert torch.equal(runner.model.net[0].weight, source.model.net[0].weight)


def test_weights_only_given_to_load_checkpoint_wins_over_the_runners(tmp_path):
    torch.save({"state_dict": {}, "meta": {"obj": Opaque()}}, tmp_path / "trusted.pth")
    runner = _runner(tmp_path / "wd")
    with pytest.raises(UnsafeCheckpointError):
        runner.load_checkpoint(str(tmp_path / "trusted.pth"))
    assert isinstance(runner.load_checkpoint(str(tmp_path / "trusted.pth"), weights_only=False)["meta"]["obj"],
                      Opaque)


def test_a_checkpoint_loaded_by_hand_is_not_replaced_by_load_from(trained, tmp_path):
    work_dir, _ = trained
    watch = Watch()
    runner = _runner(tmp_path / "wd", watch, load_from=str(work_dir / "epoch_1.pth"), max_epochs=1)
    runner.load_checkpoint(str(work_dir / "epoch_2.pth"))
    runner.train()
    epoch_2 = torch.load(work_dir / "epoch_2.pth", weights_only=True)["state_dict"]["net.0.weight"]
    assert torch.equal(watch.weights, epoch_2) and watch.resuming == [False]


def test_resume_by_hand_is_not_repeated_by_train_and_is_seen_by_hooks(trained, tmp_path):
    work_dir, _ = trained
    watch = Watch()
    runner = _runner(tmp_path / "wd", watch, resume=str(work_dir / "epoch_1.pth"), max_epochs=3)
    runner.resume(str(work_dir / "epoch_2.pth"))
    assert watch.resuming == [True] and runner.is_resuming is False
    runner.train()
    assert watch.start == (2, 16) and watch.resuming == [True]  # epoch_1.pth was not loaded


def test_resume_uses_the_map_location_it_is_given(trained, tmp_path):
    work_dir, _ = trained
    seen = []

    def to_cpu(storage, location):
        seen.append(location)
        return storage

    _runner(tmp_path / "wd").resume(str(work_dir / "epoch_1.pth"), map_location=to_cpu)
    assert seen and set(seen) == {"cpu"}


def test_resume_takes_the_checkpoints_seed_and_says_so_only_when_it_differs(trained, tmp_path):
    work_dir, _ = trained
    same = _runner(tmp_path / "same")
    same.resume(str(work_dir / "epoch_1.pth"))
    assert "seed" not in _log(same)
    other = _runner(tmp_path / "other", randomness=dict(seed=5))
    other.resume(str(work_dir / "epoch_1.pth"))
    assert "The seed of the checkpoint (0) differs from the runner's (5); using the checkpoint's" in _log(other)
    assert other.seed == 0


def test_resume_of_a_checkpoint_without_progress_hub_or_rng_starts_at_zero(trained, tmp_path):
    work_dir, _ = trained
    ckpt = torch.load(work_dir / "epoch_1.pth", weights_only=True)
    for key in ("message_hub", "rng", "sampler"):
        del ckpt[key]
    for key in ("epoch", "iter", "inner_iter"):
        del ckpt["meta"][key]
    torch.save(ckpt, tmp_path / "bare.pth")
    watch = Watch()
    runner = _runner(tmp_path / "wd", watch, resume=str(tmp_path / "bare.pth"))
    runner.train()
    assert watch.start == (0, 0) and watch.iters == 16  # 2 epochs of 8 batches
    assert torch.equal(watch.weights, ckpt["state_dict"]["net.0.weight"])


def test_resume_true_with_load_from_resumes_from_load_from(trained, tmp_path):
    work_dir, _ = trained
    watch = Watch()
    runner = _runner(tmp_path / "wd", watch, resume=True, load_from=str(work_dir / "epoch_1.pth"))
    runner.train()
    assert watch.start == (1, 8)
    latest = _runner(tmp_path / "latest", log_level="INFO", resume=True)
    latest.save_checkpoint(str(tmp_path / "latest"), "epoch_1.pth")
    assert latest.find_resume_checkpoint() == str(tmp_path / "latest" / "epoch_1.pth")
    assert f"resume=True: the latest checkpoint of {tmp_path / 'latest'} is" in _log(latest)
    with pytest.raises(CheckpointError, match=r"^load_from \(with resume=True\) names the checkpoint .*gone\.pth, "
                                              r"which does not exist"):
        _runner(tmp_path / "gone", resume=True, load_from=str(tmp_path / "gone.pth"))


@pytest.mark.parametrize("train_cfg", [
    dict(by_epoch=True, max_epochs=2),
    dict(type="EpochBasedTrainLoop", max_epochs=2),
    dict(max_iters=16, val_interval=100),  # iteration-based: by_epoch defaults to False with max_iters
    dict(type="IterBasedTrainLoop", max_iters=16, val_interval=100),
])
def test_resuming_a_finished_run_trains_nothing_for_every_form_of_train_cfg(tmp_path, train_cfg, capsys):
    by_epoch = "max_epochs" in train_cfg
    first = _runner(tmp_path, by_epoch=by_epoch, train_cfg=train_cfg)
    first.train()
    unit, done = ("epoch", 2) if by_epoch else ("iter", 16)
    watch = Watch()
    again = _runner(tmp_path, watch, log_level="INFO", by_epoch=by_epoch, train_cfg=train_cfg, resume=True)
    capsys.readouterr()
    again.train()
    message = f"Nothing to do: the checkpoint {tmp_path / f'{unit}_{done}.pth'} is at {unit} {done}"
    assert message in capsys.readouterr().out
    assert watch.start is None  # no training
    assert again.message_hub.get_scalar("train/loss").current() == first.message_hub.get_scalar(
        "train/loss").current()
    assert torch.equal(again.model.net[0].weight, first.model.net[0].weight)


def test_a_finished_run_is_recognised_from_a_legacy_checkpoint_without_a_hub(trained, tmp_path, capsys):
    work_dir, _ = trained
    legacy_dir = tmp_path / "legacy"
    legacy_dir.mkdir()
    ckpt = torch.load(work_dir / "epoch_2.pth", weights_only=True)
    del ckpt["message_hub"]
    torch.save(ckpt, legacy_dir / "epoch_2.pth", _use_new_zipfile_serialization=False)  # not memory-mappable
    runner = _runner(legacy_dir, log_level="INFO", resume=True)
    capsys.readouterr()
    runner.train()
    assert "Nothing to do: the checkpoint" in capsys.readouterr().out
    assert runner.load_completed_run(str(legacy_dir / "epoch_2.pth"))["meta"]["epoch"] == 2


def test_resume_outside_training_loads_the_weights(trained, tmp_path):
    work_dir, _ = trained
    cfg = dict(test_dataloader=dict(dataset=dict(type="ToyDataset", size=16, seed=2),
                                    sampler=dict(type="DefaultSampler", shuffle=False), batch_size=8),
               test_cfg=dict(), test_evaluator=dict(type="ToyMetric"))
    cfg = get_toy_cfg(str(tmp_path / "wd"), log_level="WARNING", resume=str(work_dir / "epoch_1.pth"), **cfg)
    for key in ("train_dataloader", "train_cfg", "optim_wrapper", "param_scheduler"):  # a test-only runner
        del cfg[key]
    runner = Runner.from_cfg(cfg)
    runner.test()
    epoch_1 = torch.load(work_dir / "epoch_1.pth", weights_only=True)["state_dict"]["net.0.weight"]
    assert torch.equal(runner.model.net[0].weight, epoch_1)
