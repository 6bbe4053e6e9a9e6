"""Exact resume: from any checkpoint, epoch- or iteration-based, the final weights are identical."""

from __future__ import annotations

import os

import pytest
import torch

from mme.runner import CheckpointError, Runner, find_latest_checkpoint
from mme.testing import get_toy_cfg


def _train(work_dir, resume=None, by_epoch=True):
    ckpt = dict(type="CheckpointHook", interval=3, by_epoch=False)
    if by_epoch:
        cfg = get_toy_cfg(str(work_dir), max_epochs=3, size=60, log_level="WARNING",
                          default_hooks=dict(checkpoint=ckpt))
    else:
        cfg = get_toy_cfg(str(work_dir), by_epoch=False, max_iters=20, log_level="WARNING",
                          default_hooks=dict(checkpoint=ckpt))
        cfg["train_cfg"]["val_interval"] = 7
        # DefaultSampler in an iteration-based loop: epochs of 8 batches roll over
        cfg["train_dataloader"]["sampler"] = dict(type="DefaultSampler", shuffle=True)
    if resume is not None:
        cfg["resume"] = str(resume)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}, runner


@pytest.mark.parametrize("by_epoch", [True, False], ids=["epoch", "iter"])
def test_resume_from_every_checkpoint_is_exact(tmp_path, by_epoch):
    ref, runner = _train(tmp_path / "ref", by_epoch=by_epoch)
    ckpts = sorted((p for p in os.listdir(tmp_path / "ref") if p.endswith(".pth")),
                   key=lambda p: int(p.split("_")[1].split(".")[0]))
    assert len(ckpts) >= 6
    hub_loss = runner.message_hub.get_scalar("train/loss").current()
    for name in ckpts:
        out, resumed = _train(tmp_path / f"r_{name}", resume=tmp_path / "ref" / name, by_epoch=by_epoch)
        for key in ref:
            assert torch.equal(ref[key], out[key]), (name, key)
        if name != ckpts[-1]:  # the last one holds the whole training: nothing runs (see below)
            assert resumed.iter == runner.iter
        assert resumed.message_hub.get_scalar("train/loss").current() == hub_loss


def test_mid_epoch_resume_skips_data_through_the_sampler(tmp_path):
    _train(tmp_path / "ref")
    ckpt = torch.load(tmp_path / "ref" / "iter_3.pth", weights_only=True)
    assert ckpt["meta"]["inner_iter"] == 3 and ckpt["meta"]["epoch"] == 0
    assert ckpt["sampler"]["position"] == 3 * 8 and ckpt["sampler"]["epoch"] == 0

    loaded = []

    class CountingDataset(torch.utils.data.Dataset):
        def __init__(self, inner):
            self.inner = inner
            self.metainfo = inner.metainfo

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, i):
            loaded.append(i)
            return self.inner[i]

    from mme.testing import ToyDataset

    cfg = get_toy_cfg(str(tmp_path / "count"), max_epochs=1, size=60, log_level="WARNING",
                      resume=str(tmp_path / "ref" / "iter_3.pth"))
    cfg["train_dataloader"]["dataset"] = CountingDataset(ToyDataset(size=60))
    Runner.from_cfg(cfg).train()
    assert len(loaded) == 60 - 3 * 8


def test_resume_without_a_fixed_seed_adopts_the_checkpoint_seed(tmp_path):
    def train(work_dir, resume=None):
        cfg = get_toy_cfg(str(work_dir), max_epochs=3, size=60, log_level="ERROR", randomness=dict(seed=None),
                          default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=4, by_epoch=False)))
        if resume is not None:
            cfg["resume"] = str(resume)
        runner = Runner.from_cfg(cfg)
        runner.train()
        return runner.model.state_dict(), runner.seed

    ref, seed = train(tmp_path / "ref")
    for name in ("iter_4.pth", "iter_16.pth"):
        out, resumed_seed = train(tmp_path / name, resume=tmp_path / "ref" / name)
        assert resumed_seed == seed
        assert all(torch.equal(ref[k], out[k]) for k in ref), name


