"""Visualizer as a managed instance, its backends, fan-out, failure isolation and show."""

from __future__ import annotations

import json
import logging
import os

import matplotlib.image as mimage
import numpy as np
import pytest
import torch
from mme.registry import VISBACKENDS, VISUALIZERS
from mme.visualization import (
    BaseVisBackend,
    LocalVisBackend,
    VisBackendConfigError,
    Visualizer,
    force_init_env,
)


@VISBACKENDS.register_module(force=True)
class _BrokenVisBackend(BaseVisBackend):
    """Raises in add_scalar(s), like a service that is down."""

    def __init__(self, save_dir=None):
        super().__init__(save_dir)
        self.calls = 0

    @force_init_env
    def add_scalar(self, name, value, step=0, **kwargs):
        self.calls += 1
        raise ConnectionError("service unavailable")

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs):
        self.calls += 1
        raise OSError("disk full")


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_manager_instances_and_replacement():
    first = Visualizer.get_instance("vis_a")
    assert Visualizer.get_current_instance() is first
    second = Visualizer(name="vis_a")  # same name: replaces instead of failing
    assert Visualizer.get_instance("vis_a") is second


def test_built_from_registry(tmp_path):
    vis = VISUALIZERS.build({"type": "Visualizer", "name": "from_cfg", "save_dir": str(tmp_path)})
    assert isinstance(vis, Visualizer)
    assert isinstance(vis.get_backend("LocalVisBackend"), LocalVisBackend)
    assert vis.get_backend("LocalVisBackend").save_dir == os.path.join(str(tmp_path), "vis_data")
    assert vis.get_backend("nope") is None


def test_no_backends_without_save_dir():
    vis = Visualizer(name="plain")
    assert vis.vis_backends == {}
    vis.add_scalar("loss", 1.0)  # nothing to send to: a no-op


def test_backends_are_lazy(tmp_path):
    vis = Visualizer(name="lazy", vis_backends=[{"type": "LocalVisBackend", "save_dir": str(tmp_path / "a")}])
    assert not (tmp_path / "a").exists()
    assert not vis.get_backend("LocalVisBackend").env_initialized
    vis.add_scalar("loss", 0.5)
    assert (tmp_path / "a" / "scalars.json").exists()


def test_local_backend_files(tmp_path):
    vis = Visualizer(name="local", save_dir=str(tmp_path))
    vis.add_scalar("lr", np.float32(0.5), step=1)
    vis.add_scalars({"loss": torch.tensor(0.25), "acc": 3}, step=2)
    vis.add_scalars({"loss": 0.125}, step=3, file_path="val.json")
    image = np.zeros((6, 8, 3), dtype=np.uint8)
    image[..., 1] = 255
    vis.add_image("sample", image, step=4)
    vis.add_config({"model": {"type": "Net", "depth": 3}, "lr": 0.1})
    vis.close()

    data = tmp_path / "vis_data"
    assert read_lines(data / "scalars.json") == [
        {"lr": 0.5, "step": 1},
        {"loss": 0.25, "acc": 3, "step": 2},
        {"loss": 0.125, "step": 3},
    ]
    assert read_lines(data / "val.json") == [{"loss": 0.125, "step": 3}]
    png = mimage.imread(data / "vis_image" / "sample_4.png")
    assert png.shape[:2] == (6, 8) and png[0, 0, 1] == 1.0 and png[0, 0, 0] == 0.0
    text = (data / "config.py").read_text()
    assert "model" in text and "0.1" in text


def test_local_backend_lines_reach_the_file_before_close(tmp_path):
    vis = Visualizer(name="flushed", save_dir=str(tmp_path))
    vis.add_scalars({"loss": 0.5}, step=1, file_path="run.json")
    data = tmp_path / "vis_data"
    # a process killed now loses nothing: each line is flushed as it is written
    assert read_lines(data / "scalars.json") == read_lines(data / "run.json") == [{"loss": 0.5, "step": 1}]
    vis.close()
    vis.add_scalars({"loss": 0.25}, step=2)  # used again after close: appends
    vis.close()
    assert read_lines(data / "scalars.json") == [{"loss": 0.5, "step": 1}, {"loss": 0.25, "step": 2}]


