"""``build`` / ``build_from_cfg``: arguments, type forms, ManagerMixin, build_func, and errors."""

from __future__ import annotations

import pickle
from collections import UserDict

import pytest

from mme.registry import (
    BuildError,
    MissingTypeError,
    NotRegisteredError,
    Registry,
    RegistryTypeError,
    build_from_cfg,
)
from mme.utils import ManagerMixin


class Point:
    def __init__(self, x, y=0):
        if x < 0:
            raise ValueError(f"x must be >= 0, got {x}")
        self.x, self.y = x, y


class Canvas(ManagerMixin):
    def __init__(self, name: str = "", width: int = 1) -> None:
        super().__init__(name)
        self.width = width


class Holder:
    """Builds a child from a nested config, as a model builds its backbone."""

    def __init__(self, inner, registry):
        self.inner = registry.build(inner)


class CustomError(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)
        self.code = code


class Failing:
    def __init__(self, kind):
        if kind == "key":
            raise KeyError("missing_key")
        if kind == "os":
            raise FileNotFoundError(2, "No such file", "weights.pth")
        raise CustomError(7, "boom")


@pytest.fixture()
def reg():
    registry = Registry("shape", scope="bldtest")
    for cls in (Point, Canvas, Holder, Failing):
        registry.register_module(module=cls)
    registry.register_module("make_pair", module=lambda a, b: (a, b))
    return registry


def test_build_with_kwargs_and_default_args(reg):
    p = reg.build(dict(type="Point", x=1), default_args=dict(y=5, x=9))
    assert (p.x, p.y) == (1, 5)
    q = build_from_cfg(dict(x=2), reg, default_args=dict(type="Point"))
    assert (q.x, q.y) == (2, 0)


def test_cfg_is_not_mutated(reg):
    cfg = dict(type="Point", x=1, _scope_="bldtest")
    reg.build(cfg)
    assert cfg == dict(type="Point", x=1, _scope_="bldtest")


def test_type_as_class_function_and_dotted_path(reg):
    assert isinstance(reg.build(dict(type=Point, x=1)), Point)
    assert reg.build(dict(type="make_pair", a=1, b=2)) == (1, 2)
    assert reg.build(dict(type="collections.OrderedDict", a=1)) == {"a": 1}


def test_any_mapping_and_a_config_like_object(reg):
    assert reg.build(UserDict(type="Point", x=3)).x == 3

    class ConfigLike:  # mme.config.Config is not a Mapping; it has keys() and []
        def __init__(self, data):
            self._data = data

        def keys(self):
            return self._data.keys()

        def __getitem__(self, key):
            return self._data[key]

    assert reg.build(ConfigLike({"type": "Point", "x": 4})).x == 4


def test_the_configs_own_items_are_used(reg):
    class Lazy:
        def __init__(self, target):
            self.target = target

    class ResolvingDict(dict):  # as ConfigDict resolves lazily imported objects in items()
        def items(self):
            return [(k, v.target if isinstance(v, Lazy) else v) for k, v in super().items()]

    p = reg.build(ResolvingDict(type=Lazy(Point), x=Lazy(2)))
    assert (type(p), p.x) == (Point, 2)


def test_config_dict_and_config_from_mme_config(reg):
    config = pytest.importorskip("mme.config")
    if not hasattr(config, "ConfigDict") or not hasattr(config, "Config"):
        pytest.skip("mme.config.ConfigDict / Config are not there yet")
    p = reg.build(config.ConfigDict(type="Point", x=5, y=6))
    assert (p.x, p.y) == (5, 6)
    cfg = config.Config(dict(model=dict(type="Point", x=7)))
    assert reg.build(cfg.model).x == 7
    assert reg.build(config.Config(dict(type="Point", x=8))).x == 8


def test_manager_mixin_is_created_through_get_instance(reg):
    canvas = reg.build(dict(type="Canvas", name="main", width=3))
    assert Canvas.get_instance("main") is canvas
    assert Canvas.get_current_instance() is canvas
    assert reg.build(dict(type="Canvas", name="main")) is canvas  # no kwargs: the existing instance
    with pytest.raises(BuildError, match="its config needs a 'name' key") as info:
        reg.build(dict(type="Canvas", width=2))
    assert isinstance(info.value, TypeError)


