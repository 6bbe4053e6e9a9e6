"""Checkpoint files: content, weights_only loading, truncation, key reports, latest selection."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from mme.runner import (
    CheckpointError,
    IncompleteCheckpointError,
    Runner,
    UnsafeCheckpointError,
    find_latest_checkpoint,
    is_complete_checkpoint,
    load_checkpoint,
    load_state_dict,
    save_checkpoint,
)
from mme.testing import get_toy_cfg


class Opaque:
    """A class torch's weights_only unpickler does not allow."""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    wd = tmp_path_factory.mktemp("ckpt")
    cfg = get_toy_cfg(str(wd), max_epochs=2, log_level="WARNING")
    runner = Runner.from_cfg(cfg)
    runner.train()
    return wd


def test_checkpoint_content_loads_weights_only(trained):
    ckpt = torch.load(trained / "epoch_2.pth", weights_only=True)
    assert set(ckpt) >= {"meta", "state_dict", "optimizer", "param_schedulers", "message_hub", "sampler", "rng"}
    meta = ckpt["meta"]
    assert meta["epoch"] == 2 and meta["iter"] == 16 and meta["seed"] == 0
    assert "model" in meta["cfg"] and meta["mme_version"]
    assert meta["dataset_meta"]["classes"] == ("neg", "pos")
    assert set(ckpt["sampler"]) >= {"epoch", "seed", "position"}
    assert set(ckpt["rng"]) >= {"python", "numpy", "torch"}


def test_prefix_stripping_and_mismatch_report(tmp_path, caplog):
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    state = {f"module.{k}": v for k, v in model.state_dict().items()}
    save_checkpoint({"state_dict": state}, str(tmp_path / "a.pth"))
    other = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    load_checkpoint(other, str(tmp_path / "a.pth"), strict=True)
    assert torch.equal(other[0].weight, model[0].weight)

    bigger = nn.Sequential(nn.Linear(2, 4), nn.Linear(3, 1), nn.Linear(1, 1))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(bigger, str(tmp_path / "a.pth"), strict=True)
    text = str(info.value)
    assert "size mismatch" in text and "0.weight" in text and "missing keys" in text and "2.weight" in text
    problems = load_state_dict(bigger, {"0.weight": torch.zeros(9), "extra": torch.zeros(1)})
    assert any("unexpected" in p and "extra" in p for p in problems)


def test_truncated_checkpoint_refused_and_never_latest(trained, tmp_path):
    import shutil

    wd = tmp_path / "wd"
    shutil.copytree(trained, wd)
    good = wd / "epoch_1.pth"
    bad = wd / "epoch_2.pth"
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    assert not is_complete_checkpoint(str(bad))
    with pytest.raises(IncompleteCheckpointError, match="truncated"):
        load_checkpoint(nn.Linear(1, 1), str(bad))
    (wd / "last_checkpoint").write_text(str(bad))
    assert find_latest_checkpoint(str(wd)) == str(good)
    (wd / "last_checkpoint").unlink()
    assert find_latest_checkpoint(str(wd)) == str(good)
    bad.write_bytes(b"")
    assert find_latest_checkpoint(str(wd)) == str(good)


def test_pickled_object_refused_by_default(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "meta": {"obj": Opaque()}}, path)
    with pytest.raises(UnsafeCheckpointError, match="weights_only=False"):
        load_checkpoint(nn.Linear(1, 1), str(path))
    ckpt = load_checkpoint(nn.Linear(1, 1), str(path), weights_only=False)
    assert isinstance(ckpt["meta"]["obj"], Opaque)


def test_save_converts_numpy_and_rejects_objects(tmp_path):
    path = tmp_path / "np.pth"
    save_checkpoint({"a": np.float64(1.5), "b": np.arange(3), "c": collections.OrderedDict(x=1)}, str(path))
    ckpt = torch.load(path, weights_only=True)
    assert ckpt["a"] == 1.5 and isinstance(ckpt["a"], float)
    assert torch.equal(ckpt["b"], torch.arange(3))
    with pytest.raises(CheckpointError, match=r"\['meta'\]\['obj'\]"):
        save_checkpoint({"meta": {"obj": Opaque()}}, str(tmp_path / "x.pth"))
    assert not os.path.exists(tmp_path / "x.pth")


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(nn.Linear(1, 1), str(tmp_path / "nope.pth"))
    assert find_latest_checkpoint(str(tmp_path)) is None


def test_resume_true_finds_latest(trained, tmp_path):
    import shutil

    wd = tmp_path / "wd"
    shutil.copytree(trained, wd)
    cfg = get_toy_cfg(str(wd), max_epochs=3, log_level="WARNING", resume=True)
    (wd / "last_checkpoint").write_text(str(wd / "epoch_2.pth"))
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 3
    assert torch.load(wd / "epoch_3.pth", weights_only=True)["meta"]["iter"] == 24


def test_runner_weights_only_opt_out_for_legacy_files(trained, tmp_path):
    ckpt = torch.load(trained / "epoch_2.pth", weights_only=True)
    ckpt["meta"]["legacy"] = Opaque()
    legacy = tmp_path / "legacy.pth"
    torch.save(ckpt, legacy)
    cfg = get_toy_cfg(str(tmp_path / "a"), log_level="WARNING", load_from=str(legacy))
    with pytest.raises(UnsafeCheckpointError):
        Runner.from_cfg(cfg).val()
    cfg = get_toy_cfg(str(tmp_path / "b"), log_level="WARNING", load_from=str(legacy), weights_only=False)
    assert Runner.from_cfg(cfg).val()["accuracy"] > 50


