"""mme.dl_utils (MMEngine's ``mmengine.utils.dl_utils``) and its parrots_wrapper names."""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib
import logging
import multiprocessing as mp
import os
import pickle
import threading
import time
import warnings
import zipfile

import mme.dl_utils
import numpy as np
import pytest
import torch
from mme.dl_utils import (
    TORCH_VERSION,
    DLUtilsTypeError,
    DLUtilsValueError,
    TimeCounter,
    collect_env,
    has_batch_norm,
    is_jit_tracing,
    is_norm,
    load_url,
    mmcv_full_available,
    parrots_wrapper,
    set_multi_processing,
    tensor2imgs,
    torch_meshgrid,
)
from mme.utils import digit_version
from doctest_support import doctest_tests
from torch import nn

WITH_EXAMPLES = [
    "mme.dl_utils._collect_env",
    "mme.dl_utils._image",
    "mme.dl_utils._norm",
    "mme.dl_utils._time_counter",
    "mme.dl_utils._torch_ops",
    "mme.dl_utils.parrots_wrapper",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests([mme.dl_utils], WITH_EXAMPLES)


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A directory on sys.path for stand-in modules (cv2, mmcv), removed from sys.modules afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in [m for m in list(os.sys.modules) if m == "cv2" or m.split(".")[0] == "mmcv"]:
        del os.sys.modules[name]


# -- versions and environment -------------------------------------------------------------------


def test_torch_version():
    assert TORCH_VERSION == torch.__version__ == parrots_wrapper.TORCH_VERSION
    assert digit_version(TORCH_VERSION) >= digit_version("2.1.0")


def test_collect_env_reports_this_process():
    env = collect_env()
    assert env["sys.platform"] == os.sys.platform
    assert env["Python"].startswith(os.sys.version.split()[0]) and "\n" not in env["Python"]
    assert env["CUDA available"] is torch.cuda.is_available()
    assert env["PyTorch"] == torch.__version__
    assert "PyTorch built with" in env["PyTorch compiling details"]
    assert isinstance(env["numpy_random_seed"], int) and isinstance(env["GCC"], str)
    assert env["mme"] == mme.dl_utils.__version__
    assert ("TorchVision" in env) == (importlib.util.find_spec("torchvision") is not None)
    if torch.cuda.is_available():
        gpus = [k for k in env if k.startswith("GPU ")]
        assert sum(len(k[4:].split(",")) for k in gpus) == torch.cuda.device_count()
        assert "CUDA_HOME" in env


def test_collect_env_and_set_multi_processing_use_opencv_when_installed(fake_site):
    (fake_site / "cv2.py").write_text(
        "__version__ = '4.9.9'\nthreads = []\ndef setNumThreads(n):\n    threads.append(n)\n"
    )
    assert collect_env()["OpenCV"] == "4.9.9"
    saved = mp.get_start_method(allow_none=True)
    try:
        set_multi_processing(mp_start_method=saved or "spawn", opencv_num_threads=3)
    finally:
        mp.set_start_method(saved, force=True)
    import cv2

    assert cv2.threads == [3]


def test_mmcv_full_available(fake_site):
    assert mmcv_full_available() is False  # no mmcv at all
    (fake_site / "mmcv").mkdir()
    (fake_site / "mmcv" / "__init__.py").write_text("")
    importlib.invalidate_caches()
    assert mmcv_full_available() is False  # mmcv-lite: no compiled ops
    (fake_site / "mmcv" / "_ext.py").write_text("")
    importlib.invalidate_caches()
    assert mmcv_full_available() is True


# -- parrots_wrapper ----------------------------------------------------------------------------


def test_parrots_wrapper_names_are_torchs_classes():
    pw = parrots_wrapper
    assert isinstance(nn.BatchNorm1d(2), pw._BatchNorm) and isinstance(nn.SyncBatchNorm(2), pw._BatchNorm)
    assert isinstance(nn.SyncBatchNorm(2), pw.SyncBatchNorm) and pw.SyncBatchNorm_ is nn.SyncBatchNorm
    assert isinstance(nn.InstanceNorm2d(2), pw._InstanceNorm) and not isinstance(nn.InstanceNorm2d(2), pw._BatchNorm)
    assert isinstance(nn.Conv3d(1, 1, 1), pw._ConvNd) and isinstance(nn.ConvTranspose2d(1, 1, 1), pw._ConvNd)
    for cls, base in [(nn.MaxPool2d, pw._MaxPoolNd), (nn.AvgPool1d, pw._AvgPoolNd),
                      (nn.AdaptiveAvgPool2d, pw._AdaptiveAvgPoolNd), (nn.AdaptiveMaxPool3d, pw._AdaptiveMaxPoolNd)]:
        assert issubclass(cls, base)
    assert pw.DataLoader is torch.utils.data.DataLoader and pw.PoolDataLoader is pw.DataLoader
    assert "PyTorch built with" in pw.get_build_config()
    assert pw.is_rocm_pytorch() is (torch.version.hip is not None and pw.is_rocm_pytorch())
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pw.nope  # noqa: B018


def test_parrots_wrapper_loads_cpp_extension_lazily():
    code = (
        "import sys; from mme.dl_utils import parrots_wrapper as pw; "
        "assert 'torch.utils.cpp_extension' not in sys.modules; "
        "from torch.utils import cpp_extension as ce; "
        "assert pw.BuildExtension is ce.BuildExtension and pw.CppExtension is ce.CppExtension; "
        "assert pw.CUDAExtension is ce.CUDAExtension and pw.CUDA_HOME == ce.CUDA_HOME; "
        "ns = {}; exec('from mme.dl_utils.parrots_wrapper import *', ns); "
        "assert '_BatchNorm' in ns and 'CUDA_HOME' in ns"
    )
    import subprocess

    subprocess.run([os.sys.executable, "-c", code], check=True)


# -- norms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer", [nn.BatchNorm1d(2), nn.BatchNorm2d(2), nn.SyncBatchNorm(2), nn.InstanceNorm2d(2), nn.GroupNorm(1, 2),
              nn.LayerNorm(2)]
)
def test_is_norm_accepts_every_norm(layer):
    assert is_norm(layer)


