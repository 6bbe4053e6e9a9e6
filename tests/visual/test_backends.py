"""Every backend: lazy construction, the missing-extra error, and the real library offline/locally."""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mme.config import Config
from mme.registry import VISBACKENDS
from mme.visualization import BackendNotInstalledError, BaseVisBackend, Visualizer

# backend type -> (top-level module, extra)
THIRD_PARTY = {
    "TensorboardVisBackend": ("tensorboard", "tensorboard"),
    "WandbVisBackend": ("wandb", "wandb"),
    "MLflowVisBackend": ("mlflow", "mlflow"),
    "ClearMLVisBackend": ("clearml", "clearml"),
    "NeptuneVisBackend": ("neptune", "neptune"),
    "DVCLiveVisBackend": ("dvclive", "dvclive"),
    "AimVisBackend": ("aim", "aim"),
}
CONFIG = {"model": {"type": "Net", "depth": 3}, "optim": {"lr": 0.1}, "work_dir": "w"}
IMAGE = np.arange(8 * 6 * 3, dtype=np.uint8).reshape(8, 6, 3)


def run_isolated(check: str, tmp_path: Path, env: dict[str, str] | None = None, timeout: float = 300) -> None:
    """Run ``check(tmp_path)`` of this module in a fresh interpreter, with ``tmp_path`` as its cwd.

    Third-party trackers leave threads, service processes and exception hooks behind (wandb's
    service, neptune's excepthook, clearml's reporter); a child process keeps them out of the
    rest of the test session, and the timeout turns a hang into a failure.
    """
    here = Path(__file__).resolve().parent
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join([str(here), child_env.get("PYTHONPATH", "")])
    code = f"import {Path(__file__).stem} as m, pathlib; m.{check}(pathlib.Path({str(tmp_path)!r}))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{check} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"


def needs(module: str) -> None:
    """Skip unless ``module`` is installed (without importing it here)."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install 'mme-visual[{module}]')")


def our_backends() -> list[str]:
    return sorted(k for k, cls in VISBACKENDS.module_dict.items() if cls.__module__.startswith("mme.visualization"))


def log_everything(vis: Visualizer) -> None:
    vis.add_config(Config(CONFIG))
    vis.add_scalar("lr", 0.1, step=1)
    vis.add_scalars({"loss": 0.5, "acc": 0.25}, step=1)
    vis.add_scalars({"loss": 0.25}, step=2)
    vis.add_image("sample", IMAGE, step=2)
    vis.close()
    assert vis.backend_failures == {}, "a backend raised; see the logged traceback"


def test_every_backend_is_registered():
    assert our_backends() == sorted(["LocalVisBackend", *THIRD_PARTY])


@pytest.mark.parametrize("type_", sorted(THIRD_PARTY))
def test_missing_package_names_the_extra(type_, tmp_path, monkeypatch):
    module, extra = THIRD_PARTY[type_]
    monkeypatch.setitem(sys.modules, module, None)  # makes find_spec and import fail
    if type_ == "TensorboardVisBackend":
        monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(BackendNotInstalledError, match=rf"pip install 'mme-visual\[{extra}\]'") as info:
        VISBACKENDS.get(type_)(save_dir=str(tmp_path))
    assert isinstance(info.value, ImportError)
    with pytest.raises(ImportError, match=rf"mme-visual\[{extra}\]"):
        Visualizer(name="missing", vis_backends=[{"type": type_, "save_dir": str(tmp_path)}])


@pytest.mark.parametrize("type_", our_backends())
def test_construction_is_lazy(type_, tmp_path):
    if type_ in THIRD_PARTY and importlib.util.find_spec(THIRD_PARTY[type_][0]) is None:
        pytest.skip(f"{THIRD_PARTY[type_][0]} is not installed")
    backend = VISBACKENDS.get(type_)(save_dir=str(tmp_path / "out"))
    assert isinstance(backend, BaseVisBackend)
    assert not backend.env_initialized
    backend.close()  # closing an unused backend creates nothing
    assert not (tmp_path / "out").exists()


def check_tensorboard(tmp_path: Path) -> None:
    import warnings

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    vis = Visualizer(name="tb", save_dir=str(tmp_path), vis_backends=[{"type": "TensorboardVisBackend"}])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*torch.jit.trace.*", DeprecationWarning)
        vis.add_graph(torch.nn.Sequential(torch.nn.Linear(3, 2)), torch.zeros(1, 3))
    log_everything(vis)
    events = EventAccumulator(str(tmp_path / "vis_data"), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    tags = events.Tags()
    assert [(e.step, e.value) for e in events.Scalars("loss")] == [(1, 0.5), (2, 0.25)]
    assert [(e.step, round(e.value, 6)) for e in events.Scalars("lr")] == [(1, 0.1)]
    assert "sample" in tags["images"]
    image = events.Images("sample")[0]
    assert (image.step, image.width, image.height) == (2, 6, 8)
    assert "config/text_summary" in tags["tensors"]
    assert tags["graph"]


def test_tensorboard_event_files(tmp_path):
    needs("tensorboard")
    run_isolated("check_tensorboard", tmp_path)


def read_wandb_records(path: str) -> list:
    """Parse a .wandb file (a LevelDB-style log of protobuf records) with wandb's own protos."""
    from wandb.proto import wandb_internal_pb2

    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b":W&B"
    block, header, offset, chunks, records = 32768, 7, 7, b"", []
    while offset + header <= len(data):
        left = block - offset % block
        if left < header:
            offset += left
            continue
        _, length, kind = struct.unpack("<IHB", data[offset : offset + header])
        if length == 0 and kind == 0:
            offset += left
            continue
        chunk = data[offset + header : offset + header + length]
        offset += header + length
        if kind == 1:  # full record
            chunks, payload = b"", chunk
        elif kind in (2, 3):  # first, middle
            chunks += chunk
            continue
        else:  # last
            chunks, payload = b"", chunks + chunk
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        records.append(record)
    return records


