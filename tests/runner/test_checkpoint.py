"""Checkpoint files: content, weights_only loading, truncation, key reports, latest selection."""

from __future__ import annotations

import collections
import logging
import os
import re
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
    publish_checkpoint,
    save_checkpoint,
    to_weights_only_safe,
    weights_to_cpu,
)
from mme.runner._checkpoint import _load_checkpoint
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


# -- the checkpoint functions one by one


def test_weights_to_cpu_detaches_tensors_and_keeps_other_values():
    weight = torch.ones(2, requires_grad=True)
    out = weights_to_cpu({"w": weight, "step": 3, "name": "fc"})
    assert list(out) == ["w", "step", "name"]
    assert out["step"] == 3 and out["name"] == "fc"
    assert torch.equal(out["w"], weight.detach()) and not out["w"].requires_grad


def test_to_weights_only_safe_keeps_mapping_types_and_turns_named_tuples_into_lists():
    point = collections.namedtuple("Point", "x y")
    out = to_weights_only_safe({
        "counts": collections.Counter(a=2),
        "ordered": collections.OrderedDict(b=1, a=2),
        "plain": {"z": 1},
        "pair": (1, 2),
        "point": point(1, 2),
        "label": type("Label", (str,), {})("cat"),
    })
    assert type(out["counts"]) is collections.Counter and out["counts"] == {"a": 2}
    assert type(out["ordered"]) is collections.OrderedDict and list(out["ordered"]) == ["b", "a"]
    assert type(out["plain"]) is dict
    assert out["pair"] == (1, 2) and type(out["pair"]) is tuple
    assert out["point"] == [1, 2] and type(out["point"]) is list
    assert out["label"] == "cat" and type(out["label"]) is str
    with pytest.raises(CheckpointError, match=r"^checkpoint\['meta'\] holds a "):
        to_weights_only_safe({"meta": Opaque()})


def test_publish_checkpoint_returns_the_hashed_copy(tmp_path):
    import hashlib

    path = tmp_path / "epoch_1.pth"
    save_checkpoint({"meta": {"epoch": 1}, "state_dict": {"w": torch.ones(1)}, "optimizer": {}}, str(path))
    published = publish_checkpoint(str(path), ["state_dict"])
    data = open(published, "rb").read()
    assert published == f"{tmp_path}/epoch_1-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    assert list(torch.load(published, weights_only=True)) == ["state_dict"]


def test_publish_checkpoint_refuses_unsafe_pickles(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "meta": {"obj": Opaque()}}, path)
    with pytest.raises(UnsafeCheckpointError):
        publish_checkpoint(str(path), ["state_dict"])


def test_is_complete_checkpoint_is_false_for_missing_and_unreadable_paths(tmp_path):
    assert is_complete_checkpoint(str(tmp_path / "nope.pth")) is False
    assert is_complete_checkpoint(str(tmp_path)) is False  # a folder: exists, but cannot be read


def test_truncated_file_message_says_what_probably_happened(tmp_path):
    path = tmp_path / "half.pth"
    path.write_bytes(b"PK\x03\x04 half a zip")
    assert is_complete_checkpoint(str(path)) is False
    with pytest.raises(IncompleteCheckpointError, match="not a complete torch checkpoint.*written by a process that"):
        load_checkpoint(nn.Linear(1, 1), str(path))


def test_unsafe_checkpoint_message_gives_torchs_reason(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "meta": {"obj": Opaque()}}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint(nn.Linear(1, 1), str(path))
    message = str(info.value)
    assert f"weights_only loading refuses (Unsupported global: GLOBAL {Opaque.__module__}.Opaque was not" in message


