"""mme.hub: configs and models of an installed package, by ``package::path``.

A tiny fake package (``mmehubfake``) is written into a temporary folder put on sys.path: it ships
``.mim/configs`` and a ``.mim/model-index.yml`` whose metafile gives a weights URL, served from a
local HTTP server on the loopback interface.
"""

from __future__ import annotations

import functools
import http.server
import sys
import textwrap
import threading

import pytest
import torch

from mme.hub import get_config, get_model

PACKAGE = "mmehubfake"

INIT = '''
from torch import nn
from mme.registry import MODELS as ROOT_MODELS, Registry

MODELS = Registry("model", parent=ROOT_MODELS, scope="mmehubfake")
registered = []


@MODELS.register_module()
class HubFakeNet(nn.Module):
    def __init__(self, width=2, data_preprocessor=None, extra=None):
        super().__init__()
        self.fc = nn.Linear(width, 1)
        self.data_preprocessor_cfg = data_preprocessor
        self.extra = extra
'''

UTILS = '''
import mmehubfake


def register_all_modules(init_default_scope=True):
    mmehubfake.registered.append(init_default_scope)
'''


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("weights")
    net = torch.nn.Linear(3, 1)
    with torch.no_grad():
        net.weight.fill_(7.0)
        net.bias.fill_(-1.0)
    torch.save({"state_dict": {"fc." + k: v for k, v in net.state_dict().items()}}, root / "net_a.pth")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def package(tmp_path_factory, server):
    site = tmp_path_factory.mktemp("site")
    pkg = site / PACKAGE
    (pkg / ".mim" / "configs" / "net").mkdir(parents=True)
    (pkg / ".mim" / "configs" / "_base_").mkdir()
    (pkg / "__init__.py").write_text(INIT)
    (pkg / "utils.py").write_text(UTILS)
    (pkg / ".mim" / "configs" / "_base_" / "net.py").write_text("model = dict(type='HubFakeNet', width=2)\n")
    (pkg / ".mim" / "configs" / "net" / "net_a.py").write_text(textwrap.dedent("""
        _base_ = ['../_base_/net.py']
        model = dict(width=3)
        data_preprocessor = dict(type='BaseDataPreprocessor')
    """))
    (pkg / ".mim" / "configs" / "net" / "net_b.py").write_text("_base_ = ['../_base_/net.py']\n")
    (pkg / ".mim" / "model-index.yml").write_text("Import:\n  - configs/net/metafile.yml\n")
    (pkg / ".mim" / "configs" / "net" / "metafile.yml").write_text(textwrap.dedent(f"""
        Models:
          - Name: net_a
            Config: configs/net/net_a.py
            Weights: {server}/net_a.pth
          - Name: net_b
            Config: configs/net/net_b.py
    """))
    sys.path.insert(0, str(site))
    yield pkg
    sys.path.remove(str(site))


def test_get_config_finds_a_config_in_the_package(package):
    cfg = get_config(f"{PACKAGE}::net/net_a.py")
    assert cfg.model == {"type": "HubFakeNet", "width": 3}
    assert "model_path" not in cfg
    assert get_config(f"{PACKAGE}::configs/net/net_a.py").model.width == 3  # with the folder named too
    assert get_config(f"{PACKAGE}::_base_/net.py").model.width == 2  # a base: in no metafile


def test_get_config_pretrained_gives_the_weights_url(package, server):
    assert get_config(f"{PACKAGE}::net/net_a.py", pretrained=True).model_path == f"{server}/net_a.pth"
    with pytest.raises(ValueError, match="no 'Weights' for 'net/net_b.py'"):
        get_config(f"{PACKAGE}::net/net_b.py", pretrained=True)
    with pytest.raises(ValueError, match="no 'Weights'"):
        get_config(f"{PACKAGE}::_base_/net.py", pretrained=True)


def test_get_model_builds_in_the_package_scope_with_defaults(package):
    model = get_model(f"{PACKAGE}::net/net_a.py", extra="x")
    assert type(model).__name__ == "HubFakeNet" and model.fc.in_features == 3
    assert model.data_preprocessor_cfg == {"type": "BaseDataPreprocessor"}
    assert model.extra == "x"
    assert sys.modules[PACKAGE].registered[-1] is False  # register_all_modules ran, without its scope


def test_get_model_pretrained_loads_the_weights_over_http(package):
    model = get_model(f"{PACKAGE}::net/net_a.py", pretrained=True)
    assert torch.equal(model.fc.weight, torch.full((1, 3), 7.0))
    assert torch.equal(model.fc.bias, torch.tensor([-1.0]))
    assert model._is_init is True


def test_errors_name_what_was_wrong(package):
    with pytest.raises(ValueError, match="must look like 'package::path/to/config.py'"):
        get_config("net/net_a.py")
    with pytest.raises(RuntimeError, match="cannot find the installed package 'mme_no_such_pkg'"):
        get_config("mme_no_such_pkg::a.py")
    with pytest.raises(FileNotFoundError, match="cannot find the config 'net/missing.py' of package 'mmehubfake'"):
        get_config(f"{PACKAGE}::net/missing.py")