def test_is_norm_rejects_others_and_honours_exclude():
    assert not is_norm(nn.Conv2d(1, 1, 1)) and not is_norm(nn.Linear(1, 1)) and not is_norm(nn.ReLU())
    assert not is_norm(nn.BatchNorm2d(2), exclude=parrots_wrapper._BatchNorm)
    assert not is_norm(nn.GroupNorm(1, 2), exclude=(nn.LayerNorm, nn.GroupNorm))
    assert is_norm(nn.GroupNorm(1, 2), exclude=nn.LayerNorm)
    with pytest.raises(DLUtilsTypeError, match='"exclude"'):
        is_norm(nn.BatchNorm2d(2), exclude="BatchNorm2d")
    with pytest.raises(TypeError):
        is_norm(nn.BatchNorm2d(2), exclude=[nn.BatchNorm2d])


def test_has_batch_norm_searches_the_whole_tree():
    deep = nn.Sequential(nn.Conv2d(1, 2, 1), nn.Sequential(nn.Sequential(nn.SyncBatchNorm(2))))
    assert has_batch_norm(deep) and has_batch_norm(nn.BatchNorm3d(1))
    assert not has_batch_norm(nn.Sequential(nn.Conv2d(1, 2, 1), nn.GroupNorm(1, 2), nn.InstanceNorm2d(2)))


# -- load_url ------------------------------------------------------------------------------------


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        self.server.hits.append(self.path)
        super().do_GET()


@pytest.fixture
def http_root(tmp_path):
    """A directory served over http on 127.0.0.1; yields (root, base_url, hits)."""
    root = tmp_path / "served"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_CountingHandler, directory=str(root)))
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}", server.hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _state():
    torch.manual_seed(0)
    return nn.Linear(3, 2).state_dict()


def test_load_url_downloads_once_over_http(http_root, tmp_path):
    root, base, hits = http_root
    state = _state()
    torch.save(state, root / "model.pth")
    cache = tmp_path / "cache"
    loaded = load_url(f"{base}/model.pth", model_dir=str(cache), progress=False)
    assert set(loaded) == {"weight", "bias"} and torch.equal(loaded["weight"], state["weight"])
    assert hits == ["/model.pth"] and (cache / "model.pth").is_file()
    again = load_url(f"{base}/model.pth", model_dir=str(cache), progress=False, map_location="cpu")
    assert torch.equal(again["bias"], state["bias"]) and hits == ["/model.pth"]  # read from the cache
    renamed = load_url(f"{base}/model.pth", model_dir=str(cache), progress=False, file_name="other.pth")
    assert torch.equal(renamed["weight"], state["weight"]) and (cache / "other.pth").is_file() and len(hits) == 2
    assert [p.name for p in cache.iterdir() if "partial" in p.name] == []


