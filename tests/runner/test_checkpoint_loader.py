"""CheckpointLoader's schemes, against local files and an HTTP server on loopback (never the internet)."""

from __future__ import annotations

import functools
import http.server
import json
import sys
import threading
from collections import OrderedDict

import pytest
import torch
from torch import nn

from mme.registry import RUNNERS
from mme.runner import (
    CheckpointError,
    CheckpointLoader,
    Runner,
    UnsafeCheckpointError,
    build_runner_from_cfg,
    calc_dynamic_intervals,
    get_deprecated_model_names,
    get_external_models,
    get_mmcls_models,
    get_torchvision_models,
    load_checkpoint,
)
from mme.runner._checkpoint_loader import load_from_ceph, load_from_local, load_from_pavi, mmengine_home
from mme.testing import get_toy_cfg


@pytest.fixture
def http_dir(tmp_path):
    """(directory served, base URL) of an HTTP server on 127.0.0.1."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    path = tmp_path / "mmengine_home"
    monkeypatch.setenv("MMENGINE_HOME", str(path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    return path


def _weights(value: float = 1.0) -> dict:
    return {"state_dict": OrderedDict(weight=torch.full((1, 2), value), bias=torch.zeros(1))}


def test_schemes_pick_their_loaders():
    get = CheckpointLoader._get_checkpoint_loader
    assert get("/a/b.pth").__name__ == "load_from_local"
    assert get("http://h/a.pth").__name__ == get("https://h/a.pth").__name__ == "load_from_http"
    assert get("torchvision://resnet50").__name__ == get("modelzoo://resnet50").__name__ == "load_from_torchvision"
    assert get("open-mmlab://x").__name__ == get("openmmlab://x").__name__ == "load_from_openmmlab"
    assert get("mmcls://x").__name__ == "load_from_mmcls" and get("pavi://x").__name__ == "load_from_pavi"
    assert get("petrel://b/x").__name__ == get("cluster:s3://b/x").__name__ == "load_from_ceph"
    assert get("s3://b/x").__name__ == "load_from_s3"


def test_register_scheme_refuses_a_taken_prefix_and_dispatches_a_new_one(tmp_path):
    with pytest.raises(KeyError, match="http:// is already registered.*force=True"):
        CheckpointLoader.register_scheme("http://", lambda filename, map_location: {})
    calls = []

    @CheckpointLoader.register_scheme(prefixes=["memtest://", "memtest2://"])
    def load_from_memtest(filename, map_location=None):
        calls.append((filename, map_location))
        return _weights(3.0)

    try:
        out = CheckpointLoader.load_checkpoint("memtest://a", map_location="cpu")
        assert calls == [("memtest://a", "cpu")] and out["state_dict"]["weight"][0, 0] == 3.0
        model = nn.Linear(2, 1)
        load_checkpoint(model, "memtest2://b")  # mme.runner.load_checkpoint dispatches too
        assert torch.equal(model.weight, torch.full((1, 2), 3.0))
        CheckpointLoader.register_scheme("memtest://", lambda f, m: {"x": 1}, force=True)
        assert CheckpointLoader.load_checkpoint("memtest://a") == {"x": 1}
    finally:
        for prefix in ("memtest://", "memtest2://"):
            CheckpointLoader._schemes.pop(prefix, None)


def test_load_from_local(tmp_path):
    path = tmp_path / "w.pth"
    torch.save(_weights(2.0), path)
    assert load_from_local(str(path))["state_dict"]["weight"][0, 0] == 2.0
    assert CheckpointLoader.load_checkpoint(str(path))["state_dict"]["bias"].shape == (1,)
    with pytest.raises(FileNotFoundError, match="can not be found"):
        load_from_local(str(tmp_path / "missing.pth"))
    torch.save({"state_dict": {}, "obj": object.__new__(_Pickled)}, tmp_path / "unsafe.pth")
    with pytest.raises(UnsafeCheckpointError, match="weights_only"):
        CheckpointLoader.load_checkpoint(str(tmp_path / "unsafe.pth"))
    assert "obj" in CheckpointLoader.load_checkpoint(str(tmp_path / "unsafe.pth"), weights_only=False)


class _Pickled:
    pass


def test_load_from_http_downloads_once_into_the_cache(http_dir, home, tmp_path):
    served, base = http_dir
    torch.save(_weights(4.0), served / "w4.pth")
    out = CheckpointLoader.load_checkpoint(f"{base}/w4.pth")
    assert out["state_dict"]["weight"][0, 0] == 4.0
    cached = tmp_path / "torch_home" / "hub" / "checkpoints" / "w4.pth"
    assert cached.is_file()
    (served / "w4.pth").unlink()  # served no more: the cached copy is read
    assert CheckpointLoader.load_checkpoint(f"{base}/w4.pth")["state_dict"]["weight"][0, 0] == 4.0


def test_load_from_http_failures_are_clear(http_dir, home):
    _, base = http_dir
    with pytest.raises(CheckpointError, match=r"cannot download checkpoint .*missing.pth: HTTP 404"):
        CheckpointLoader.load_checkpoint(f"{base}/missing.pth")
    with pytest.raises(CheckpointError, match="cannot download checkpoint .*check the network"):
        CheckpointLoader.load_checkpoint("http://127.0.0.1:1/unreachable.pth")


def test_openmmlab_and_mmcls_names_come_from_the_tables_in_mmengine_home(http_dir, home):
    served, base = http_dir
    torch.save(_weights(5.0), served / "om.pth")
    torch.save({"state_dict": {"backbone.weight": torch.ones(1), "head.fc": torch.ones(2)}}, served / "cls.pth")
    assert get_external_models() == {} and get_mmcls_models() == {} and get_deprecated_model_names() == {}
    with pytest.raises(KeyError, match="no model named 'resnet'.*open_mmlab.json"):
        CheckpointLoader.load_checkpoint("open-mmlab://resnet")
    (home / "open_mmlab.json").write_text(json.dumps({"resnet": f"{base}/om.pth", "local_one": "models/l.pth"}))
    (home / "deprecated.json").write_text(json.dumps({"old_resnet": "resnet"}))
    (home / "mmcls.json").write_text(json.dumps({"vgg": f"{base}/cls.pth"}))
    assert mmengine_home() == str(home)
    assert CheckpointLoader.load_checkpoint("open-mmlab://resnet")["state_dict"]["weight"][0, 0] == 5.0
    with pytest.warns(DeprecationWarning, match="old_resnet is deprecated"):
        assert "state_dict" in CheckpointLoader.load_checkpoint("openmmlab://old_resnet")
    with pytest.raises(FileNotFoundError, match="l.pth can not be found"):
        CheckpointLoader.load_checkpoint("open-mmlab://local_one")
    (home / "models").mkdir()
    torch.save(_weights(6.0), home / "models" / "l.pth")
    assert CheckpointLoader.load_checkpoint("open-mmlab://local_one")["state_dict"]["weight"][0, 0] == 6.0
    backbone = CheckpointLoader.load_checkpoint("mmcls://vgg")
    assert list(backbone["state_dict"]) == ["weight"]  # backbone. keys only, prefix removed
    (home / "mmcls.json").write_text("[1]")
    with pytest.raises(CheckpointError, match="must hold a JSON object"):
        get_mmcls_models()


def test_torchvision_pavi_and_ceph_name_their_missing_packages(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    monkeypatch.setitem(sys.modules, "pavi", None)
    monkeypatch.setitem(sys.modules, "petrel_client", None)
    monkeypatch.setitem(sys.modules, "petrel_client.client", None)
    with pytest.raises(ImportError, match="need torchvision: pip install torchvision"):
        get_torchvision_models()
    with pytest.raises(ImportError, match="need torchvision"):
        CheckpointLoader.load_checkpoint("torchvision://resnet50")
    with pytest.raises(ImportError, match="need pavi"):
        load_from_pavi("pavi://model/x")
    with pytest.raises(ImportError, match="PetrelBackend needs the 'petrel_client' package"):
        CheckpointLoader.load_checkpoint("petrel://bucket/x.pth")
    with pytest.raises(ValueError, match="backend='petrel' only"):
        load_from_ceph("petrel://b/x.pth", backend="memcached")


def test_torchvision_names_resolve_through_a_fake_torchvision(monkeypatch, http_dir, home):
    import enum
    import types

    served, base = http_dir
    torch.save({"fc.weight": torch.ones(1)}, served / "resnet50-v1.pth")
    torch.save({"fc.weight": torch.zeros(1)}, served / "resnet50-v2.pth")

    class Weights:
        def __init__(self, url):
            self.url = url

    class ResNet50_Weights(enum.Enum):  # noqa: N801 (torchvision's name)
        IMAGENET1K_V1 = Weights(f"{base}/resnet50-v1.pth")
        IMAGENET1K_V2 = Weights(f"{base}/resnet50-v2.pth")
        DEFAULT = IMAGENET1K_V2

        @property
        def url(self):
            return self.value.url

    models = types.ModuleType("torchvision.models")
    models.__path__ = []
    models.ResNet50_Weights = ResNet50_Weights
    tv = types.ModuleType("torchvision")
    tv.models = models
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.models", models)
    urls = get_torchvision_models()
    assert urls["resnet50.imagenet1k_v1"].endswith("v1.pth") and urls["resnet50.default"].endswith("v2.pth")
    assert CheckpointLoader.load_checkpoint("torchvision://resnet50")["fc.weight"].item() == 1.0
    assert CheckpointLoader.load_checkpoint("torchvision://ResNet50_Weights.IMAGENET1K_V2")["fc.weight"].item() == 0
    with pytest.warns(DeprecationWarning, match="modelzoo"):
        CheckpointLoader.load_checkpoint("modelzoo://resnet50")
    with pytest.raises(KeyError, match="no weights named 'vgg'"):
        CheckpointLoader.load_checkpoint("torchvision://vgg")


def test_calc_dynamic_intervals():
    assert calc_dynamic_intervals(1, [(5, 2), (10, 3)]) == ([0, 5, 10], [1, 2, 3])
    assert calc_dynamic_intervals(2) == ([0], [2])
    with pytest.raises(Exception, match="milestones must increase"):
        calc_dynamic_intervals(1, [(10, 2), (5, 3)])


def test_build_runner_from_cfg_uses_runner_type(tmp_path):
    class MyRunner(Runner):
        pass

    RUNNERS.register_module(module=MyRunner, force=True)
    try:
        cfg = get_toy_cfg(str(tmp_path), runner_type="MyRunner", train_cfg=dict(by_epoch=True, max_epochs=3,
                                                                                val_interval=2, val_begin=1))
        runner = build_runner_from_cfg(cfg, RUNNERS)
        assert type(runner) is MyRunner
        assert runner.val_interval == 2 and runner.val_begin == 1
        assert type(RUNNERS.build(get_toy_cfg(str(tmp_path)))) is Runner  # no runner_type: Runner
        assert type(build_runner_from_cfg(dict(get_toy_cfg(str(tmp_path)), runner_type=MyRunner), RUNNERS)) \
            is MyRunner
        with pytest.raises(Exception, match="runner_type='Nope' is not registered"):
            build_runner_from_cfg(dict(cfg, runner_type="Nope"), RUNNERS)
        with pytest.raises(TypeError, match="registry must be a Registry"):
            build_runner_from_cfg(cfg, {})
    finally:
        RUNNERS.module_dict.pop("MyRunner", None)