@pytest.mark.parametrize("weights_only", [True, False])
def test_an_unreadable_legacy_pickle_is_reported_corrupt_with_the_reason(tmp_path, weights_only):
    path = tmp_path / "legacy.pth"
    path.write_bytes(b"\x80\x02\x7f not a pickle")  # opcode 127 does not exist
    reason = "Unsupported operand 127" if weights_only else "invalid load key, '\\x7f'."  # torch's, then pickle's
    pattern = rf"legacy\.pth is truncated or corrupt \({re.escape(reason)}\); it has no checksums"
    with pytest.raises(IncompleteCheckpointError, match=pattern) as info:
        load_checkpoint(nn.Linear(1, 1), str(path), weights_only=weights_only)
    assert not isinstance(info.value, UnsafeCheckpointError)  # damaged bytes are not a refused object


def test_an_unsafe_legacy_pickle_is_refused_as_unsafe(tmp_path):
    path = tmp_path / "legacy.pth"
    torch.save({"meta": {"obj": Opaque()}}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError, match=r"refuses \(Unsupported global: GLOBAL .*Opaque was not"):
        load_checkpoint(nn.Linear(1, 1), str(path))


def _flips(data: bytes):
    """``data`` with each byte inverted in turn."""
    for at in range(len(data)):
        yield at, data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def test_every_damaged_byte_of_a_zip_checkpoint_is_an_error_or_harmless(tmp_path):
    """Bytes outside the members' data (headers, directory) are not covered by the CRC-32s: each
    damaged byte must still either load the very same checkpoint or raise a CheckpointError."""
    state = {"meta": {"epoch": 1, "name": "x"}, "state_dict": {"w": torch.arange(10.0)}}
    path = tmp_path / "ckpt.pth"
    save_checkpoint(state, str(path))
    outcomes = collections.Counter()
    for at, damaged in _flips(path.read_bytes()):
        path.write_bytes(damaged)
        try:
            loaded = _load_checkpoint(str(path))
        except CheckpointError:
            outcomes["error"] += 1
            continue
        assert loaded["meta"] == state["meta"], at
        assert torch.equal(loaded["state_dict"]["w"], state["state_dict"]["w"]), at
        outcomes["same"] += 1
    assert outcomes["error"] > 500 and outcomes["same"] > 500  # both happen: timestamps and padding are harmless


def test_every_damaged_byte_of_a_legacy_checkpoint_is_an_error_or_loads(tmp_path):
    """The legacy format has no checksums, so damage can go unseen; but it never escapes as another
    exception (UnicodeDecodeError, MemoryError, ...) and is never called unsafe."""
    path = tmp_path / "ckpt.pth"
    torch.save({"meta": {"epoch": 1}, "state_dict": {"w": torch.arange(10.0)}}, path,
               _use_new_zipfile_serialization=False)
    outcomes = collections.Counter()
    for _, damaged in _flips(path.read_bytes()):
        path.write_bytes(damaged)
        try:
            _load_checkpoint(str(path))
            outcomes["loaded"] += 1
        except CheckpointError as e:
            outcomes[type(e).__name__] += 1
    assert set(outcomes) == {"loaded", "IncompleteCheckpointError"}, outcomes


def _write_ckpts(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        save_checkpoint({"meta": {}}, str(folder / name))


def test_find_latest_checkpoint_without_a_pointer_takes_the_highest_step(tmp_path, caplog):
    _write_ckpts(tmp_path, "epoch_2.pth", "epoch_10.pth", "epoch_9.pth", "notes.pth")
    with caplog.at_level("WARNING"):
        assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / "epoch_10.pth")
    assert caplog.text == ""
    (tmp_path / "epoch_10.pth").write_bytes(b"PK\x03\x04 truncated")
    with caplog.at_level("WARNING"):
        assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / "epoch_9.pth")
    assert f"skipping incomplete checkpoint {tmp_path / 'epoch_10.pth'}" in caplog.text


