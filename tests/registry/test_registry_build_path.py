"""Build errors name the config key path (``model.backbone``) as well as the classes."""

from __future__ import annotations

import copy
import pickle
import threading

import pytest

from mme.registry import (
    BuildError,
    NotRegisteredError,
    Registry,
    build_from_cfg,
    build_path,
    current_build_path,
)

MODELS = Registry("model", scope="pathtest")
HOOKS = Registry("hook", scope="pathtest")


@MODELS.register_module()
class Backbone:
    def __init__(self, depth):
        self.depth = depth


@MODELS.register_module()
class Head:
    def __init__(self, num_classes):
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.num_classes = num_classes


@MODELS.register_module()
class Detector:
    """Builds its parts from its arguments, as a real model does."""

    def __init__(self, backbone, heads=(), neck=None):
        self.backbone = MODELS.build(backbone)
        self.heads = [MODELS.build(head) for head in heads]
        self.neck = None if neck is None else MODELS.build(neck)


@MODELS.register_module()
class CopyingDetector:
    """Builds from copies of its arguments: equal dicts, or changed ones of the same type."""

    def __init__(self, backbone, neck, extra_depth=None):
        self.backbone = MODELS.build(copy.deepcopy(backbone))
        neck = dict(neck)
        if extra_depth is not None:
            neck["depth"] = extra_depth
        self.neck = MODELS.build(neck)


@MODELS.register_module()
class Twin:
    """Two arguments of one type: a changed copy of one cannot be told apart."""

    def __init__(self, left, right):
        self.left = MODELS.build(dict(left, width=1))
        self.right = MODELS.build(right)


@MODELS.register_module()
class Wrapper:
    """Names the key of a part itself, relative to its own key."""

    def __init__(self, settings):
        with build_path("settings.inner"):
            self.inner = MODELS.build(dict(type="Backbone"))


@MODELS.register_module()
class Recorder:
    seen: list = []

    def __init__(self, child=None):
        Recorder.seen.append(current_build_path())
        if child is not None:
            MODELS.build(child)


@HOOKS.register_module()
class Hook:
    def __init__(self, priority):
        self.priority = priority


def _detector(**parts):
    return dict(type="Detector", backbone=dict(type="Backbone", depth=50), **parts)


def test_nested_build_names_the_argument_key():
    cfg = dict(type="Detector", backbone=dict(type="Backbone"))
    with pytest.raises(TypeError) as info:
        MODELS.build(cfg, key_path="model")
    err = info.value
    assert isinstance(err, BuildError)
    assert err.key_path == "model.backbone"
    assert str(err) == (
        "key 'model.backbone': failed to build 'Detector' (registry 'model', scope 'pathtest') -> "
        "'Backbone' (registry 'model', scope 'pathtest'): TypeError: "
        "Backbone.__init__() missing 1 required positional argument: 'depth'"
    )


def test_build_path_context_manager_and_build_from_cfg():
    with build_path("model"), pytest.raises(TypeError, match=r"^key 'model\.backbone': failed to build"):
        build_from_cfg(dict(type="Detector", backbone=dict(type="Backbone")), MODELS)


def test_list_items_are_named_by_index():
    cfg = _detector(heads=[dict(type="Head", num_classes=3), dict(type="Head", num_classes=0)])
    with pytest.raises(ValueError) as info:
        MODELS.build(cfg, key_path="model")
    assert info.value.key_path == "model.heads.1"
    assert str(info.value).startswith("key 'model.heads.1': failed to build 'Detector'")


def test_failure_of_the_outer_object_names_its_own_key():
    with pytest.raises(TypeError) as info:
        MODELS.build(dict(type="Detector"), key_path="model")
    assert info.value.key_path == "model"
    assert str(info.value).startswith("key 'model': failed to build 'Detector' (registry 'model'")


def test_without_a_root_name_paths_are_relative_to_the_cfg_built():
    with pytest.raises(TypeError) as info:
        MODELS.build(dict(type="Detector", backbone=dict(type="Backbone")))
    assert info.value.key_path == "backbone"
    with pytest.raises(TypeError) as info:
        MODELS.build(dict(type="Backbone"))
    assert info.value.key_path == ""
    assert str(info.value).startswith("failed to build 'Backbone'")  # nothing to name


def test_unregistered_types_name_the_key():
    with pytest.raises(NotRegisteredError) as info:
        MODELS.build(dict(type="Detectr"), key_path="model")
    assert str(info.value).startswith("key 'model': 'Detectr' is not registered in the 'model' registry")
    assert info.value.key == "Detectr" and info.value.key_path == "model"

    cfg = _detector(heads=[dict(type="Head", num_classes=3), dict(type="Haed", num_classes=1)])
    with pytest.raises(KeyError) as info:
        MODELS.build(cfg, key_path="model")
    err = info.value
    assert isinstance(err, BuildError) and isinstance(err.original, NotRegisteredError)
    assert err.key_path == "model.heads.1"
    assert str(err).startswith(
        "key 'model.heads.1': failed to build 'Detector' (registry 'model', scope 'pathtest'): "
        "NotRegisteredError: 'Haed' is not registered"
    )
    assert "key 'model.heads.1'" not in str(err.original)  # said once, in front