class NoisyToyDataset(torch.utils.data.Dataset):
    """ToyDataset with a random jitter drawn in the DataLoader worker, as an augmentation does."""

    def __init__(self):
        from mme.testing import ToyDataset

        self.inner = ToyDataset(size=48)
        self.metainfo = self.inner.metainfo

    def __len__(self):
        return len(self.inner)

    def __getitem__(self, index):
        item = self.inner[index]
        return dict(item, inputs=item["inputs"] + 0.1 * torch.randn(2))


def test_resume_at_epoch_boundaries_is_exact_with_random_augmentation_in_workers(tmp_path):
    def train(work_dir, resume=None):
        cfg = get_toy_cfg(str(work_dir), max_epochs=3, log_level="ERROR",
                          default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)))
        cfg["train_dataloader"].update(dataset=NoisyToyDataset(), num_workers=2)
        if resume is not None:
            cfg["resume"] = str(resume)
        runner = Runner.from_cfg(cfg)
        runner.train()
        return {k: v.clone() for k, v in runner.model.state_dict().items()}

    ref = train(tmp_path / "ref")
    for name in ("epoch_1.pth", "epoch_2.pth"):
        out = train(tmp_path / name, resume=tmp_path / "ref" / name)
        assert all(torch.equal(ref[k], out[k]) for k in ref), name


# -- faults of resume: visible, never silent --------------------------------------------------
def _run_dirs(work_dir):
    return sorted(p.name for p in work_dir.iterdir() if p.is_dir())


def _toy(work_dir, max_epochs=2, **overrides):
    overrides.setdefault("log_level", "INFO")
    return get_toy_cfg(str(work_dir), max_epochs=max_epochs, size=16, **overrides)


@pytest.fixture
def finished(tmp_path):
    """A work dir whose run trained 2 epochs (epoch_1.pth, epoch_2.pth, last_checkpoint)."""
    work = tmp_path / "wd"
    runner = Runner.from_cfg(_toy(work, log_level="WARNING"))
    runner.train()
    return work, {k: v.clone() for k, v in runner.model.state_dict().items()}


def test_resume_when_last_checkpoint_names_a_missing_file_and_no_other_exists_is_an_error(finished):
    work, _ = finished
    pointer = work / "last_checkpoint"
    for name in ("epoch_1.pth", "epoch_2.pth"):
        (work / name).unlink()
    dirs = _run_dirs(work)
    with pytest.raises(CheckpointError) as info:
        Runner.from_cfg(_toy(work, resume=True))
    message = str(info.value)
    assert f"{pointer} names the checkpoint {work / 'epoch_2.pth'}, which does not exist" in message
    assert f"delete {pointer} to start the run from scratch" in message
    assert pointer.read_text() == str(work / "epoch_2.pth")  # left as it was
    assert _run_dirs(work) == dirs  # and no run folder was made


def test_falling_back_to_an_older_checkpoint_is_a_warning_in_the_run_log(finished):
    work, _ = finished
    (work / "epoch_2.pth").unlink()
    runner = Runner.from_cfg(_toy(work, max_epochs=3, resume=True))
    runner.train()
    assert runner.epoch == 3
    log = open(runner.logger.log_file, encoding="utf-8").read()
    assert (f"WARNING - {work / 'last_checkpoint'} names the checkpoint {work / 'epoch_2.pth'}, which does not "
            f"exist; falling back to {work / 'epoch_1.pth'}, the newest complete checkpoint found") in log
    assert f"resumed epoch: 1, iter: 2 from {work / 'epoch_1.pth'}" in log