def test_find_latest_checkpoint_falls_back_next_to_the_named_file(tmp_path, caplog):
    wd, elsewhere = tmp_path / "wd", tmp_path / "elsewhere"
    _write_ckpts(wd, "epoch_1.pth")
    _write_ckpts(elsewhere, "epoch_2.pth")
    (wd / "last_checkpoint").write_text(str(elsewhere / "epoch_3.pth"))  # named but missing
    with caplog.at_level("WARNING"):
        assert find_latest_checkpoint(str(wd)) == str(elsewhere / "epoch_2.pth")
    assert "which does not exist; falling back to" in caplog.text
    (wd / "last_checkpoint").write_text("epoch_3.pth")  # a bare name: the search stays in work_dir
    assert find_latest_checkpoint(str(wd)) == str(wd / "epoch_1.pth")


# -- the Runner's checkpoint methods


def test_deferred_log_replays_each_record_once_in_order(caplog):
    from mme.runner._checkpoint_mixin import DeferredLog

    early = DeferredLog()
    early.info("found %s in %s", "epoch_2.pth", "wd")
    early.warning("plain 100% text")
    logger = logging.getLogger("tests.runner.deferred")
    with caplog.at_level("INFO", logger="tests.runner.deferred"):
        early.replay(logger)
        early.replay(logger)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "found epoch_2.pth in wd"), ("WARNING", "plain 100% text")]


def test_checkpoint_backend_args_are_read_from_the_hook_configs():
    from mme.hooks import CheckpointHook, LoggerHook
    from mme.runner._checkpoint_mixin import checkpoint_backend_args

    args = {"backend": "local", "root": "x"}
    assert checkpoint_backend_args({"checkpoint": dict(type="CheckpointHook", backend_args=args)}, None) == args
    assert checkpoint_backend_args({"checkpoint": dict(type="CheckpointHook", file_client_args=args)}, None) == args
    assert checkpoint_backend_args({"checkpoint": dict(type=CheckpointHook, backend_args=args)}, None) == args
    assert checkpoint_backend_args({}, [dict(type="CheckpointHook", _scope_="mme", backend_args=args)]) == args
    assert checkpoint_backend_args({}, [CheckpointHook(backend_args=args)]) == args
    others = {"logger": dict(type=LoggerHook, backend_args=args), "odd": dict(type="NoSuchHookAnywhere"),
              "built": LoggerHook(), "checkpoint": dict(type="CheckpointHook")}
    assert checkpoint_backend_args(others, None) is None
    others["checkpoint"] = dict(type="CheckpointHook", backend_args=args)  # found after every other kind of hook
    assert checkpoint_backend_args(others, None) == args


class _CheckpointEditHook:
    """Adds a key to every saved checkpoint and records what loading saw."""

    priority = "NORMAL"

    def __init__(self):
        self.loaded = []

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint["extra"] = {"from": "hook"}

    def after_load_checkpoint(self, runner, checkpoint):
        self.loaded.append(sorted(checkpoint))


@pytest.fixture()
def toy_runner(tmp_path):
    from mme.hooks import Hook

    edit = type("CheckpointEditHook", (_CheckpointEditHook, Hook), {})()
    runner = Runner.from_cfg(get_toy_cfg(str(tmp_path), max_epochs=1, log_level="INFO"))
    runner.register_hook(edit)
    runner.train()
    return runner, edit


def test_runner_save_checkpoint_options_and_hooks(toy_runner, tmp_path):
    import re

    runner, _ = toy_runner
    meta = {"note": "mine"}
    path = runner.save_checkpoint(str(tmp_path), "lean.pth", save_optimizer=False, save_param_scheduler=False,
                                  meta=meta)
    assert meta == {"note": "mine"}  # the caller's dict is not filled in
    ckpt = torch.load(path, weights_only=True)
    assert "optimizer" not in ckpt and "param_schedulers" not in ckpt
    assert ckpt["extra"] == {"from": "hook"}
    assert ckpt["meta"]["note"] == "mine" and re.fullmatch(r"\d{8}_\d{6}", ckpt["meta"]["time"])
    full = torch.load(runner.save_checkpoint(str(tmp_path), "full.pth"), weights_only=True)
    assert "optimizer" in full and "param_schedulers" in full