def test_constructor_error_keeps_its_type_and_names_the_build(reg):
    with pytest.raises(ValueError) as info:
        reg.build(dict(type="Point", x=-1))
    err = info.value
    assert isinstance(err, BuildError)
    assert str(err) == "failed to build 'Point' (registry 'shape', scope 'bldtest'): ValueError: x must be >= 0, got -1"
    assert type(err.__cause__) is ValueError
    assert err.original is err.__cause__
    assert err.path == (("Point", "shape", "bldtest"),)


def test_bad_keyword_is_a_type_error_naming_the_type(reg):
    with pytest.raises(TypeError, match=r"failed to build 'Point' .*unexpected keyword argument 'z'"):
        reg.build(dict(type="Point", x=1, z=2))


@pytest.mark.parametrize(("kind", "base"), [("key", KeyError), ("os", FileNotFoundError), ("custom", CustomError)])
def test_exception_types_with_their_own_init_stay_catchable(reg, kind, base):
    with pytest.raises(base) as info:
        reg.build(dict(type="Failing", kind=kind))
    assert isinstance(info.value, BuildError)
    assert "failed to build 'Failing'" in str(info.value)
    assert type(info.value.original) is base


def test_custom_attributes_of_the_original_are_kept(reg):
    with pytest.raises(CustomError) as info:
        reg.build(dict(type="Failing", kind="custom"))
    assert info.value.code == 7


def test_nested_build_error_shows_the_whole_path(reg):
    with pytest.raises(ValueError) as info:
        reg.build(dict(type="Holder", inner=dict(type="Point", x=-2), registry=reg))
    err = info.value
    assert str(err).startswith(
        "key 'inner': failed to build 'Holder' (registry 'shape', scope 'bldtest') -> 'Point' (registry 'shape', "
        "scope 'bldtest'): ValueError: x must be >= 0"
    )
    assert isinstance(err.__cause__, BuildError)
    assert type(err.original) is ValueError
    assert [step[0] for step in err.path] == ["Holder", "Point"]


def test_nested_lookup_failure_inside_a_constructor(reg):
    with pytest.raises(KeyError) as info:
        reg.build(dict(type="Holder", inner=dict(type="Pont", x=1), registry=reg))
    assert isinstance(info.value, BuildError)
    assert isinstance(info.value.original, NotRegisteredError)
    assert "did you mean 'Point'?" in str(info.value)


def test_build_error_pickles(reg):
    with pytest.raises(BuildError) as info:
        reg.build(dict(type="Point", x=-1))
    again = pickle.loads(pickle.dumps(info.value))
    assert isinstance(again, ValueError) and isinstance(again, BuildError)
    assert str(again) == str(info.value)


def test_unregistered_type(reg):
    expected = r"'Piont' is not registered in the 'shape' registry .*did you mean 'Point'"
    with pytest.raises(NotRegisteredError, match=expected):
        reg.build(dict(type="Piont"))


def test_bad_configs(reg):
    with pytest.raises(MissingTypeError, match="needs a 'type' key") as info:
        reg.build(dict(x=1))
    assert isinstance(info.value, KeyError)
    with pytest.raises(RegistryTypeError, match="cfg must be a dict"):
        reg.build(["type", "Point"])
    with pytest.raises(RegistryTypeError, match="default_args must be a dict"):
        reg.build(dict(type="Point", x=1), default_args=3)
    with pytest.raises(RegistryTypeError, match="'type' in a config built by the 'shape' registry must be a str"):
        reg.build(dict(type=3))
    with pytest.raises(RegistryTypeError, match="registry must be a mme.registry.Registry"):
        build_from_cfg(dict(type="Point", x=1), "shape")


def test_build_func_is_resolved_at_build_time():
    root = Registry("model", scope="bfroot")
    early_child = Registry("model", parent=root, scope="bfchild")
    early_child.register_module(module=Point)
    calls = []

    def traced_build(cfg, *args, registry, **kwargs):
        calls.append(registry.scope)
        return build_from_cfg(cfg, registry, *args, **kwargs)

    assert early_child.build_func is build_from_cfg
    root.build_func = traced_build  # attached later, as the runner layer does
    late_child = Registry("model", parent=root, scope="bflate")
    assert early_child.build_func is traced_build and late_child.build_func is traced_build
    assert early_child.build(dict(type="Point", x=1)).x == 1
    assert calls == ["bfchild"]

    def own(cfg, registry, **kwargs):
        return "own"

    early_child.build_func = own
    assert early_child.build(dict(type="Point", x=1)) == "own"
    early_child.build_func = None  # inherit again
    assert early_child.build_func is traced_build
    root.build_func = None
    assert late_child.build_func is build_from_cfg