def test_an_incomplete_checkpoint_named_by_last_checkpoint_is_an_error_when_nothing_else_exists(finished):
    work, _ = finished
    (work / "epoch_1.pth").unlink()
    data = (work / "epoch_2.pth").read_bytes()
    (work / "epoch_2.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="which is incomplete"):
        Runner.from_cfg(_toy(work, resume=True))


def test_find_latest_checkpoint_logs_its_fallback_to_the_logger_given(finished):
    work, _ = finished
    (work / "epoch_2.pth").unlink()
    records = []

    class Collect:
        def warning(self, msg, *args):
            records.append(msg % args)

        info = warning

    assert find_latest_checkpoint(str(work), logger=Collect()) == str(work / "epoch_1.pth")
    assert len(records) == 1 and "falling back to" in records[0]


def test_resume_in_an_empty_work_dir_starts_fresh_and_says_so(tmp_path):
    runner = Runner.from_cfg(_toy(tmp_path / "wd", max_epochs=1, resume=True))
    runner.train()
    assert runner.epoch == 1
    log = open(runner.logger.log_file, encoding="utf-8").read()
    assert f"INFO - resume=True but {tmp_path / 'wd'} has no checkpoint yet; training from scratch" in log


def test_resume_from_a_missing_path_fails_at_construction(tmp_path):
    missing = tmp_path / "nope" / "epoch_3.pth"
    with pytest.raises(CheckpointError, match=f"resume names the checkpoint {missing}, which does not exist"):
        Runner.from_cfg(_toy(tmp_path / "wd", resume=str(missing)))
    assert not any(p.is_dir() for p in (tmp_path / "wd").iterdir())


def test_resuming_a_finished_run_does_nothing_and_creates_no_run_folder(finished, capsys):
    work, trained = finished
    before = sorted(os.listdir(work))
    stamps = {name: os.stat(work / name).st_mtime_ns for name in before if name.endswith(".pth")}
    capsys.readouterr()
    runner = Runner.from_cfg(_toy(work, resume=True))
    assert sorted(os.listdir(work)) == before
    model = runner.train()
    out = capsys.readouterr().out
    assert (f"Nothing to do: the checkpoint {work / 'epoch_2.pth'} is at epoch 2 and train_cfg.max_epochs is 2, "
            "so this run's training is complete (raise max_epochs to train further)") in out
    assert sorted(os.listdir(work)) == before
    assert {name: os.stat(work / name).st_mtime_ns for name in stamps} == stamps
    assert all(torch.equal(model.state_dict()[k], v) for k, v in trained.items())  # the trained model
    # evaluating afterwards is a real run: it gets its log folder then
    dirs = _run_dirs(work)
    assert runner.val()["accuracy"] > 50
    assert _run_dirs(work) == sorted([*dirs, os.path.basename(runner.log_dir)])


def test_iteration_based_finished_run_is_recognised(tmp_path, capsys):
    work = tmp_path / "wd"
    Runner.from_cfg(get_toy_cfg(str(work), by_epoch=False, max_iters=6, log_level="WARNING")).train()
    capsys.readouterr()
    Runner.from_cfg(get_toy_cfg(str(work), by_epoch=False, max_iters=6, log_level="WARNING", resume=True)).train()
    assert f"the checkpoint {work / 'iter_6.pth'} is at iter 6 and train_cfg.max_iters is 6" in capsys.readouterr().out
    longer = Runner.from_cfg(get_toy_cfg(str(work), by_epoch=False, max_iters=8, log_level="WARNING", resume=True))
    longer.train()
    assert longer.iter == 8


def test_cli_resume_of_a_finished_run_exits_0_and_says_so(finished, tmp_path, capsys):
    from mme.cli import main
    from mme.config import Config

    work, _ = finished
    cfg = _toy(work)
    cfg["custom_imports"] = dict(imports=["mme.testing"], allow_failed_imports=False)
    path = tmp_path / "toy.py"
    Config(cfg).dump(str(path))
    before = sorted(os.listdir(work))
    capsys.readouterr()
    assert main(["train", str(path), "--resume"]) == 0
    assert "Nothing to do" in capsys.readouterr().out
    assert sorted(os.listdir(work)) == before
