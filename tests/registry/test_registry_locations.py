"""``locations``: modules imported on the first lookup, not before."""

from __future__ import annotations

import sys

import pytest

from mme.registry import Registry, RegistryImportError


@pytest.fixture()
def plugin_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("locplug")]:
        del sys.modules[name]


def _write_plugin(path, module):
    path.joinpath(f"{module}.py").write_text(
        "import sys\n"
        "from test_registry_locations_shared import REGISTRIES\n"
        f"reg = REGISTRIES[{module!r}]\n"
        "@reg.register_module()\n"
        "class Plugin:\n"
        "    def __init__(self, size=1):\n"
        "        self.size = size\n"
    )


@pytest.fixture()
def shared(plugin_dir):
    module = type(sys)("test_registry_locations_shared")
    module.REGISTRIES = {}
    sys.modules[module.__name__] = module
    yield module.REGISTRIES
    del sys.modules[module.__name__]


def test_locations_are_imported_on_first_lookup_only(plugin_dir, shared):
    reg = Registry("plugin", scope="loctest", locations=["locplug_a"])
    shared["locplug_a"] = reg
    _write_plugin(plugin_dir, "locplug_a")
    assert reg.locations == ["locplug_a"]
    assert "locplug_a" not in sys.modules
    assert reg.build(dict(type="Plugin", size=3)).size == 3
    assert "locplug_a" in sys.modules
    assert "Plugin" in reg.module_dict


@pytest.mark.parametrize("read", [len, lambda reg: reg.module_dict, repr, lambda reg: "Plugin" in reg])
def test_reading_the_contents_imports_the_locations_too(plugin_dir, shared, read):
    reg = Registry("plugin", scope="locread", locations=["locplug_r"])
    shared["locplug_r"] = reg
    _write_plugin(plugin_dir, "locplug_r")
    read(reg)
    assert "locplug_r" in sys.modules and list(reg.module_dict) == ["Plugin"] and len(reg) == 1


def test_locations_added_later_are_imported_on_the_next_lookup(plugin_dir, shared):
    reg = Registry("plugin", scope="locadd")
    assert len(reg) == 0
    shared["locplug_c"] = shared["locplug_d"] = reg
    plugin_dir.joinpath("locplug_c.py").write_text(
        "from test_registry_locations_shared import REGISTRIES\n"
        "REGISTRIES['locplug_c'].register_module(name='C', module=dict)\n")
    plugin_dir.joinpath("locplug_d.py").write_text(
        "from test_registry_locations_shared import REGISTRIES\n"
        "REGISTRIES['locplug_d'].register_module(name='D', module=list)\n")
    reg.add_locations("locplug_c")
    reg.add_locations("locplug_c", "locplug_d")  # one already known: listed once
    assert reg.locations == ["locplug_c", "locplug_d"]
    assert "locplug_c" not in sys.modules  # declaring imports nothing
    assert reg.get("D") is list and reg.get("C") is dict
    with pytest.raises(TypeError, match="locations of registry 'plugin' must be module names, got \\(''"):
        reg.add_locations("")


def test_a_parents_locations_are_imported_when_a_child_looks_up(plugin_dir, shared):
    root = Registry("plugin", scope="locroot", locations="locplug_b")
    child = Registry("plugin", parent=root, scope="locchild")
    shared["locplug_b"] = root
    _write_plugin(plugin_dir, "locplug_b")
    assert child.get("Plugin").__module__ == "locplug_b"


def test_a_missing_location_names_the_registry(plugin_dir):
    reg = Registry("plugin", scope="locmiss", locations=["locplug_not_there"])
    with pytest.raises(RegistryImportError) as info:
        reg.get("Anything")
    assert isinstance(info.value, ImportError)
    assert "the 'plugin' registry (scope 'locmiss') could not import its location 'locplug_not_there'" in str(
        info.value
    )
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    # it is tried again on the next lookup, so a fixed sys.path recovers
    with pytest.raises(RegistryImportError):
        reg.get("Anything")
