"""The root registries, the tree statistics and the docstring examples."""

from __future__ import annotations

import doctest
import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import mme.registry
from mme.registry import Registry, count_registered_modules, traverse_registry_tree

ROOTS = [
    "RUNNERS", "RUNNER_CONSTRUCTORS", "LOOPS", "HOOKS", "STRATEGIES", "DATASETS", "DATA_SAMPLERS",
    "TRANSFORMS", "MODELS", "MODEL_WRAPPERS", "WEIGHT_INITIALIZERS", "OPTIMIZERS", "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS", "PARAM_SCHEDULERS", "METRICS", "EVALUATOR", "TASK_UTILS",
    "VISUALIZERS", "VISBACKENDS", "LOG_PROCESSORS", "INFERENCERS", "FUNCTIONS",
]  # fmt: skip


@pytest.mark.parametrize("attr", ROOTS)
def test_root_registries(attr):
    registry = getattr(mme.registry, attr)
    assert isinstance(registry, Registry)
    assert registry.scope == "mme" and registry.parent is None
    assert attr in mme.registry.__all__


def test_the_roots_are_distinct_and_empty_in_a_fresh_interpreter():
    code = (
        "import sys, mme.registry as r\n"
        f"roots = [getattr(r, a) for a in {ROOTS!r}]\n"
        "assert len({id(x) for x in roots}) == 23\n"
        "assert len({x.name for x in roots}) == 23\n"
        "assert all(len(x) == 0 and not x.children for x in roots), [x.name for x in roots if len(x)]\n"
        "assert not {'torch', 'numpy', 'yapf'} & set(sys.modules), 'heavy import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_is_sorted():
    assert mme.registry.__all__ == sorted(mme.registry.__all__)


def test_traverse_registry_tree_from_any_node():
    root = Registry("model", scope="trvroot")
    child = Registry("model", parent=root, scope="trvchild")
    root.register_module("Dict", module=dict)
    child.register_module(module=json.JSONDecoder)
    info = traverse_registry_tree(child, verbose=False)
    assert info == [
        {"num_modules": 1, "scope": "trvroot", "name": "model", "": ["Dict"]},
        {"num_modules": 1, "scope": "trvchild", "name": "model", "json": ["JSONDecoder"]},
    ]


def test_count_registered_modules_writes_json(tmp_path, caplog):
    with caplog.at_level("INFO", logger="mme.registry"):
        data = count_registered_modules(save_path=str(tmp_path / "out"), verbose=True)
    assert set(data["registries"]) == set(ROOTS)
    assert len(data["scan_date"]) == 14
    saved = json.loads((tmp_path / "out" / "modules_statistic_results.json").read_text())
    assert saved == data
    assert "modules in mme's 'model' registry" in caplog.text
    assert f"saved the registry analysis to {tmp_path / 'out' / 'modules_statistic_results.json'}" in caplog.text


MODULES = sorted(m.name for m in pkgutil.iter_modules(mme.registry.__path__, "mme.registry."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# The names MMEngine gives its root registries: they are what error messages, reprs and
# count_registered_modules show, and what a downstream child registry is declared with.
ROOT_NAMES = {
    "RUNNERS": "runner", "RUNNER_CONSTRUCTORS": "runner constructor", "LOOPS": "loop", "HOOKS": "hook",
    "STRATEGIES": "strategy", "DATASETS": "dataset", "DATA_SAMPLERS": "data sampler", "TRANSFORMS": "transform",
    "MODELS": "model", "MODEL_WRAPPERS": "model_wrapper", "WEIGHT_INITIALIZERS": "weight initializer",
    "OPTIMIZERS": "optimizer", "OPTIM_WRAPPERS": "optim_wrapper",
    "OPTIM_WRAPPER_CONSTRUCTORS": "optimizer wrapper constructor", "PARAM_SCHEDULERS": "parameter scheduler",
    "METRICS": "metric", "EVALUATOR": "evaluator", "TASK_UTILS": "task util", "VISUALIZERS": "visualizer",
    "VISBACKENDS": "vis_backend", "LOG_PROCESSORS": "log_processor", "INFERENCERS": "inferencer",
    "FUNCTIONS": "function",
}  # fmt: skip


@pytest.mark.parametrize("attr", ROOTS)
def test_root_registry_names_match_mmengine(attr):
    registry = getattr(mme.registry, attr)
    assert registry.name == ROOT_NAMES[attr]
    with pytest.raises(KeyError, match=f"is not registered in the {ROOT_NAMES[attr]!r} registry"):
        registry.get("RootNameProbeThatIsNotRegistered")


def test_traverse_registry_tree_logs_by_default_and_not_when_quiet(caplog):
    root = Registry("model", scope="trvlog")
    with caplog.at_level("INFO", logger="mme.registry"):
        traverse_registry_tree(root)
    assert "found 0 modules in trvlog's 'model' registry" in caplog.text
    caplog.clear()
    with caplog.at_level("INFO", logger="mme.registry"):
        traverse_registry_tree(root, verbose=False)
    assert caplog.text == ""


def test_traverse_registry_tree_groups_by_package_folder():
    root = Registry("model", scope="trvfolder")

    class Deep:
        pass

    Deep.__module__ = "pkg_a.sub_b.mod_c"
    root.register_module(module=Deep)
    assert traverse_registry_tree(root, verbose=False) == [
        {"num_modules": 1, "scope": "trvfolder", "name": "model", "pkg_a/sub_b": ["Deep"]},
    ]


def test_count_registered_modules_quiet_and_without_saving(tmp_path, caplog, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with caplog.at_level("INFO", logger="mme.registry"):
        data = count_registered_modules(verbose=False)
    assert caplog.text == ""
    assert list(tmp_path.iterdir()) == []  # save_path=None writes nothing
    assert set(data["registries"]) == set(ROOTS)
    with caplog.at_level("INFO", logger="mme.registry"):
        count_registered_modules()  # verbose by default
    assert "finished the registry analysis" in caplog.text


def test_count_registered_modules_file_is_indented_like_mmengine(tmp_path):
    data = count_registered_modules(save_path=str(tmp_path), verbose=False)
    assert (tmp_path / "modules_statistic_results.json").read_text() == json.dumps(data, indent=2)
