"""Exact resume: from any checkpoint, epoch- or iteration-based, the final weights are identical."""

from __future__ import annotations

import os

import pytest
import torch

from mme.runner import Runner
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