def test_load_url_default_cache_is_torch_hub_checkpoints(tmp_path, monkeypatch):
    src = tmp_path / "w.pth"
    torch.save(_state(), src)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    load_url(src.as_uri(), progress=False)
    assert (tmp_path / "th" / "hub" / "checkpoints" / "w.pth").is_file()


def test_load_url_checks_the_hash_in_the_file_name(tmp_path):
    data_dir, cache = tmp_path / "d", tmp_path / "cache"
    data_dir.mkdir()
    raw = data_dir / "raw.pth"
    torch.save(_state(), raw)
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    good = data_dir / f"net-{digest[:8]}.pth"
    bad = data_dir / "net-deadbeef.pth"
    raw.rename(good)
    bad.write_bytes(good.read_bytes())
    assert set(load_url(good.as_uri(), str(cache), progress=False, check_hash=True)) == {"weight", "bias"}
    with pytest.raises(RuntimeError, match="hash"):
        load_url(bad.as_uri(), str(cache), progress=False, check_hash=True)
    assert not (cache / bad.name).exists() and [p.name for p in cache.iterdir()] == [good.name]
    with pytest.raises(DLUtilsValueError, match="sha256"):
        load_url((data_dir / "x.pth").as_uri(), str(cache), check_hash=True)


class _Custom:
    def __init__(self):
        self.value = 7


