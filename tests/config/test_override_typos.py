"""An override that would add a key one typo away from an existing one is a ConfigError."""

from __future__ import annotations

import argparse

import pytest
from mme.config import Config, ConfigError, DictAction


def _cfg() -> Config:
    return Config(
        dict(
            randomness=dict(seed=0, deterministic=False),
            model=dict(
                type="Detector",
                backbone=dict(type="ResNet", depth=50, out_channels=256),
                heads=[dict(type="Head", num_classes=10)],
            ),
            optim_wrapper=dict(optimizer=dict(type="Adam", lr=0.1, beta1=0.9)),
            train_dataloader=dict(batch_size=2),
        )
    )


def _cli(*options: str) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    return parser.parse_args(["--cfg-options", *options]).cfg_options


def test_top_level_typo_names_the_key_and_suggests_the_match():
    cfg = _cfg()
    with pytest.raises(ConfigError) as info:
        cfg.merge_from_dict(_cli("randomnes.seed=3"))
    err = info.value
    assert err.key == "randomnes.seed"
    assert str(err) == (
        "key 'randomnes.seed': 'randomnes' is not a key of the config; did you mean 'randomness.seed'? "
        "To add it as a new key, write '+randomnes.seed' (or pass force_new_keys=True)"
    )
    assert "randomnes" not in cfg and cfg.randomness.seed == 0


@pytest.mark.parametrize(
    ("option", "key", "suggestion"),
    [
        ("model.backbone.dept", "model.backbone.dept", "model.backbone.depth"),
        ("model.bakbone.depth", "model.bakbone.depth", "model.backbone.depth"),
        ("model.heads.0.num_class", "model.heads.0.num_class", "model.heads.0.num_classes"),
        ("optim_wrapper.optimizer.Lr", "optim_wrapper.optimizer.Lr", "optim_wrapper.optimizer.lr"),
        ("randomness.determinstic", "randomness.determinstic", "randomness.deterministic"),
        ("model.tpye", "model.tpye", "model.type"),
    ],
)
def test_typo_at_every_nesting_level(option, key, suggestion):
    cfg = _cfg()
    before = cfg.to_dict()
    with pytest.raises(ConfigError) as info:
        cfg.merge_from_dict({option: 1})
    assert info.value.key == key
    assert f"did you mean '{suggestion}'?" in str(info.value)
    assert cfg.to_dict() == before


def test_typo_inside_a_dict_value_merged_into_the_config():
    cfg = _cfg()
    with pytest.raises(ConfigError) as info:
        cfg.merge_from_dict({"model": dict(backbone=dict(dept=101))})
    assert info.value.key == "model.backbone.dept"
    assert "did you mean 'model.backbone.depth'?" in str(info.value)
    assert "write '+model'" in str(info.value)
    assert "dept" not in cfg.model.backbone


def test_every_typo_is_reported_at_once():
    cfg = _cfg()
    with pytest.raises(ConfigError) as info:
        cfg.merge_from_dict({"randomnes.seed": 1, "model.backbone.depth": 101, "model.backbone.dept": 2})
    assert [p.key for p in info.value.problems] == ["randomnes.seed", "model.backbone.dept"]


@pytest.mark.parametrize(
    "option",
    [
        "val_dataloader.batch_size",  # next to train_dataloader: a real new key
        "model.backbone.in_channels",  # next to out_channels
        "optim_wrapper.optimizer.beta2",  # next to beta1: siblings differ in digits only
        "optim_wrapper.optimizer.wd",  # short keys need an exact case-insensitive match
        "work_dir",
        "new.deep.key",
    ],
)
def test_keys_without_a_close_match_are_still_added(option):
    cfg = _cfg()
    cfg.merge_from_dict({option: 7})
    node = cfg
    for part in option.split("."):
        node = node[part]
    assert node == 7


def test_plus_prefix_adds_a_close_key_on_purpose():
    cfg = _cfg()
    cfg.merge_from_dict(_cli("+randomnes.seed=3", "+model.backbone.dept=4"))
    assert cfg.randomnes.seed == 3 and cfg.randomness.seed == 0
    assert cfg.model.backbone.dept == 4 and cfg.model.backbone.depth == 50
    cfg.merge_from_dict({"+model.backbone.depth": 101})  # on an existing key: a plain override
    assert cfg.model.backbone.depth == 101


def test_force_new_keys_adds_every_close_key():
    cfg = _cfg()
    cfg.merge_from_dict({"randomnes.seed": 3, "model": dict(backbone=dict(dept=4))}, force_new_keys=True)
    assert cfg.randomnes.seed == 3 and cfg.model.backbone.dept == 4


def test_a_bare_or_double_plus_is_an_invalid_key():
    cfg = _cfg()
    with pytest.raises(ConfigError) as info:
        cfg.merge_from_dict({"+": 1, "++seed": 2, "+.a": 3})
    assert [p.key for p in info.value.problems] == ["+", "++seed", "+.a"]
    assert all("invalid option key" in p.message for p in info.value.problems)


def test_delete_replaces_without_checking_the_old_keys():
    cfg = _cfg()
    cfg.merge_from_dict({"model.backbone": dict(_delete_=True, type="ViT", dept=12)})
    assert cfg.model.backbone.to_dict() == {"type": "ViT", "dept": 12}


def test_cli_override_of_a_fromfile_config(write):
    path = write("c.yaml", "randomness:\n  seed: 0\nmodel:\n  depth: 50\n")
    cfg = Config.fromfile(path)
    with pytest.raises(ConfigError, match=r"did you mean 'randomness\.seed'\?"):
        cfg.merge_from_dict(_cli("randomnes.seed=3"))
    cfg.merge_from_dict(_cli("randomness.seed=3", "model.width=2"))
    assert cfg.randomness.seed == 3 and cfg.model.width == 2