def _flip_tensor_bytes(path) -> str:
    """Flip an exponent bit of some float32 values in every tensor of checkpoint ``path``; the zip's layout stays."""
    import zipfile

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        members = [i for i in zf.infolist() if "/data/" in i.filename and not i.filename.endswith(".pkl")]
    for info in members:
        name_len = int.from_bytes(data[info.header_offset + 26: info.header_offset + 28], "little")
        extra_len = int.from_bytes(data[info.header_offset + 28: info.header_offset + 30], "little")
        start = info.header_offset + 30 + name_len + extra_len
        for offset in range(start + 3, start + info.file_size, 16):  # the high byte of every 4th float
            data[offset] ^= 0x40
    path.write_bytes(bytes(data))
    return members[0].filename.split("/data/")[0] + "/data/"


def test_flipped_bits_in_tensor_data_are_a_clear_error(trained, tmp_path):
    import shutil

    wd = tmp_path / "wd"
    shutil.copytree(trained, wd)
    path = wd / "epoch_2.pth"
    good = torch.load(path, weights_only=True)["state_dict"]
    member = _flip_tensor_bytes(path) + r"\d+"
    flipped = torch.load(path, weights_only=True)["state_dict"]  # torch itself loads the damage silently
    assert any(not torch.equal(good[k], flipped[k]) for k in good)
    assert is_complete_checkpoint(str(path))  # the zip is intact: only the checksum tells
    pattern = rf"checkpoint {path} is corrupt: member {member} \(\d+ bytes\) has CRC-32 [0-9a-f]{{8}}, its zip dir"
    with pytest.raises(IncompleteCheckpointError, match=pattern):
        load_checkpoint(nn.Linear(1, 1), str(path))
    (wd / "last_checkpoint").write_text(str(path))
    cfg = get_toy_cfg(str(wd), max_epochs=3, log_level="WARNING", resume=True)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(IncompleteCheckpointError, match=rf"checkpoint {path} is corrupt: member {member} "):
        runner.train()  # resuming from the damaged last checkpoint
    assert not (wd / "epoch_3.pth").exists()


def test_checkpoint_without_checksums_loads_unverified_with_a_debug_line(tmp_path, caplog):
    model = nn.Linear(2, 2)
    path = tmp_path / "legacy.pth"
    torch.save({"state_dict": model.state_dict()}, path, _use_new_zipfile_serialization=False)
    other = nn.Linear(2, 2)
    with caplog.at_level("DEBUG", logger="mme.runner"):
        load_checkpoint(other, str(path), strict=True)
    assert torch.equal(other.weight, model.weight)
    assert f"checkpoint {path} has no checksums (torch's legacy non-zip format" in caplog.text
    unrecorded = tmp_path / "unrecorded.pth"  # torch.save writes CRC-32 0 when told not to compute them
    torch.serialization.set_crc32_options(False)
    try:
        torch.save({"state_dict": model.state_dict()}, unrecorded)
    finally:
        torch.serialization.set_crc32_options(True)
    caplog.clear()
    with caplog.at_level("DEBUG", logger="mme.runner"):
        load_checkpoint(other, str(unrecorded), strict=True)
    assert f"checkpoint {unrecorded} has no checksums" in caplog.text


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL to kill a save midway")
def test_temp_file_of_a_killed_save_is_removed_at_the_next_start(trained, tmp_path):
    import shutil

    wd = tmp_path / "wd"
    shutil.copytree(trained, wd)
    (wd / "last_checkpoint").write_text(str(wd / "epoch_2.pth"))
    kill_midway = ("import os, signal, sys\n"
                   "from mme.fileio import atomic_write\n"
                   "def write(f):\n"
                   "    f.write(b'half a checkpoint')\n"
                   "    f.flush()\n"
                   "    os.kill(os.getpid(), signal.SIGKILL)\n"
                   "atomic_write(sys.argv[1], write)\n")
    proc = subprocess.run([sys.executable, "-c", kill_midway, str(wd / "epoch_3.pth")], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    leftovers = [p.name for p in wd.iterdir() if p.name.startswith(".epoch_3.pth.")]
    assert len(leftovers) == 1 and not (wd / "epoch_3.pth").exists()
    users = [".notes.tmp", "epoch_3.pth.tmp", ".epoch_3.pth.backup.tmp", ".epoch_3.pth.0123456789AB.tmp"]
    for name in users:  # user files that only look alike stay
        (wd / name).write_text("mine")
    runner = Runner.from_cfg(get_toy_cfg(str(wd), max_epochs=3, log_level="WARNING", resume=True))
    runner.train()
    assert not (wd / leftovers[0]).exists()
    assert all((wd / name).read_text() == "mine" for name in users)
    assert runner.epoch == 3 and (wd / "epoch_3.pth").exists()
    log = open(runner.logger.log_file, encoding="utf-8").read()
    assert f"Removed 1 temporary file(s) left in {wd} by a save that was interrupted" in log and leftovers[0] in log
