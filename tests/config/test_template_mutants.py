"""mme.config._template: the text substitutions before parsing, and the tokens they leave."""

from __future__ import annotations

import os

import pytest
from mme.config._errors import ConfigProblem
from mme.config._template import BASE_REF_FUNC, find_tokens, lookup, resolve_base_refs, substitute


def test_predefined_variables(tmp_path):
    path = tmp_path / "sub" / "my.cfg.py"
    text = "{{fileDirname}}|{{ fileBasename }}|{{fileBasenameNoExtension}}|{{  fileExtname  }}|{{ other }}"
    result = substitute(text, str(path))
    assert result.text == f"{tmp_path / 'sub'}|my.cfg.py|my.cfg|.py|{{{{ other }}}}"
    assert substitute(text, str(path), use_predefined_variables=False).text == text
    assert substitute(text, None).text == text


def test_predefined_variables_use_forward_slashes(tmp_path):
    path = tmp_path / "a\\b.py"  # a backslash is an ordinary character of a POSIX file name
    assert substitute("{{ fileBasename }}", str(path)).text == "a/b.py"


def test_relative_file_names_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert substitute("{{ fileDirname }}", "c.py").text == str(tmp_path)


def test_environment_variables(monkeypatch):
    monkeypatch.setenv("MME_T_SET", "7")
    monkeypatch.delenv("MME_T_UNSET", raising=False)
    result = substitute("a = {{$MME_T_SET}}\nb = {{ '$MME_T_UNSET:3' }}\nc = '{{$MME_T_SET:9}}'\n", None)
    assert result.text == "a = 7\nb = 3\nc = '7'\n"
    assert result.env_variables == {"MME_T_SET": "7", "MME_T_UNSET": "3"}
    assert result.missing_env == {} and result.base_refs == {}


def test_missing_environment_variables_become_numbered_tokens(monkeypatch):
    monkeypatch.delenv("MME_T_NO", raising=False)
    monkeypatch.delenv("MME_T_NO2", raising=False)
    result = substitute("x = 1\na = {{$MME_T_NO}}\nb = 'p/{{$MME_T_NO2}}/q'\n", None)
    (t0, v0), (t1, v1) = result.missing_env.items()
    assert v0 == ("MME_T_NO", 2) and v1 == ("MME_T_NO2", 3)
    assert t0.startswith("_mme_missing_env_") and t0.endswith("_0_") and t1.endswith("_1_")
    assert result.text == f"x = 1\na = \"{t0}\"\nb = 'p/{t1}/q'\n"
    assert result.env_variables == {}


def test_tokens_differ_between_calls(monkeypatch):
    monkeypatch.delenv("MME_T_NO", raising=False)
    one = substitute("a = {{$MME_T_NO}}", None).missing_env
    two = substitute("a = {{$MME_T_NO}}", None).missing_env
    assert set(one) != set(two)


@pytest.mark.parametrize(("text", "expected"), [
    ("a = {{_base_.x}}", 'a = "T"'),                 # a value: quoted
    ("a={{_base_.x}}", 'a="T"'),
    ("a = [{{_base_.x}}, 1]", 'a = ["T", 1]'),
    ("a = [1,{{_base_.x}}]", 'a = [1,"T"]'),
    ("a = {1:{{_base_.x}}}", 'a = {1:"T"}'),
    ("a = ({{_base_.x}})", 'a = ("T")'),
    ("a = {{_base_.x}}\r\n", 'a = "T"\r\n'),
    ("a = {{_base_.x}} # c", 'a = "T" # c'),
    ("a = {{_base_.x}}#c", 'a = "T"#c'),
    ("{{_base_.x}}", '"T"'),                         # the whole text
    ("a = '{{_base_.x}}'", 'a = "T"'),              # already quoted: the quotes are replaced
    ("a = \"{{_base_.x}}\"", 'a = "T"'),
    ("a = 'p/{{_base_.x}}'", "a = 'p/T'"),          # part of a longer text: bare
    ("a = '{{_base_.x}}/q'", "a = 'T/q'"),
    ("a = 'x{{_base_.x}}y'", "a = 'xTy'"),
    ("a = \"{{_base_.x}}'", "a = \"\"T\"'"),      # quotes that do not match stay, around a quoted token
    ("a = {{_base_.x}}.y", "a = T.y"),
    ("a = x{{_base_.x}}", "a = xT"),
    ("a = X{{_base_.x}}", "a = XT"),
    ("a = {{_base_.x}}X", "a = TX"),
    ("x{{_base_.x}}", "xT"),
])
def test_where_a_base_reference_is_quoted(text, expected):
    result = substitute(text, None)
    (token,) = result.base_refs
    assert result.text == expected.replace("T", token)
    assert result.base_refs[token] == ("x", 1)