def test_load_url_is_weights_only_by_default(tmp_path):
    path = tmp_path / "obj.pth"
    torch.save({"obj": _Custom()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_url(path.as_uri(), str(tmp_path / "cache"), progress=False)
    assert load_url(path.as_uri(), str(tmp_path / "cache"), progress=False, weights_only=False)["obj"].value == 7


def test_load_url_reads_a_legacy_zipped_checkpoint(tmp_path):
    inner = tmp_path / "inner.pth"
    torch.save(_state(), inner)
    zipped = tmp_path / "legacy.pth"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(inner, "inner.pth")
    cache = tmp_path / "cache"
    loaded = load_url(zipped.as_uri(), str(cache), progress=False)
    assert torch.equal(loaded["weight"], _state()["weight"]) and (cache / "inner.pth").is_file()


def test_load_url_needs_a_file_name(tmp_path):
    with pytest.raises(DLUtilsValueError, match="file_name"):
        load_url("http://127.0.0.1:9/", str(tmp_path))


# -- tensor2imgs ---------------------------------------------------------------------------------


def test_tensor2imgs_denormalises_and_flips_to_bgr():
    rgb = torch.tensor([0.5, -0.5, 1.0]).view(1, 3, 1, 1).expand(2, 3, 2, 3).clone()
    imgs = tensor2imgs(rgb, mean=(100, 100, 100), std=(100, 50, 10))
    assert len(imgs) == 2 and imgs[0].shape == (2, 3, 3) and imgs[0].dtype == np.uint8
    assert imgs[0][0, 0].tolist() == [110, 75, 150]  # BGR of (150, 75, 110)
    assert imgs[1].flags["C_CONTIGUOUS"]
    assert tensor2imgs(rgb, mean=(100, 100, 100), std=(100, 50, 10), to_bgr=False)[0][1, 2].tolist() == [150, 75, 110]


def test_tensor2imgs_defaults_gray_and_clipping():
    gray = torch.tensor([[-3.0, 7.5, 300.0]]).view(1, 1, 1, 3)
    img = tensor2imgs(gray, to_bgr=False)[0]
    assert img.shape == (1, 3, 1) and img[0, :, 0].tolist() == [0, 7, 255]  # clipped, then truncated
    with pytest.raises(DLUtilsValueError, match="to_bgr=False"):
        tensor2imgs(gray)
    with pytest.raises(DLUtilsValueError, match="1 or 3 channels"):
        tensor2imgs(torch.zeros(1, 2, 2, 2))
    with pytest.raises(DLUtilsValueError, match="3 values"):
        tensor2imgs(torch.zeros(1, 3, 2, 2), mean=(0, 0))
    with pytest.raises(DLUtilsTypeError, match=r"\(N, C, H, W\)"):
        tensor2imgs(torch.zeros(3, 2, 2))


# -- TimeCounter ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_time_counters():
    yield
    TimeCounter.reset()


def test_time_counter_decorator_reports_every_interval(capsys):
    @TimeCounter(log_interval=2)
    def slow(x):
        time.sleep(0.02)
        return x

    assert [slow(i) for i in range(5)] == [0, 1, 2, 3, 4]
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    name = slow.__qualname__
    assert lines[0].startswith(f"[{name}]-time per run averaged in the past 2 runs: ")
    assert lines[1].startswith(f"[{name}]-time per run averaged in the past 4 runs: ")
    ms = float(lines[1].rsplit(": ", 1)[1].removesuffix(" ms"))
    assert 19 <= ms < 1000


def test_time_counter_warmup_skips_the_first_runs(capsys):
    sleeps = iter([0.3, 0.0, 0.0])

    @TimeCounter(warmup_interval=2, tag="warm")
    def f():
        time.sleep(next(sleeps))

    f()
    assert capsys.readouterr().out == ""  # the first run is warm-up: not timed, not reported
    f()
    f()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[warm]-time per run averaged in the past 1 runs")
    assert lines[1].startswith("[warm]-time per run averaged in the past 2 runs")
    assert float(lines[1].rsplit(": ", 1)[1].removesuffix(" ms")) < 100  # the 300 ms warm-up is left out


def test_time_counter_context_manager_accumulates_by_tag_and_site(capsys):
    for _ in range(3):
        with TimeCounter(log_interval=3, tag="block"):
            time.sleep(0.01)
    for _ in range(2):
        with TimeCounter(log_interval=2):  # no tag: keyed by this line
            pass
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[block]-time per run averaged in the past 3 runs")
    assert out[1].startswith(f"[{os.path.basename(__file__)}:") and "past 2 runs" in out[1]
    TimeCounter.reset("block")
    with TimeCounter(tag="block"):
        pass
    assert "past 1 runs" in capsys.readouterr().out


def test_time_counter_logs_to_a_logger_and_counts_failed_runs(caplog, capsys):
    @TimeCounter(tag="logged", logger="mme.test.timer")
    def boom():
        raise KeyError("x")

    with caplog.at_level(logging.INFO, logger="mme.test.timer"), pytest.raises(KeyError):
        boom()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage().split(":")[0] for r in caplog.records]
    assert messages == ["[logged]-time per run averaged in the past 1 runs"]


def test_time_counter_rejects_bad_intervals():
    with pytest.raises(DLUtilsValueError, match="log_interval"):
        TimeCounter(log_interval=0)
    with pytest.raises(DLUtilsValueError, match="warmup_interval"):
        TimeCounter(warmup_interval=0)


# -- set_multi_processing ------------------------------------------------------------------------


@pytest.fixture
def restore_start_method():
    saved = mp.get_start_method(allow_none=True)
    yield
    mp.set_start_method(saved, force=True)


def test_set_multi_processing_sets_the_start_method(restore_start_method, caplog):
    mp.set_start_method("spawn", force=True)
    with caplog.at_level(logging.WARNING, logger="mme.dl_utils"):
        set_multi_processing(mp_start_method="forkserver")
    assert mp.get_start_method() == "forkserver"
    assert any("'spawn'" in r.getMessage() and "'forkserver'" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mme.dl_utils"):
        set_multi_processing(mp_start_method="forkserver")
    assert caplog.records == []  # nothing to change, nothing to say
    with pytest.raises(ValueError, match="mp_start_method"):
        set_multi_processing(mp_start_method="thread")


def test_set_multi_processing_limits_threads_only_when_distributed(restore_start_method, monkeypatch):
    method = mp.get_start_method(allow_none=True) or "spawn"
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    set_multi_processing(mp_start_method=method, distributed=False)
    assert "OMP_NUM_THREADS" not in os.environ and "MKL_NUM_THREADS" not in os.environ
    monkeypatch.setenv("MKL_NUM_THREADS", "4")
    set_multi_processing(mp_start_method=method, distributed=True)
    assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "4"


# -- torch ops -----------------------------------------------------------------------------------


def test_torch_meshgrid_is_ij_indexed_without_warnings():
    a, b = torch.arange(3), torch.arange(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ys, xs = torch_meshgrid(a, b)
    assert ys.shape == xs.shape == (3, 4)
    assert torch.equal(ys[:, 0], a) and torch.equal(xs[0], b)


@pytest.mark.filterwarnings("ignore:`torch.jit.trace` is deprecated:DeprecationWarning")
def test_is_jit_tracing_inside_and_outside_a_trace():
    seen = []

    def f(x):
        seen.append(is_jit_tracing())
        return x * 2

    torch.jit.trace(f, torch.ones(2), check_trace=False)
    assert seen == [True] and is_jit_tracing() is False
