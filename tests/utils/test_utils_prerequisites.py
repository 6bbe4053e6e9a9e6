"""check_prerequisites, requires_executable, deprecated_function and has_method."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from mme.utils import check_prerequisites, deprecated_function, has_method, requires_executable


def test_check_prerequisites_names_the_missing_ones():
    checked = []

    def checker(name):
        checked.append(name)
        return name.startswith("ok")

    @check_prerequisites(["ok1", "bad1", "ok2", "bad2"], checker=checker)
    def f(x):
        return x * 2

    @check_prerequisites("ok", checker=checker, msg_tmpl="need {} for {}")
    def g():
        return "g"

    assert checked == []  # checked when called, not when decorated
    with pytest.raises(RuntimeError, match='Prerequisites "bad1, bad2" are required in method "f"'):
        f(1)
    assert g() == "g"
    assert f.__name__ == "f"


def test_requires_executable_looks_on_path(tmp_path, monkeypatch):
    tool = tmp_path / "mme-test-tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)

    @requires_executable(["mme-test-tool"])
    def run():
        return "ran"

    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    with pytest.raises(RuntimeError, match='"mme-test-tool" are required in method "run"'):
        run()
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run() == "ran"


def test_deprecated_function_warns_and_documents():
    @deprecated_function("0.2.0", "0.4.0", "use new_f instead")
    def old_f(x):
        """Double x.

        More text.
        """
        return 2 * x

    with pytest.warns(DeprecationWarning, match=r"old_f' is deprecated in version 0\.2\.0 and will be removed in "
                      r"version 0\.4\.0\. Please use new_f instead\."):
        assert old_f(3) == 6
    doc = old_f.__doc__.splitlines()
    assert doc[0] == "Double x."
    assert doc[2] == ".. deprecated:: 0.2.0"
    assert "Please use new_f instead." in old_f.__doc__ and "More text." in old_f.__doc__

    @deprecated_function("1", "2", "stop")
    def bare():
        return None

    assert bare.__doc__.startswith(".. deprecated:: 1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bare()
    assert len(caught) == 1 and caught[0].category is DeprecationWarning
    assert caught[0].filename == __file__  # points at the caller


def test_has_method():
    class A:
        attr = 1

        def m(self):
            pass

    assert has_method(A(), "m") and has_method(A, "m")
    assert not has_method(A(), "attr") and not has_method(A(), "missing")