def test_local_backend_dumps_a_config_object(tmp_path):
    config = pytest.importorskip("mme.config")
    if not hasattr(config, "Config"):
        pytest.skip("mme.config.Config is not available yet")
    cfg = config.Config({"model": {"type": "Net"}, "lr": 0.1})
    vis = Visualizer(name="cfg", save_dir=str(tmp_path))
    vis.add_config(cfg)
    loaded = config.Config.fromfile(str(tmp_path / "vis_data" / "config.py"))
    assert loaded.lr == 0.1 and loaded.model.type == "Net"


def test_several_backends_and_names(tmp_path):
    vis = Visualizer(
        name="many",
        vis_backends=[
            {"type": "LocalVisBackend", "name": "one", "save_dir": str(tmp_path / "one")},
            {"type": LocalVisBackend, "name": "two", "save_dir": str(tmp_path / "two")},
            LocalVisBackend(save_dir=str(tmp_path / "three"), scalar_save_file="s.json"),
        ],
    )
    assert list(vis.vis_backends) == ["one", "two", "LocalVisBackend"]
    vis.add_scalars({"loss": 1.0}, step=7)
    for path in (tmp_path / "one" / "scalars.json", tmp_path / "two" / "scalars.json", tmp_path / "three" / "s.json"):
        assert read_lines(path) == [{"loss": 1.0, "step": 7}]


def test_bad_backend_configs(tmp_path):
    with pytest.raises(VisBackendConfigError, match="two vis_backends are called 'LocalVisBackend'"):
        Visualizer(name="dup", save_dir=str(tmp_path), vis_backends=[{"type": "LocalVisBackend"}] * 2)
    with pytest.raises(VisBackendConfigError, match=r"vis_backends\[0\] has no 'type'"):
        Visualizer(name="notype", vis_backends=[{"save_dir": str(tmp_path)}])
    with pytest.raises(VisBackendConfigError, match="needs a save_dir"):
        Visualizer(name="nodir", vis_backends=[{"type": "LocalVisBackend"}])
    with pytest.raises(VisBackendConfigError, match="must be a backend config dict"):
        Visualizer(name="str", vis_backends="LocalVisBackend")
    with pytest.raises(KeyError, match="NoSuchVisBackend"):
        Visualizer(name="unknown", vis_backends=[{"type": "NoSuchVisBackend", "save_dir": str(tmp_path)}])


def test_bad_record_arguments_raise_before_any_backend(tmp_path):
    vis = Visualizer(name="args", save_dir=str(tmp_path))
    with pytest.raises(TypeError, match="scalar 'loss' must be a number"):
        vis.add_scalar("loss", "high")
    with pytest.raises(TypeError, match=r"must hold one value, got a tensor of shape \(2,\)"):
        vis.add_scalar("loss", torch.ones(2))
    with pytest.raises(TypeError, match="step must be an int"):
        vis.add_scalar("loss", 1.0, step=1.5)
    with pytest.raises(TypeError, match="names must be non-empty strings"):
        vis.add_scalars({3: 1.0})
    with pytest.raises(VisBackendConfigError, match="file_path must end in .json"):
        vis.add_scalars({"a": 1.0}, file_path="x.txt")
    with pytest.raises(TypeError, match="config must be a mme.config.Config or a mapping"):
        vis.add_config([1, 2])
    assert not (tmp_path / "vis_data").exists()