def _run_log(runner):
    with open(runner.logger.log_file, encoding="utf-8") as f:
        return f.read()


def test_runner_load_checkpoint_revises_keys_runs_hooks_and_logs(toy_runner, tmp_path):
    runner, edit = toy_runner
    state = {f"backbone.{k}": torch.full_like(v, 0.5) for k, v in runner.model.state_dict().items()}
    save_checkpoint({"state_dict": state, "meta": {}}, str(tmp_path / "renamed.pth"))
    runner.load_checkpoint(str(tmp_path / "renamed.pth"), revise_keys=[(r"^backbone\.", "")], strict=True)
    assert all(torch.all(v == 0.5) for v in runner.model.state_dict().values())
    assert edit.loaded[-1] == ["meta", "state_dict"]
    assert f"Load checkpoint from {tmp_path / 'renamed.pth'}" in _run_log(runner)


def test_runner_resume_without_optimizer_and_schedulers(toy_runner, tmp_path):
    runner, _ = toy_runner
    path = runner.save_checkpoint(str(tmp_path), "r.pth")
    fresh = Runner.from_cfg(get_toy_cfg(str(tmp_path / "fresh"), max_epochs=2, log_level="INFO",
                                        randomness=dict(seed=5)))
    fresh.resume(path, resume_optimizer=False, resume_param_scheduler=False)
    assert "The seed of the checkpoint (0) differs from the runner's (5)" in _run_log(fresh)
    assert fresh.epoch == 1
    # neither was built to take the saved state: they stay configs until training builds them
    assert isinstance(fresh.optim_wrapper, dict)
    assert isinstance(fresh.param_schedulers, dict)
    again = Runner.from_cfg(get_toy_cfg(str(tmp_path / "again"), max_epochs=2, log_level="INFO"))
    again.resume(path)
    assert again.optim_wrapper.optimizer.state  # built, with the saved state
    assert [s.last_step for s in again.param_schedulers] == [s.last_step for s in runner.param_schedulers]


def test_find_latest_checkpoint_error_names_both_folders_searched(tmp_path):
    wd, elsewhere = tmp_path / "wd", tmp_path / "elsewhere"
    wd.mkdir()
    elsewhere.mkdir()
    (wd / "last_checkpoint").write_text(str(elsewhere / "epoch_3.pth"))
    with pytest.raises(CheckpointError, match=f"no other complete checkpoint was found in {elsewhere} or {wd};"):
        find_latest_checkpoint(str(wd))


def test_a_zip_that_torch_cannot_read_is_reported_corrupt(tmp_path):
    import pickle
    import zipfile

    path = tmp_path / "odd.pth"
    with zipfile.ZipFile(path, "w") as zf:  # complete as a zip, but not torch's layout (no version record)
        zf.writestr("archive/data.pkl", pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(CheckpointError, match=r"odd\.pth cannot be loaded: RuntimeError: .*version") as info:
        load_checkpoint(nn.Linear(1, 1), str(path))
    assert not isinstance(info.value, IncompleteCheckpointError)  # its bytes match their checksums


def test_checkpoint_backend_args_of_a_hook_in_another_scope():
    from mme.hooks import CheckpointHook
    from mme.registry import HOOKS, Registry
    from mme.runner._checkpoint_mixin import checkpoint_backend_args

    scoped = HOOKS.children.get("ckptbeh") or Registry("hook", parent=HOOKS, scope="ckptbeh")
    scoped.register_module("ScopedCheckpointHook", module=type("ScopedCheckpointHook", (CheckpointHook,), {}),
                           force=True)
    args = {"backend": "local"}
    hooks = {"checkpoint": dict(type="ScopedCheckpointHook", _scope_="ckptbeh", backend_args=args)}
    assert checkpoint_backend_args(hooks, None) == args