def test_copies_are_found_by_equality_or_by_their_unique_type():
    cfg = dict(type="CopyingDetector", backbone=dict(type="Backbone"), neck=dict(type="Head", num_classes=1))
    with pytest.raises(TypeError) as info:
        MODELS.build(cfg, key_path="model")
    assert info.value.key_path == "model.backbone"  # a deep copy: equal
    cfg = dict(type="CopyingDetector", backbone=dict(type="Backbone", depth=1), neck=dict(type="Head", num_classes=1))
    with pytest.raises(TypeError) as info:
        MODELS.build(dict(cfg, extra_depth=3), key_path="model")
    assert info.value.key_path == "model.neck"  # changed, but the only 'Head' among the arguments


def test_an_ambiguous_part_falls_back_to_the_enclosing_key():
    cfg = dict(type="Twin", left=dict(type="Backbone", depth=0), right=dict(type="Backbone", depth=1))
    with pytest.raises(TypeError) as info:
        MODELS.build(cfg, key_path="model")
    assert info.value.key_path == "model"
    assert str(info.value).startswith("key 'model': failed to build 'Twin' (registry 'model', scope 'pathtest') -> 'Backbone'")


def test_build_path_inside_a_constructor_is_relative():
    with pytest.raises(TypeError) as info:
        MODELS.build(dict(type="Wrapper", settings=1), key_path="model")
    assert info.value.key_path == "model.settings.inner"


def test_build_path_with_the_holding_config_finds_each_item():
    hooks = [dict(type="Hook", priority=1), dict(type="Hook")]
    with build_path("custom_hooks", cfg=hooks), pytest.raises(TypeError) as info:
        for hook in hooks:
            HOOKS.build(hook)
    assert info.value.key_path == "custom_hooks.1"

    config = dict(model=dict(type="Detector", backbone=dict(type="Backbone")), custom_hooks=hooks)
    with build_path(cfg=config), pytest.raises(TypeError) as info:
        MODELS.build(config["model"])
    assert info.value.key_path == "model.backbone"


def test_a_cfg_not_found_in_the_named_config_is_at_the_name():
    hooks = [dict(type="Hook", priority=1), dict(type="Hook", priority=2)]
    with build_path("custom_hooks", cfg=hooks), pytest.raises(TypeError) as info:
        HOOKS.build(dict(type="Hook", speed=2))  # not equal to either, and of an ambiguous type
    assert info.value.key_path == "custom_hooks"
    with build_path("custom_hooks", cfg=hooks[:1]), pytest.raises(TypeError) as info:
        HOOKS.build(dict(type="Hook", speed=2))  # a changed copy of the only 'Hook'
    assert info.value.key_path == "custom_hooks.0"


def test_list_cfg_built_by_a_sequence_build_func_names_each_item():
    registry = Registry("seq", scope="pathtest_seq")
    registry.register_module(module=Head)

    def build_sequence(cfg, registry, default_args=None):  # as MODELS builds an nn.Sequential
        if isinstance(cfg, list):
            return [build_from_cfg(dict(item), registry, default_args) for item in cfg]
        return build_from_cfg(cfg, registry, default_args)

    registry.build_func = build_sequence
    with pytest.raises(ValueError) as info:
        registry.build([dict(type="Head", num_classes=2), dict(type="Head", num_classes=0)], key_path="heads")
    assert info.value.key_path == "heads.1"


def test_key_path_with_a_custom_build_func():
    registry = Registry("thing", scope="pathtest_custom")
    registry.register_module(module=Backbone)
    received = []

    def build_func(cfg, registry, default_args=None):
        received.append(default_args)
        return build_from_cfg(cfg, registry, default_args)

    registry.build_func = build_func
    with pytest.raises(TypeError) as info:
        registry.build(dict(type="Backbone"), key_path="thing", default_args=dict(x=1))
    assert info.value.key_path == "thing"
    assert received == [dict(x=1)]  # key_path is not passed on to the build function


def test_current_build_path_inside_constructors():
    Recorder.seen.clear()
    assert current_build_path() is None
    MODELS.build(dict(type="Recorder", child=dict(type="Recorder")), key_path="model")
    assert Recorder.seen == ["model", "model.child"]
    assert current_build_path() is None


def test_each_thread_has_its_own_path():
    barrier = threading.Barrier(2, timeout=10)
    results: dict[str, str | None] = {}

    @MODELS.register_module(force=True)
    class Waiter:
        def __init__(self, name):
            barrier.wait()  # both threads are inside a build now
            results[name] = current_build_path()

    def run(name):
        MODELS.build(dict(type="Recorder", child=dict(type="Waiter", name=name)), key_path=name)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("model", "teacher")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == {"model": "model.child", "teacher": "teacher.child"}


def test_key_path_survives_pickling():
    with pytest.raises(BuildError) as info:
        MODELS.build(dict(type="Detector", backbone=dict(type="Backbone")), key_path="model")
    again = pickle.loads(pickle.dumps(info.value))
    assert again.key_path == "model.backbone" and str(again) == str(info.value)
    assert isinstance(again, TypeError)


def test_build_path_rejects_a_non_string_key():
    with pytest.raises(TypeError, match="build_path key must be a str"), build_path(3):  # type: ignore[arg-type]
        pass
