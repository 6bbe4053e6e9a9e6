"""A downstream library declares child registries of mme's roots and builds across scopes."""

from __future__ import annotations

import sys
import textwrap

import pytest

import mme.registry
from mme.registry import DATASETS, MODELS, NotRegisteredError, build_from_cfg, init_default_scope

FILES = {
    "mmdownstream/__init__.py": "",
    "mmdownstream/registry.py": """
        from mme.registry import DATASETS as MME_DATASETS
        from mme.registry import MODELS as MME_MODELS
        from mme.registry import Registry

        MODELS = Registry("model", parent=MME_MODELS, scope="mmdownstream", locations=["mmdownstream.models"])
        DATASETS = Registry("dataset", parent=MME_DATASETS, locations=["mmdownstream.datasets"])
    """,
    "mmdownstream/models.py": """
        from mmdownstream.registry import MODELS

        @MODELS.register_module()
        class Detector:
            def __init__(self, backbone, num_classes=3):
                self.backbone = MODELS.build(backbone)
                self.num_classes = num_classes

        @MODELS.register_module()
        class DownBackbone:
            def __init__(self, depth=18):
                self.depth = depth
    """,
    "mmdownstream/datasets.py": """
        from mmdownstream.registry import DATASETS

        @DATASETS.register_module()
        class ToyDataset:
            def __init__(self, size=4):
                self.size = size
    """,
}


class RootBackbone:
    """Stands for a model part that mme itself registers into the root MODELS."""

    def __init__(self, depth=50):
        self.depth = depth


@pytest.fixture()
def downstream(tmp_path, monkeypatch):
    for rel, text in FILES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    MODELS.register_module("RootBackbone", module=RootBackbone)
    saved_build_func = MODELS.build_func
    yield tmp_path
    MODELS.build_func = saved_build_func
    MODELS.module_dict.pop("RootBackbone", None)
    MODELS.children.pop("mmdownstream", None)
    DATASETS.children.pop("mmdownstream", None)
    for name in [m for m in sys.modules if m == "mmdownstream" or m.startswith("mmdownstream.")]:
        del sys.modules[name]


def test_root_finds_the_childs_modules_by_scope_before_the_library_is_imported(downstream):
    assert "mmdownstream" not in sys.modules
    det = MODELS.build(dict(type="mmdownstream.Detector", backbone=dict(type="DownBackbone", depth=34)))
    # the root imported mmdownstream.registry (declaring the child) and the child's locations
    from mmdownstream.models import Detector, DownBackbone

    assert type(det) is Detector and type(det.backbone) is DownBackbone
    assert det.backbone.depth == 34
    child = MODELS.children["mmdownstream"]
    assert child.parent is MODELS and child.root is MODELS
    assert DATASETS.get("mmdownstream.ToyDataset").__module__ == "mmdownstream.datasets"
    assert DATASETS.children["mmdownstream"].scope == "mmdownstream"  # inferred from the module


def test_child_finds_the_parents_modules(downstream):
    from mmdownstream.registry import MODELS as CHILD

    det = CHILD.build(dict(type="Detector", backbone=dict(type="RootBackbone")))
    assert type(det.backbone) is RootBackbone and det.backbone.depth == 50
    assert CHILD.get("mme.RootBackbone") is RootBackbone
    assert "RootBackbone" not in CHILD.module_dict
    # a dotted path that starts with a registry scope still imports
    assert MODELS.get("mmdownstream.models.Detector") is CHILD.get("Detector")


def test_scope_key_in_a_root_config(downstream):
    det = MODELS.build(dict(type="Detector", _scope_="mmdownstream", backbone=dict(type="DownBackbone")))
    assert type(det).__module__ == "mmdownstream.models"
    with pytest.raises(NotRegisteredError, match="'Detector' is not registered in the 'model' registry .scope 'mme'."):
        MODELS.build(dict(type="Detector", backbone=dict(type="DownBackbone")))


def test_init_default_scope_makes_the_root_build_from_the_child(downstream):
    init_default_scope("mmdownstream")
    det = MODELS.build(dict(type="Detector", backbone=dict(type="RootBackbone"), num_classes=5))
    assert type(det).__module__ == "mmdownstream.models"
    assert det.num_classes == 5 and type(det.backbone) is RootBackbone
    dataset = build_from_cfg(dict(type="ToyDataset", size=9), DATASETS)
    assert dataset.size == 9


def test_a_build_func_attached_to_the_root_later_is_used_by_the_child(downstream):
    from mmdownstream.registry import MODELS as CHILD  # created before the function is attached

    built = []

    def build_model_from_cfg(cfg, registry, default_args=None):
        obj = build_from_cfg(cfg, registry, default_args)
        built.append((type(obj).__name__, registry.scope))
        return obj

    MODELS.build_func = build_model_from_cfg
    CHILD.build(dict(type="Detector", backbone=dict(type="DownBackbone")))
    assert built == [("DownBackbone", "mmdownstream"), ("Detector", "mmdownstream")]


def test_failures_across_scopes_name_the_tree(downstream):
    with pytest.raises(NotRegisteredError) as info:
        MODELS.get("mmdownstream.Detektor")
    message = str(info.value)
    assert "did you mean 'Detector'?" in message
    assert "registry 'model' (scope 'mmdownstream'): 2 registered, locations imported: mmdownstream.models" in message
    assert "registry 'model' (scope 'mme')" in message


def test_the_tree_statistics_include_the_child(downstream):
    MODELS.get("mmdownstream.Detector")
    info = mme.registry.traverse_registry_tree(MODELS, verbose=False)
    by_scope = {entry["scope"]: entry for entry in info}
    assert by_scope["mmdownstream"]["num_modules"] == 2
    assert sorted(by_scope["mmdownstream"]["mmdownstream"]) == ["Detector", "DownBackbone"]