def test_add_scalars_leaves_out_values_that_are_not_numbers(tmp_path, caplog):
    vis = Visualizer(name="lenient", save_dir=str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="mme.visualization"):
        vis.add_scalars({"loss": 0.5, "per_class": [0.1, 0.2], "name": "x"}, step=1)
        vis.add_scalars({"loss": 0.25, "per_class": [0.3, 0.4]}, step=2)
        vis.add_scalars({"name": "only text"}, step=3)
    assert read_lines(tmp_path / "vis_data" / "scalars.json") == [{"loss": 0.5, "step": 1}, {"loss": 0.25, "step": 2}]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "'per_class'" in messages[0] and "'name'" in messages[1]


def test_a_failing_backend_does_not_stop_the_others(tmp_path, caplog):
    vis = Visualizer(
        name="isolated",
        vis_backends=[
            {"type": "LocalVisBackend", "name": "before", "save_dir": str(tmp_path / "before")},
            {"type": "_BrokenVisBackend", "name": "broken"},
            {"type": "LocalVisBackend", "name": "after", "save_dir": str(tmp_path / "after")},
        ],
    )
    with caplog.at_level(logging.DEBUG, logger="mme.visualization"):
        for step in range(3):
            vis.add_scalar("loss", 1.0 / (step + 1), step=step)
        vis.add_scalars({"acc": 0.5}, step=3)
    vis.close()
    for side in ("before", "after"):
        lines = read_lines(tmp_path / side / "scalars.json")
        assert [line["step"] for line in lines] == [0, 1, 2, 3]
    assert vis.get_backend("broken").calls == 4
    assert vis.backend_failures == {"broken": 4}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # reported once, with the traceback
    assert "broken" in warnings[0].getMessage() and warnings[0].exc_info[0] is ConnectionError


def test_add_datasample_to_backends_or_file(tmp_path):
    vis = Visualizer(name="sample", save_dir=str(tmp_path))
    image = np.full((5, 7, 3), 200, dtype=np.uint8)
    vis.add_datasample("img", image, step=3)
    assert (tmp_path / "vis_data" / "vis_image" / "img_3.png").exists()
    out = tmp_path / "out" / "drawn.png"
    vis.add_datasample("img", image, out_file=str(out), step=4)
    assert mimage.imread(out).shape[:2] == (5, 7)
    assert not (tmp_path / "vis_data" / "vis_image" / "img_4.png").exists()


def test_show_skips_without_display(vis, monkeypatch, caplog):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with caplog.at_level(logging.INFO, logger="mme.visualization"):
        assert vis.show() is False
    assert "no display" in caplog.text


def test_show_skips_with_a_non_interactive_backend(vis, monkeypatch, caplog):
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    with caplog.at_level(logging.INFO, logger="mme.visualization"):
        assert vis.show(np.zeros((4, 4, 3), dtype=np.uint8), win_name="w") is False
    assert "not interactive" in caplog.text
    with pytest.raises(ValueError, match="backend must be 'matplotlib'"):
        vis.show(backend="cv2")


def test_close_is_safe_twice_and_before_use(tmp_path):
    vis = Visualizer(name="closing", save_dir=str(tmp_path))
    vis.close()
    vis.close()
    assert not (tmp_path / "vis_data").exists()


def _rank_worker(rank: int, world_size: int, store: str, root: str) -> None:
    torch.distributed.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world_size)
    try:
        vis = Visualizer(name="dist", save_dir=os.path.join(root, f"rank{rank}"))
        vis.add_scalars({"loss": 1.0}, step=1)
        vis.add_image("img", np.zeros((4, 4, 3), dtype=np.uint8))
        vis.close()
        torch.distributed.barrier()
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_only_rank_zero_writes(tmp_path):
    torch.multiprocessing.spawn(_rank_worker, args=(2, str(tmp_path / "store"), str(tmp_path)), nprocs=2, join=True)
    assert (tmp_path / "rank0" / "vis_data" / "scalars.json").exists()
    assert (tmp_path / "rank0" / "vis_data" / "vis_image" / "img_0.png").exists()
    assert not (tmp_path / "rank1").exists()
