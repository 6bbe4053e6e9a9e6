"""What a person sees of a run: the live progress bar on a terminal (and nothing of it elsewhere),
the hooks table kept to DEBUG, and the one-line summary every run ends with."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from mme.hooks import Hook
from mme.runner import Runner
from mme.testing import get_toy_cfg

_ESC = "\x1b["
_HIDE_CURSOR, _SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
_BAR = "━"  # rich's bar glyph


def _log_text(runner):
    return Path(runner.logger.log_file).read_text()


def _shown(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


# -- the hooks table ---------------------------------------------------------------------------

@pytest.mark.parametrize("level, shown", [("INFO", False), ("DEBUG", True)])
def test_the_hooks_table_is_logged_at_debug_level(tmp_path, level, shown):
    runner = Runner.from_cfg(get_toy_cfg(str(tmp_path), max_epochs=1, size=16, log_level=level))
    runner.train()
    text = _log_text(runner)
    assert ("Hooks will be executed in the following order" in text) is shown
    assert ("(BELOW_NORMAL) LoggerHook" in text) is shown
    assert "Done: 1 epoch in" in text


# -- the summary line --------------------------------------------------------------------------

def test_training_ends_with_a_summary_of_the_last_validation(tmp_path):
    runner = Runner.from_cfg(get_toy_cfg(str(tmp_path), max_epochs=2, size=16, log_level="INFO"))
    runner.train()
    last_line = _log_text(runner).strip().splitlines()[-1]
    accuracy = runner.message_hub.get_scalar("val/accuracy").current()
    pointer = (tmp_path / "last_checkpoint").read_text().strip()
    assert pointer.endswith("epoch_2.pth")
    match = re.search(r" - INFO - Done: 2 epochs in (\d+:\d\d:\d\d); last val accuracy (\S+); last checkpoint (.+)$",
                      last_line)
    assert match, last_line
    assert float(match[2]) == pytest.approx(accuracy, abs=1e-4)
    assert match[3] == _shown(pointer)


def test_training_summary_names_the_best_checkpoint(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=3, size=16, log_level="INFO",
                      default_hooks=dict(checkpoint=dict(save_best="accuracy")))
    runner = Runner.from_cfg(cfg)
    runner.train()
    last_line = _log_text(runner).strip().splitlines()[-1]
    match = re.search(r"Done: 3 epochs in \S+; best accuracy (\S+) \((best_accuracy_epoch_\d\.pth)\); "
                      r"last checkpoint (.+)$", last_line)
    assert match, last_line
    assert float(match[1]) == pytest.approx(runner.message_hub.get_info("best_score"), abs=1e-4)
    assert (tmp_path / match[2]).is_file()
    assert match[3].endswith("epoch_3.pth")
    assert "last val" not in last_line


def test_summary_of_an_iteration_run_and_of_an_early_stop(tmp_path):
    cfg = get_toy_cfg(str(tmp_path / "iters"), by_epoch=False, max_iters=6, size=16, log_level="INFO",
                      default_hooks=dict(checkpoint=None))
    runner = Runner.from_cfg(cfg)
    runner.train()
    last_line = _log_text(runner).strip().splitlines()[-1]
    assert re.search(r"Done: 6 iters in \S+; last val accuracy \S+$", last_line), last_line

    class StopAfterOne(Hook):
        def after_train_epoch(self, runner):
            runner.train_loop.stop_training = True

    cfg = get_toy_cfg(str(tmp_path / "early"), max_epochs=5, size=16, log_level="INFO",
                      custom_hooks=[StopAfterOne()])
    runner = Runner.from_cfg(cfg)
    runner.train()
    last_line = _log_text(runner).strip().splitlines()[-1]
    assert "Done: 1 of 5 epochs in" in last_line and last_line.endswith("epoch_1.pth")


@pytest.mark.parametrize("mode", ["val", "test"])
def test_evaluation_alone_ends_with_its_metrics(tmp_path, mode):
    cfg = get_toy_cfg(str(tmp_path), size=16, log_level="INFO")
    cfg.update(test_dataloader=cfg["val_dataloader"], test_cfg=dict(), test_evaluator=cfg["val_evaluator"])
    runner = Runner.from_cfg(cfg)
    metrics = getattr(runner, mode)()
    last_line = _log_text(runner).strip().splitlines()[-1]
    match = re.search(rf" - INFO - Done: {mode} in \d+:\d\d:\d\d; accuracy (\S+)$", last_line)
    assert match, last_line
    assert float(match[1]) == pytest.approx(metrics["accuracy"], abs=1e-4)


# -- the live progress bar, in a real pseudo-terminal and through a pipe ------------------------

_SCRIPT = '''
import sys

from mme.hooks import Hook
from mme.runner import Runner
from mme.testing import get_toy_cfg


class FailAtSix(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == 6:
            raise RuntimeError("stopped by the test")


work_dir, mode = sys.argv[1], sys.argv[2]
# 32 samples in batches of 8: 4 iterations an epoch, a log line every 2
cfg = get_toy_cfg(work_dir, max_epochs=2, size=32, log_level="INFO")
if mode == "fail":
    cfg["custom_hooks"] = [FailAtSix()]
if mode == "val":  # the loop would show a bar of its own
    cfg["val_cfg"] = dict(progress=True)
runner = Runner.from_cfg(cfg)
runner.val() if mode == "val" else runner.train()
'''


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")}
    env.update(TERM="xterm-256color", COLUMNS="120", PYTHONWARNINGS="ignore")
    return env


def _run_in_terminal(script, *args):
    """Run ``script`` with stdin, stdout and stderr on a pseudo-terminal; return (status, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(script), *args], stdin=slave, stdout=slave, stderr=slave,
                            env=_env(), close_fds=True)
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 300)
            assert ready, "the run printed nothing for 300 s"
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        status = proc.wait(timeout=300)
    return status, b"".join(chunks).decode("utf-8", errors="replace")