def test_base_references_in_python_text_become_calls():
    result = substitute("a = 1\nb = {{ _base_.m.n }}\nc = 'p{{_base_.q}}'\n", "c.py", python=True)
    (t0, (d0, l0)), (t1, (d1, l1)) = result.base_refs.items()
    assert (d0, l0, d1, l1) == ("m.n", 2, "q", 3)
    assert t0.startswith("_mme_base_ref_") and t0.endswith("_0_") and t1.endswith("_1_")
    assert result.text == f'a = 1\nb = {BASE_REF_FUNC}("{t0}")\nc = \'p{t1}\'\n'


def test_find_tokens_names_the_dotted_keys():
    tokens = {"_mme_a_": 1, "_mme_b_": 2}
    value = {"x": ["s", "_mme_a_"], "y": {"z": "pre_mme_b_post and _mme_a_"}, "t": ("_mme_b_",), "n": 3,
             "u": "no token"}
    assert sorted(find_tokens(value, tokens)) == [("_mme_a_", "x.1"), ("_mme_a_", "y.z"), ("_mme_b_", "t.0"),
                                                  ("_mme_b_", "y.z")]
    assert find_tokens(["_mme_a_"], tokens) == [("_mme_a_", "0")]
    assert find_tokens("_mme_b_", tokens, "k") == [("_mme_b_", "k")]
    assert find_tokens("_mme_c_", tokens) == []


def test_lookup():
    base = {"a": {"b": [10, {"c": 3}]}, "t": (1, 2)}
    assert lookup(base, "a.b.1.c") == 3
    assert lookup(base, "a.b.0") == 10
    assert lookup(base, "t.1") == 2
    for dotted, missing in (("a.x", "x"), ("a.b.2", "2"), ("a.b.-1", "-1"), ("a.b.0.c", "c"), ("q", "q")):
        with pytest.raises(KeyError) as info:
            lookup(base, dotted)
        assert info.value.args[0] == missing


def test_resolve_base_refs():
    refs = {"_mme_base_ref_s_0_": ("a.b", 1), "_mme_base_ref_s_1_": ("n", 2), "_mme_base_ref_s_2_": ("zz.y", 7)}
    base = {"a": {"b": {"k": [1, 2]}}, "n": 5}
    value = {"x": "_mme_base_ref_s_0_", "l": ["_mme_base_ref_s_1_", 3], "t": ("_mme_base_ref_s_1_",),
             "s": "n=_mme_base_ref_s_1_ and \"_mme_base_ref_s_1_\"", "o": "plain", "i": 4}
    problems: list[ConfigProblem] = []
    out = resolve_base_refs(value, refs, base, "f.py", problems)
    assert out is value and problems == []
    assert out == {"x": {"k": [1, 2]}, "l": [5, 3], "t": (5,), "s": "n=5 and 5", "o": "plain", "i": 4}
    assert type(out["t"]) is tuple and type(out["x"]).__name__ == "ConfigDict"
    assert out["x"] is not base["a"]["b"] and out["x"]["k"] is not base["a"]["b"]["k"]  # a deep copy
    bad = {"q": ["_mme_base_ref_s_2_"]}
    out = resolve_base_refs(bad, refs, base, "f.py", problems)
    assert out == {"q": ["_mme_base_ref_s_2_"]}
    (problem,) = problems
    assert (problem.filename, problem.lineno, problem.key) == ("f.py", 7, "q.0")
    assert problem.message == "{{_base_.zz.y}} refers to 'zz', which the bases do not define"
    assert resolve_base_refs("_mme_base_ref_s_1_", refs, base, "f.py", problems, "top") == 5


def test_line_numbers_count_a_leading_newline(monkeypatch):
    monkeypatch.delenv("MME_T_NO", raising=False)
    result = substitute("\na = {{$MME_T_NO}}\nb = {{_base_.x}}\n", None)
    assert list(result.missing_env.values()) == [("MME_T_NO", 2)]
    assert list(result.base_refs.values()) == [("x", 3)]


def test_token_format():
    import re

    result = substitute("a = {{_base_.x}}", None)
    (token,) = result.base_refs
    assert re.fullmatch(r"_mme_base_ref_[0-9a-f]{8}_0_", token)