def check_wandb(tmp_path: Path) -> None:
    vis = Visualizer(
        name="wb",
        save_dir=str(tmp_path),
        vis_backends=[{"type": "WandbVisBackend", "init_kwargs": {"project": "mme-test"}}],
    )
    vis.add_scalar("warmup", 1.0)
    log_file = vis.get_backend("WandbVisBackend").run.settings.sync_file
    log_everything(vis)
    # read first: close() must return only once the service has written the whole run
    records = read_wandb_records(log_file)
    kinds = [record.WhichOneof("record_type") for record in records]
    assert kinds[0] == "header" and kinds[-1] == "exit", kinds
    history, config = [], {}
    for record in records:
        kind = record.WhichOneof("record_type")
        if kind == "history":
            items = {(i.key or "/".join(i.nested_key)): i.value_json for i in record.history.item}
            history.append({k: json.loads(v) for k, v in items.items() if not k.startswith("_")})
        updates = record.config.update if kind == "config" else record.run.config.update if kind == "run" else []
        for item in updates:
            config[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
    assert {"lr": 0.1} in history and {"loss": 0.5, "acc": 0.25} in history and {"loss": 0.25} in history
    assert config["model"] == {"type": "Net", "depth": 3}
    runs = glob.glob(str(tmp_path / "vis_data" / "wandb" / "offline-run-*"))
    assert len(runs) == 1 and os.path.dirname(log_file) == runs[0]
    assert glob.glob(f"{runs[0]}/files/media/images/sample_*.png")


def check_wandb_teardown(tmp_path: Path) -> None:
    """The path for a wandb whose service connection cannot be asked: close() tears wandb down."""
    from wandb.sdk.lib.service.service_connection import ServiceConnection

    del ServiceConnection.sync_status
    check_wandb(tmp_path)


@pytest.mark.parametrize("check", ["check_wandb", "check_wandb_teardown"])
def test_wandb_offline_run(check, tmp_path):
    needs("wandb")
    run_isolated(
        check,
        tmp_path,
        env={
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "WANDB_CONFIG_DIR": str(tmp_path / "config"),
            "WANDB_CACHE_DIR": str(tmp_path / "cache"),
        },
    )


def check_mlflow(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    vis = Visualizer(
        name="ml",
        save_dir=str(tmp_path),
        vis_backends=[{"type": "MLflowVisBackend", "exp_name": "mme", "run_name": "r1"}],
    )
    backend = vis.get_backend("MLflowVisBackend")
    vis.add_scalar("warmup", 1.0)
    run_id, uri = backend.run_id, backend.tracking_uri
    log_everything(vis)
    assert uri.startswith("sqlite:///") and (tmp_path / "vis_data" / "mlflow.db").exists()
    client = MlflowClient(uri)
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "loss")] == [(1, 0.5), (2, 0.25)]
    run = client.get_run(run_id)
    assert run.data.params["model.depth"] == "3" and run.info.run_name == "r1"
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"config.py", "sample_2.png"} <= artifacts
    assert (tmp_path / "vis_data" / "mlartifacts").is_dir()


def test_mlflow_local_store(tmp_path):
    needs("mlflow")
    run_isolated("check_mlflow", tmp_path)


