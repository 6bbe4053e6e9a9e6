"""The ``mme`` command line: help, config print/diff, train/test on a toy config, logs plot."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mme.cli import build_parser, main
from mme.config import Config
from mme.testing import get_toy_cfg


@pytest.fixture
def toy_config(tmp_path):
    cfg = get_toy_cfg(str(tmp_path / "wd"), max_epochs=1, size=16, log_level="WARNING")
    cfg["custom_imports"] = dict(imports=["mme.testing"], allow_failed_imports=False)
    path = tmp_path / "toy.py"
    Config(cfg).dump(str(path))
    return path


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("train", "test", "config", "logs"):
        assert command in out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--resume" in out and "--cfg-options" in out and "--launcher" in out and "--work-dir" in out


def test_console_script_entry_point():
    proc = subprocess.run([sys.executable, "-m", "mme.cli", "config", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "print" in proc.stdout and "diff" in proc.stdout


def test_config_print_and_diff(toy_config, tmp_path, capsys):
    assert main(["config", "print", str(toy_config), "--cfg-options", "train_cfg.max_epochs=7"]) == 0
    out = capsys.readouterr().out
    assert "max_epochs=7" in out
    other = tmp_path / "other.py"
    cfg = Config.fromfile(str(toy_config))
    cfg.merge_from_dict({"train_cfg.max_epochs": 9})
    cfg.dump(str(other))
    assert main(["config", "diff", str(toy_config), str(other)]) == 0
    out = capsys.readouterr().out
    assert "-" in out and "max_epochs=9" in out
    assert main(["config", "diff", str(toy_config), str(toy_config)]) == 0
    assert "identical" in capsys.readouterr().out


def test_train_resume_test_and_plot(toy_config, tmp_path, capsys):
    work = tmp_path / "cli_wd"
    assert main(["train", str(toy_config), "--work-dir", str(work)]) == 0
    assert (work / "epoch_1.pth").is_file()
    assert main(["train", str(toy_config), "--work-dir", str(work), "--resume",
                 "--cfg-options", "train_cfg.max_epochs=2"]) == 0
    assert (work / "epoch_2.pth").is_file()
    cfg = Config.fromfile(str(toy_config))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.test_cfg = dict()
    cfg.test_evaluator = cfg.val_evaluator
    cfg.dump(str(tmp_path / "toy_test.py"))
    out_pkl = tmp_path / "preds.pkl"
    assert main(["test", str(tmp_path / "toy_test.py"), str(work / "epoch_2.pth"), "--work-dir",
                 str(tmp_path / "t"), "--out", str(out_pkl)]) == 0
    assert out_pkl.is_file()
    png = tmp_path / "curves.png"
    assert main(["logs", "plot", str(work), "--keys", "loss", "--out", str(png)]) == 0
    assert png.is_file() and png.stat().st_size > 0


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train"])
    assert info.value.code == 2
    assert "CONFIG" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "x.py", "--launcher", "ssh"])
    parser = build_parser()
    args = parser.parse_args(["train", "c.py", "--resume", "ck.pth"])
    assert args.resume == "ck.pth"
    assert parser.parse_args(["train", "c.py", "--resume"]).resume == "auto"


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(Exception, match="nope.py"):
        main(["train", str(tmp_path / "nope.py")])


def test_scalars_are_json_lines(toy_config, tmp_path):
    work = tmp_path / "wd2"
    assert main(["train", str(toy_config), "--work-dir", str(work)]) == 0
    run = next(p for p in work.iterdir() if p.is_dir())
    for line in (run / "vis_data" / "scalars.json").read_text().splitlines():
        assert "step" in json.loads(line)


def test_demo_configs_resolve(capsys):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "examples" / "digits"
    assert main(["config", "print", str(root / "config_iter.py")]) == 0
    out = capsys.readouterr().out
    assert "InfiniteSampler" in out and "max_iters=450" in out and "DigitsCNN" in out
    assert main(["config", "diff", str(root / "config.py"), str(root / "config_iter.py")]) == 0
    assert "max_epochs" in capsys.readouterr().out