def _run_in_pipe(script, *args):
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=_env(),
                          timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "train_toy.py"
    path.write_text(_SCRIPT)
    return path


def _log_file(work_dir):
    (log,) = Path(work_dir).glob("*/*.log")
    return log.read_text()


@pytest.mark.slow
def test_a_terminal_shows_a_live_bar_above_which_the_log_scrolls(script, tmp_path):
    status, out = _run_in_terminal(script, str(tmp_path / "tty"), "train")
    assert status == 0, out[-3000:]
    # the bar: its description, counts, elapsed time and ETA
    assert _BAR in out and "train epoch 1/2" in out and "train epoch 2/2" in out
    assert re.search(r"8/8\S* \S*0:00:\d\d\S* eta \S*0:00:00", out), out[-3000:]
    assert re.search(r"val +\S+ \S*4/4", out)
    # the log lines still reach the terminal, and the bar is gone before the summary
    assert "Epoch(train) [2][4/4]" in out and "Epoch(val) [2][4/4]  accuracy:" in out
    assert out.count(_HIDE_CURSOR) == 1
    assert out.index(_HIDE_CURSOR) < out.rindex(_SHOW_CURSOR) < out.index("Done: 2 epochs")
    # the log file has the same lines as without a terminal: no bar, no escape codes
    log = _log_file(tmp_path / "tty")
    assert _ESC not in log and _BAR not in log
    status, piped = _run_in_pipe(script, str(tmp_path / "pipe"), "train")
    assert status == 0
    strip = re.compile(r"^\S+ \S+ - |[\d.:]+", re.M)  # timestamps, timings and memory differ
    piped_log = _log_file(tmp_path / "pipe").replace(str(tmp_path / "pipe"), str(tmp_path / "tty"))
    assert strip.sub("#", log).splitlines() == strip.sub("#", piped_log).splitlines()


@pytest.mark.slow
def test_a_pipe_gets_plain_log_lines_only(script, tmp_path):
    status, out = _run_in_pipe(script, str(tmp_path), "train")
    assert status == 0, out[-3000:]
    assert "Epoch(train) [2][4/4]" in out and "Done: 2 epochs" in out
    assert _ESC not in out and _BAR not in out and "eta 0:" not in out


@pytest.mark.slow
def test_a_failed_run_erases_the_bar_before_the_error(script, tmp_path):
    status, out = _run_in_terminal(script, str(tmp_path), "fail")
    assert status != 0
    assert "RuntimeError: stopped by the test" in out
    # the bar was live when the error came (at iteration 6 of 8), and was erased before the traceback
    assert re.search(r"train epoch 2/2 \S+ \S*[56]/8", out), out[-3000:]
    assert out.count(_HIDE_CURSOR) == 1
    assert out.rindex("train epoch 2/2") < out.rindex(_SHOW_CURSOR) < out.index("Traceback")
    assert _BAR not in out[out.index("Traceback"):]


@pytest.mark.slow
def test_evaluation_alone_shows_one_bar(script, tmp_path):
    # val_cfg=dict(progress=True) would give the loop a bar of its own: the LoggerHook's replaces it
    status, out = _run_in_terminal(script, str(tmp_path), "val")
    assert status == 0, out[-3000:]
    assert out.count(_HIDE_CURSOR) == 1
    assert re.search(r"val +\S+ \S*4/4", out) and "Done: val in" in out