def check_dvclive(tmp_path: Path) -> None:
    vis = Visualizer(name="dvc", save_dir=str(tmp_path), vis_backends=[{"type": "DVCLiveVisBackend"}])
    log_everything(vis)
    out = tmp_path / "vis_data"
    assert (out / "plots" / "metrics" / "loss.tsv").read_text().split() == ["step", "loss", "1", "0.5", "2", "0.25"]
    assert "model.depth: 3" in (out / "params.yaml").read_text()
    assert (out / "plots" / "images" / "sample_2.png").exists()


def test_dvclive_files(tmp_path):
    needs("dvclive")
    run_isolated("check_dvclive", tmp_path)


def check_aim(tmp_path: Path) -> None:
    from aim import Run
    from aim.storage.context import Context

    vis = Visualizer(
        name="aim",
        save_dir=str(tmp_path),
        vis_backends=[
            {"type": "AimVisBackend", "init_kwargs": {"experiment": "mme", "system_tracking_interval": None}}
        ],
    )
    vis.add_scalar("warmup", 1.0)
    run_hash = vis.get_backend("AimVisBackend").run_hash
    log_everything(vis)
    run = Run(run_hash=run_hash, repo=str(tmp_path / "vis_data"), system_tracking_interval=None)
    try:
        assert run["hparams"] == CONFIG
        metrics = {m.name: m.data.items_list() for m in run.metrics()}
        steps, (values, *_) = metrics["loss"]
        assert list(steps) == [1, 2] and list(values) == [0.5, 0.25]
        images = run.get_image_sequence("sample", Context({}))
        assert images is not None and list(images.data.items_list()[0]) == [2]
    finally:
        run.close()


def test_aim_local_repo(tmp_path):
    needs("aim")
    run_isolated("check_aim", tmp_path)


def check_clearml(tmp_path: Path) -> None:
    # detect_repository=False also skips clearml's PyPI update check and pip-freeze analysis
    frameworks = {"detect_repository": False, "pytorch": False, "tensorboard": False, "matplotlib": False}
    init = {
        "project_name": "mme",
        "task_name": "test",
        "auto_connect_frameworks": frameworks,
        "auto_resource_monitoring": False,
        "auto_connect_streams": False,
        "auto_connect_arg_parser": False,
    }
    vis = Visualizer(
        name="cml",
        save_dir=str(tmp_path),
        vis_backends=[{"type": "ClearMLVisBackend", "init_kwargs": init, "offline": True}],
    )
    vis.add_scalar("warmup", 1.0)
    folder = vis.get_backend("ClearMLVisBackend").experiment.get_offline_mode_folder()
    log_everything(vis)
    events = []
    with open(folder / "metrics.jsonl", encoding="utf-8") as f:
        for line in f:
            events.extend(json.loads(line))
    scalars = {(e["metric"], e["iter"], e["value"]) for e in events if e["type"] == "training_stats_scalar"}
    assert {("loss", 1, 0.5), ("loss", 2, 0.25), ("lr", 1, 0.1)} <= scalars
    assert any(e["type"] == "training_debug_image" and e["metric"] == "sample" for e in events)


@pytest.mark.slow
def test_clearml_offline_session(tmp_path):
    needs("clearml")
    run_isolated(
        "check_clearml", tmp_path, env={"CLEARML_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path / "home")}
    )


def check_neptune(tmp_path: Path) -> None:
    init = {
        "mode": "offline",
        "project": "mme/test",
        "capture_hardware_metrics": False,
        "capture_stdout": False,
        "capture_stderr": False,
        "capture_traceback": False,
        "git_ref": False,
        "source_files": [],
    }
    vis = Visualizer(
        name="nep", save_dir=str(tmp_path), vis_backends=[{"type": "NeptuneVisBackend", "init_kwargs": init}]
    )
    log_everything(vis)
    logs = glob.glob(str(tmp_path / ".neptune" / "offline" / "*" / "data-1.log"))  # neptune writes under cwd
    assert len(logs) == 1
    with open(logs[0], encoding="utf-8") as f:
        ops = [json.loads(line)["obj"] for line in f if line.strip()]
    floats = [(o["path"][0], v["step"], v["value"]) for o in ops if o["type"] == "LogFloats" for v in o["values"]]
    assert {("loss", 1, 0.5), ("loss", 2, 0.25), ("lr", 1, 0.1)} <= set(floats)
    assert any(o["type"] == "LogImages" and o["path"] == ["sample"] for o in ops)
    depth = next(o for o in ops if o["path"] == ["config", "model", "depth"])
    assert depth["value"] == 3


def test_neptune_offline_run(tmp_path):
    needs("neptune")
    run_isolated("check_neptune", tmp_path)
