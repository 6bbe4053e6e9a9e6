"""close_keys: which existing keys a new key is one slip away from."""

from __future__ import annotations

import pytest

from mme.config._typos import close_keys


@pytest.mark.parametrize(
    ("key", "existing", "expected"),
    [
        ("LR", ["lr"], ["lr"]),  # case alone counts even for short keys
        ("lr", ["l2", "lr_"], []),  # short keys: one edit makes unrelated names
        ("abc", ["abcd"], []),
        ("dept", ["depth"], ["depth"]),  # four characters: one edit
        ("lenght", ["length"], ["length"]),  # a swap of neighbours is one edit
        ("edpth", ["depth"], ["depth"]),  # also of the first two characters
        ("dbepth", ["depth"], ["depth"]),  # one character too many
        ("deetph", ["depth"], []),  # a swap and a replacement: two edits
        ("lenhgt", ["length"], []),  # two edits on a short key
        ("randomnexx", ["randomness"], ["randomness"]),  # ten characters: two edits
        ("optimixxr", ["optimizer"], []),  # nine characters: one edit only
        ("randomnessxyz", ["randomness"], []),  # three characters more
        ("stage1", ["stage2"], []),  # digits alone: siblings
        ("beta_2", ["beta1"], []),
        ("depth", ["depth", 3, None, "detph"], ["detph"]),  # the key itself and non-strings are skipped
        ("model_x", ["model_y", "Model_X"], ["Model_X", "model_y"]),  # closest first
        ("model_x", ["Model_X", "model_y"], ["Model_X", "model_y"]),
        ("Zeta_key", ["Zeta_kez", "zeta_key"], ["zeta_key", "Zeta_kez"]),
    ],
)
def test_close_keys(key, existing, expected):
    assert close_keys(key, existing) == expected


def test_at_most_n_keys():
    existing = ["abcdx", "abcdy", "abcdz", "abcdw"]
    assert close_keys("abcde", existing) == existing[:3]
    assert close_keys("abcde", existing, n=1) == ["abcdx"]
