"""The ``mme`` command line: help, config print/diff, train/test on a toy config, logs plot."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest

from mme.cli import ExitCode, build_parser, classify, main, report
from mme.config import Config, ConfigError
from mme.dist.testing import run_torchrun
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
    import matplotlib
    from mme.visualization import load_scalars

    # logs plot: the whole run, both segments, on axes named after what was logged
    assert [r["step"] for r in load_scalars(work) if "accuracy" in r] == [1, 2]
    capsys.readouterr()
    svg = tmp_path / "curves.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays searchable
        assert main(["logs", "plot", str(work), "--keys", "loss", "accuracy", "--out", str(svg)]) == 0
    assert capsys.readouterr().out.strip() == str(svg)
    text = svg.read_text(encoding="utf-8")
    assert ">iteration</text>" in text and ">epoch</text>" in text and ">step</text>" not in text


def _options(help_text):
    return sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", help_text.split("options:", 1)[1])))


def test_logs_plot_takes_the_flags_of_the_plot_module(tmp_path, capsys):
    from mme.visualization import Visualizer
    from mme.visualization import plot as vis_plot

    with pytest.raises(SystemExit):
        main(["logs", "plot", "--help"])
    cli_help = capsys.readouterr().out
    module_help = vis_plot.build_parser().format_help()
    cli_options, module_options = set(_options(cli_help)), set(_options(module_help))
    assert module_options <= cli_options and cli_options - module_options <= {"--debug"}  # mme's own
    assert {"--keys", "--out", "--labels", "--legend", "--x-key", "--layout", "--title", "--dpi"} <= set(
        _options(cli_help))
    flags = ["a", "b", "--keys", "loss", "acc", "--out", "c.svg", "--legend", "x", "y", "--x-key", "iter",
             "--layout", "single", "--title", "t", "--dpi", "50"]
    cli_args = vars(build_parser().parse_args(["logs", "plot", *flags]))
    module_args = vars(vis_plot.build_parser().parse_args(flags))
    assert {k: cli_args[k] for k in module_args} == module_args

    vis = Visualizer(name="cli_plot", save_dir=str(tmp_path / "wd" / "20260101_000000"))
    for step in range(1, 4):
        vis.add_scalars({"loss": 1 / step, "iter": step}, step=step)
    vis.close()
    png = tmp_path / "c.png"
    assert main(["logs", "plot", str(tmp_path / "wd"), "--keys", "loss", "--out", str(png), "--labels", "run",
                 "--layout", "single", "--title", "t", "--dpi", "40"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    assert main(["logs", "plot", str(tmp_path / "wd"), "--keys", "nope", "--out", str(png)]) == 2
    assert "key 'nope' is in none of the runs" in capsys.readouterr().err


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


def test_missing_config_file_is_a_clear_error(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nope.py")]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "mme train: config error:" in err and "nope.py" in err and "does not exist" in err
    assert "hint:" in err and "Traceback" not in err


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


# -- how errors reach the user: one message and a hint on stderr, an exit status per kind ---------

_FAIL_HOOKS = '''
import os
import signal

from mme.hooks import Hook
from mme.registry import HOOKS
from mme.runner import CheckpointError


@HOOKS.register_module()
class CliFailHook(Hook):
    def __init__(self, error="none", rank=None):
        self.error = error
        self.rank = rank

    def before_train(self, runner):
        if self.rank is not None and runner.rank != self.rank:
            return
        if self.error == "bug":
            raise ZeroDivisionError("a bug in a hook")
        if self.error == "sigint":
            os.kill(os.getpid(), signal.SIGINT)
        if self.error == "checkpoint":
            raise CheckpointError("this rank's checkpoint is unusable")
'''


@pytest.fixture
def failing_config(tmp_path):
    """A toy config with a hook that fails as ``--cfg-options custom_hooks.0.error=...`` says."""
    (tmp_path / "cli_fail_hooks.py").write_text(_FAIL_HOOKS)
    cfg = get_toy_cfg(str(tmp_path / "wd"), max_epochs=1, size=16, log_level="WARNING")
    cfg["custom_imports"] = dict(imports=["mme.testing", "cli_fail_hooks"], allow_failed_imports=False)
    cfg["custom_hooks"] = [dict(type="CliFailHook")]
    cfg["test_dataloader"] = cfg["val_dataloader"]
    cfg["test_cfg"] = dict()
    cfg["test_evaluator"] = cfg["val_evaluator"]
    path = tmp_path / "failing.py"
    Config(cfg).dump(str(path))
    return path


def _mme(*args, cwd, console_script=True, env=None, timeout=300):
    """Run the real ``mme`` console script (or ``python -m mme.cli``) in a subprocess."""
    script = os.path.join(os.path.dirname(sys.executable), "mme")
    cmd = [script, *args] if console_script else [sys.executable, "-m", "mme.cli", *args]
    full_env = {k: v for k, v in os.environ.items() if k != "MME_DEBUG"}
    full_env.update(PYTHONWARNINGS="ignore", **(env or {}))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=full_env)


def _assert_user_error(proc, code, *texts):
    assert proc.returncode == code, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("hint: "), proc.stderr
    for text in texts:
        assert text in proc.stderr, proc.stderr


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out and "--debug" in out and "MME_DEBUG=1" in out
    for code in ExitCode:
        assert f"\n  {int(code):<4} " in out, code


def test_config_errors_exit_2_without_traceback(tmp_path):
    proc = _mme("train", "nope.py", cwd=tmp_path)
    _assert_user_error(proc, 2, "mme train: config error:", "nope.py: config file does not exist",
                       f"relative paths start from {tmp_path}")
    (tmp_path / "broken.py").write_text("a = 1\nb = [1,\n")
    proc = _mme("config", "print", "broken.py", cwd=tmp_path, console_script=False)
    _assert_user_error(proc, 2, "mme config print: config error:", "broken.py:2:", "mme config print CONFIG")


def test_debug_shows_the_traceback(tmp_path):
    for args, env in ((("--debug", "train", "nope.py"), None), (("train", "nope.py", "--debug"), None),
                      (("train", "nope.py"), {"MME_DEBUG": "1"})):
        proc = _mme(*args, cwd=tmp_path, env=env)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback (most recent call last)" in proc.stderr and "ConfigFileNotFoundError" in proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith("hint: ")


def test_registry_error_exits_3(failing_config):
    proc = _mme("train", str(failing_config), "--cfg-options", "runner_type=Runer", cwd=failing_config.parent)
    _assert_user_error(proc, 3, "mme train: registry error:", "'Runer' is not registered", "did you mean 'Runner'",
                       "custom_imports")


def test_checkpoint_errors_exit_4(failing_config):
    work = failing_config.parent
    proc = _mme("test", str(failing_config), "missing.pth", cwd=work, console_script=False)
    _assert_user_error(proc, 4, "mme test: checkpoint error:", "missing.pth", "does not exist")
    (work / "cut.pth").write_bytes(b"PK\x03\x04 not a whole checkpoint")
    proc = _mme("test", str(failing_config), "cut.pth", cwd=work)
    _assert_user_error(proc, 4, "mme test: checkpoint error:", "cut.pth", "truncated or corrupt")


def test_a_bug_keeps_its_traceback_and_ctrl_c_exits_130(failing_config):
    proc = _mme("train", str(failing_config), "--cfg-options", "custom_hooks.0.error=bug", cwd=failing_config.parent)
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr and "ZeroDivisionError: a bug in a hook" in proc.stderr
    assert "hint:" not in proc.stderr
    proc = _mme("train", str(failing_config), "--cfg-options", "custom_hooks.0.error=sigint",
                cwd=failing_config.parent)
    assert proc.returncode == 130, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines()[-1] == "mme train: interrupted"
    assert "Traceback" not in proc.stderr


@pytest.mark.integration
@pytest.mark.slow
def test_an_error_on_one_rank_under_torchrun_exits_non_zero(failing_config):
    proc = run_torchrun(["-m", "mme.cli", "train", failing_config, "--launcher", "pytorch",
                         "--cfg-options", "custom_hooks.0.error=checkpoint", "custom_hooks.0.rank=1"],
                        torchrun_args=["--monitor-interval=1"], env={"PYTHONWARNINGS": "ignore", "MME_DEBUG": None},
                        cwd=failing_config.parent)
    assert proc.returncode != 0
    expected = "[rank 1] mme train: checkpoint error: this rank's checkpoint is unusable"
    assert expected in proc.stderr, proc.stderr[-4000:]
    assert "[rank 1] hint: " in proc.stderr
    assert "[rank 0] mme train" not in proc.stderr  # rank 0 failed on nothing of its own


class _Boom:
    def __init__(self, error):
        raise error


def _build_error(original):
    from mme.registry import Registry

    registry = Registry("cli_test_things")
    registry.register_module(name="Boom", module=_Boom)
    try:
        registry.build(dict(type="Boom", error=original))
    except Exception as e:  # noqa: BLE001 - the BuildError under test
        return e
    raise AssertionError("the build did not fail")


def _errors():
    from mme.hooks import HookConfigError
    from mme.registry import MissingTypeError, NotRegisteredError
    from mme.runner import (
        CheckpointError,
        IncompleteCheckpointError,
        NonFiniteLossError,
        RunnerConfigError,
        RunnerStateError,
        UnsafeCheckpointError,
    )

    return [
        (ConfigError("bad value", filename="a.py", lineno=3, key="model.depth"), ExitCode.USAGE),
        (RunnerConfigError("train_cfg needs max_epochs"), ExitCode.USAGE),
        (RunnerStateError("test() needs test_dataloader"), ExitCode.USAGE),
        (HookConfigError("interval must be positive"), ExitCode.USAGE),
        (NotRegisteredError("'X' is not registered"), ExitCode.REGISTRY),
        (MissingTypeError("needs a 'type' key"), ExitCode.REGISTRY),
        (_build_error(TypeError("unexpected keyword argument 'foo'")), ExitCode.REGISTRY),
        (_build_error(ValueError("depth must be positive")), ExitCode.REGISTRY),
        (_build_error(RunnerConfigError("inner config")), ExitCode.USAGE),
        (_build_error(FileNotFoundError("ann.json")), ExitCode.MISSING_FILE),
        (_build_error(ZeroDivisionError("a bug")), None),
        (CheckpointError("ck.pth does not exist"), ExitCode.CHECKPOINT),
        (IncompleteCheckpointError("ck.pth is truncated"), ExitCode.CHECKPOINT),
        (UnsafeCheckpointError("ck.pth pickles objects"), ExitCode.CHECKPOINT),
        (FileNotFoundError(2, "No such file or directory", "data/ann.json"), ExitCode.MISSING_FILE),
        (NonFiniteLossError("loss is nan at iteration 3"), ExitCode.NONFINITE),
        (ZeroDivisionError("division by zero"), None),
        (AttributeError("'NoneType' object has no attribute 'x'"), None),
    ]


def test_every_kind_of_error_has_its_exit_status():
    for exc, code in _errors():
        failure = classify(exc)
        assert (failure.code if failure else None) == code, (type(exc).__mro__, exc)
    out = io.StringIO()
    assert report(KeyboardInterrupt(), "train", debug=False, stream=out) == 130
    assert out.getvalue() == "mme train: interrupted\n"
    assert report(ZeroDivisionError(), "train", debug=False, stream=out) is None
