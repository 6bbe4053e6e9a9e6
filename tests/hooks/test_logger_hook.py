"""LoggerHook stage by stage on a stand-in runner: when it logs, with which step, what it copies."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from types import SimpleNamespace

import pytest
from mme.hooks import HookConfigError, LoggerHook


class _Recorder:
    """Logger, visualizer and log processor in one: records what the hook asks of them."""

    def __init__(self):
        self.lines, self.scalars, self.closed = [], [], 0

    def info(self, line):
        self.lines.append(line)

    def add_scalars(self, tag, step, file_path):
        self.scalars.append((tag, step, file_path))

    def close(self):
        self.closed += 1

    def get_log_after_iter(self, runner, batch_idx, mode):
        return {"mode": mode, "batch": batch_idx}, f"{mode} iter {batch_idx}"

    def get_log_after_epoch(self, runner, batches, mode, with_non_scalar=False):
        tag = {"mode": mode, "batches": batches, "acc": 0.5, "rich": with_non_scalar}
        if with_non_scalar:
            tag["object"] = object()
        return tag, f"{mode} epoch over {batches} batches"


def _runner(tmp_path, by_epoch=True, train_loop=True, **kw):
    rec = _Recorder()
    args = dict(logger=rec, visualizer=rec, log_processor=rec, rank=0, epoch=2, iter=10, experiment_name="exp",
                timestamp="20260101_000000", work_dir=str(tmp_path / "work"), log_dir=str(tmp_path / "logs"),
                train_dataloader=list(range(7)), val_dataloader=list(range(5)), test_dataloader=list(range(4)),
                _train_loop=SimpleNamespace(by_epoch=by_epoch) if train_loop else None)
    args.update(kw)
    return SimpleNamespace(**args), rec


def _train_iters(hook, runner, batches):
    for batch_idx in batches:
        hook.after_train_iter(runner, batch_idx)
        runner.iter += 1


@pytest.mark.parametrize("kwargs, message", [
    ({"interval": 0}, "interval must be a positive int, got 0"),
    ({"interval": 2.5}, "interval must be a positive int"),
    ({"interval_exp_name": "often"}, "interval_exp_name must be an int"),
    ({"out_dir": 3}, "out_dir must be a str or None, got int"),
    ({"out_suffix": 3}, "out_suffix must be a str or a sequence of str"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(HookConfigError, match=message):
        LoggerHook(**kwargs)


def test_arguments_are_kept():
    hook = LoggerHook()
    assert (hook.interval, hook.ignore_last, hook.interval_exp_name, hook.out_dir, hook.keep_local,
            hook.log_metric_by_epoch) == (10, True, 1000, None, True, True)
    assert hook.out_suffix == (".json", ".log", ".py", "yaml")
    assert LoggerHook(out_suffix=".txt").out_suffix == (".txt",)
    assert LoggerHook(out_suffix=[".a", ".b"]).out_suffix == (".a", ".b")
    assert LoggerHook(file_client_args={"x": 1}).backend_args == {"x": 1}
    assert LoggerHook(file_client_args={"x": 1}, backend_args={"y": 2}).backend_args == {"y": 2}
    assert LoggerHook.priority == "BELOW_NORMAL"


def test_before_run_names_the_json_log_and_the_copy_folder(tmp_path):
    runner, _ = _runner(tmp_path, work_dir=str(tmp_path / "work") + "/")
    hook = LoggerHook(out_dir=str(tmp_path / "out"))
    hook.before_run(runner)
    assert hook.json_log_path == "20260101_000000.json"
    assert hook.out_dir == os.path.join(str(tmp_path / "out"), "work")
    plain = LoggerHook()
    plain.before_run(runner)
    assert plain.out_dir is None


@pytest.mark.parametrize("ignore_last, expected", [(True, [2, 5]), (False, [2, 5, 6])])
def test_by_epoch_logs_every_interval_batches_and_maybe_the_last(tmp_path, ignore_last, expected):
    runner, rec = _runner(tmp_path)
    hook = LoggerHook(interval=3, ignore_last=ignore_last)
    hook.before_run(runner)
    _train_iters(hook, runner, range(7))
    assert rec.lines == [f"train iter {i}" for i in expected]
    assert rec.scalars == [({"mode": "train", "batch": i}, 11 + i, "20260101_000000.json") for i in expected]


def test_a_short_epoch_logs_its_last_batch(tmp_path):
    runner, rec = _runner(tmp_path, train_dataloader=[0, 1])
    hook = LoggerHook(interval=3)
    _train_iters(hook, runner, range(2))
    assert rec.lines == ["train iter 1"]


def test_by_iteration_logs_every_interval_iterations(tmp_path):
    runner, rec = _runner(tmp_path, by_epoch=False, iter=0)
    hook = LoggerHook(interval=4)
    _train_iters(hook, runner, [0, 1, 2, 3, 0, 1, 2, 3, 4])  # the batch index does not count
    assert rec.lines == ["train iter 3", "train iter 3"]
    assert [step for _, step, _ in rec.scalars] == [4, 8]


def test_the_experiment_name_every_interval_exp_name_iterations(tmp_path):
    runner, rec = _runner(tmp_path, iter=0)
    hook = LoggerHook(interval=100, interval_exp_name=3)
    _train_iters(hook, runner, range(7))
    assert rec.lines == ["Exp name: exp", "Exp name: exp", "train iter 6"]  # and the short epoch's end


def test_validation_and_test_iterations(tmp_path):
    runner, rec = _runner(tmp_path)
    hook = LoggerHook(interval=2)
    for i in range(5):
        hook.after_val_iter(runner, i)
        hook.after_test_iter(runner, i)
    assert rec.lines == ["val iter 1", "test iter 1", "val iter 3", "test iter 3"]
    assert rec.scalars == []


@pytest.mark.parametrize("by_epoch, log_metric_by_epoch, train_loop, step", [
    (True, True, True, 2), (True, False, True, 10), (False, True, True, 10), (True, True, False, 0)])
def test_validation_metrics_step(tmp_path, by_epoch, log_metric_by_epoch, train_loop, step):
    runner, rec = _runner(tmp_path, by_epoch=by_epoch, train_loop=train_loop)
    hook = LoggerHook(log_metric_by_epoch=log_metric_by_epoch)
    hook.before_run(runner)
    hook.after_val_epoch(runner, {"acc": 0.5})
    assert rec.lines == ["val epoch over 5 batches"]
    assert rec.scalars == [({"mode": "val", "batches": 5, "acc": 0.5, "rich": False}, step, "20260101_000000.json")]


def test_test_metrics_are_logged_and_written_as_json(tmp_path):
    runner, rec = _runner(tmp_path)
    os.makedirs(runner.log_dir)
    hook = LoggerHook()
    hook.after_test_epoch(runner, {"acc": 0.5})  # before before_run: named after the timestamp
    assert rec.lines == ["test epoch over 4 batches"]
    with open(os.path.join(runner.log_dir, "20260101_000000.json")) as f:
        assert json.load(f) == {"mode": "test", "batches": 4, "acc": 0.5, "rich": True}
    runner.timestamp = "other"
    hook.before_run(runner)
    runner.rank = 1
    hook.after_test_epoch(runner, {"acc": 0.5})
    assert not os.path.exists(os.path.join(runner.log_dir, "other.json"))  # only rank 0 writes


@pytest.mark.parametrize("keep_local", [True, False])
def test_after_run_copies_the_logs_with_the_chosen_suffixes(tmp_path, keep_local):
    runner, rec = _runner(tmp_path)
    os.makedirs(os.path.join(runner.log_dir, "vis"))
    for name in ("run.log", "scalars.json", os.path.join("vis", "x.json"), "model.pth", "cfg.py"):
        with open(os.path.join(runner.log_dir, name), "w") as f:
            f.write(name)
    hook = LoggerHook(out_dir=str(tmp_path / "out"), out_suffix=(".log", ".json"), keep_local=keep_local)
    hook.before_run(runner)
    hook.after_run(runner)
    out = tmp_path / "out" / "work"
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "run.log", "scalars.json", os.path.join("vis", "x.json")]
    assert (out / "run.log").read_text() == "run.log"
    assert os.path.exists(os.path.join(runner.log_dir, "run.log")) is keep_local
    assert os.path.exists(os.path.join(runner.log_dir, "model.pth"))
    assert rec.closed == 1
    assert sum("has been uploaded to" in line for line in rec.lines) == 3


def test_after_run_copies_nothing_elsewhere_than_rank_0_or_without_out_dir(tmp_path):
    runner, rec = _runner(tmp_path, rank=1)
    os.makedirs(runner.log_dir)
    (tmp_path / "logs" / "run.log").write_text("x")
    hook = LoggerHook(out_dir=str(tmp_path / "out"))
    hook.before_run(runner)
    hook.after_run(runner)
    assert not (tmp_path / "out").exists() and rec.closed == 1
    runner.rank = 0
    LoggerHook().after_run(runner)
    assert not (tmp_path / "out").exists() and rec.closed == 2


def test_interval_of_one_and_the_progress_bar_default():
    assert LoggerHook(interval=1).interval == 1
    assert LoggerHook().progress_bar is True


class _FakeTerminal(io.StringIO):
    """A console that says it is a terminal and records whether its last call was a flush."""

    flushed = False

    def isatty(self):
        return True

    def write(self, text):
        self.flushed = False
        return super().write(text)

    def flush(self):
        self.flushed = True


@pytest.fixture
def terminal_logger():
    logger = logging.getLogger("tests.hooks.logger_hook.terminal")
    handler = logging.StreamHandler(_FakeTerminal())
    logger.addHandler(handler)
    yield logger
    logger.removeHandler(handler)


def _bar_runner(tmp_path, logger, **kw):
    runner, _ = _runner(tmp_path, logger=logger, iter=0, max_iters=8, max_epochs=2, **kw)
    return runner


def test_the_progress_bar_lives_as_long_as_its_loops(tmp_path, terminal_logger):
    terminal = terminal_logger.handlers[0].stream
    runner = _bar_runner(tmp_path, terminal_logger)
    hook = LoggerHook(interval=100)
    assert not hook.progress_active
    hook.before_train(runner)
    assert hook.progress_active
    assert terminal_logger.handlers[0].stream.isatty()  # log lines pass through the bar's console
    hook.before_val(runner)
    hook.after_val(runner)
    assert hook.progress_active  # the training bar is still running
    hook.after_train(runner)
    assert not hook.progress_active
    hook.before_test(runner)
    assert hook.progress_active
    hook.after_test(runner)
    assert not hook.progress_active
    hook.before_train(runner)
    hook.on_exception(runner, RuntimeError("boom"))
    assert not hook.progress_active
    assert terminal_logger.handlers[0].stream is terminal  # given back


def test_no_progress_bar_when_off_elsewhere_than_rank_0_or_without_a_terminal(tmp_path, terminal_logger):
    hook = LoggerHook(progress_bar=False)
    hook.before_train(_bar_runner(tmp_path, terminal_logger))
    assert not hook.progress_active
    hook = LoggerHook()
    hook.before_train(_bar_runner(tmp_path, terminal_logger, rank=1))
    assert not hook.progress_active
    hook.before_train(_bar_runner(tmp_path, logging.getLogger("tests.hooks.logger_hook.no_terminal")))
    assert not hook.progress_active


def test_the_copy_folder_keeps_a_work_dir_name_ending_in_x(tmp_path):
    runner, _ = _runner(tmp_path, work_dir=str(tmp_path / "run_X") + "/")
    hook = LoggerHook(out_dir=str(tmp_path / "out"))
    hook.before_run(runner)
    assert hook.out_dir == os.path.join(str(tmp_path / "out"), "run_X")


def test_after_run_copies_files_not_folders(tmp_path):
    runner, rec = _runner(tmp_path)
    os.makedirs(os.path.join(runner.log_dir, "old.log"))
    with open(os.path.join(runner.log_dir, "old.log", "run.log"), "w") as f:
        f.write("x")
    hook = LoggerHook(out_dir=str(tmp_path / "out"))
    hook.before_run(runner)
    hook.after_run(runner)
    assert (tmp_path / "out" / "work" / "old.log" / "run.log").read_text() == "x"


def test_after_run_takes_the_progress_bar_down(tmp_path, terminal_logger):
    runner = _bar_runner(tmp_path, terminal_logger)
    hook = LoggerHook()
    hook.before_train(runner)
    hook.after_run(runner)
    assert not hook.progress_active


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _last_frame(text: str) -> str:
    """The bar as last drawn (rich redraws it in place, each frame after a carriage return)."""
    return [line for line in re.split(r"[\r\n]", text) if "━" in line][-1]


@pytest.mark.parametrize("by_epoch, label", [(True, "train epoch 2/2"), (False, "train")])
def test_the_training_bar_shows_the_epoch_and_the_iterations(tmp_path, terminal_logger, by_epoch, label):
    terminal = terminal_logger.handlers[0].stream
    runner = _bar_runner(tmp_path, terminal_logger, _train_loop=SimpleNamespace(by_epoch=by_epoch))
    hook = LoggerHook(interval=100)
    hook.before_train(runner)
    for epoch in range(2):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        for batch_idx in range(4):
            hook.after_train_iter(runner, batch_idx)
            runner.iter += 1
        hook.before_val(runner)  # a validation bar below the training bar, gone when it ends
        hook.after_val(runner)
    hook.after_train(runner)
    frame = _last_frame(_ANSI.sub("", terminal.getvalue()))
    assert re.match(rf"{label} ━+ 8/8 \S+ eta \S+$", frame), frame


def test_a_validation_bar_counts_its_batches_and_log_lines_pass_above_it(tmp_path, terminal_logger):
    terminal = terminal_logger.handlers[0].stream
    terminal_logger.setLevel(logging.INFO)
    runner = _bar_runner(tmp_path, terminal_logger, _train_loop=None)
    hook = LoggerHook(interval=100)
    hook.before_val(runner)
    for batch_idx in range(5):
        hook.after_val_iter(runner, batch_idx)
    long_line = "a long line " + "x" * 150
    terminal_logger.info(long_line)
    before = terminal.getvalue()
    terminal_logger.handlers[0].stream.write("no newline yet")
    assert "\n" not in terminal.getvalue()[len(before):]  # nothing printed before the line ends
    hook.after_val(runner)
    text = _ANSI.sub("", terminal.getvalue())
    assert re.match(r"val ━+ 5/5 \S+ eta \S+$", _last_frame(text))
    assert long_line in re.split(r"[\r\n]", text)  # one line, not wrapped at the console width
    assert text.endswith("no newline yet")  # a partial line is written out when the bar goes
    assert terminal.flushed
    assert terminal_logger.handlers[0].stream is terminal


@pytest.mark.parametrize("batches", [0, 4])
def test_a_test_bar_counts_from_zero(tmp_path, terminal_logger, batches):
    terminal = terminal_logger.handlers[0].stream
    hook = LoggerHook(interval=100)
    runner = _bar_runner(tmp_path, terminal_logger)
    hook.before_test(runner)
    for batch_idx in range(batches):
        hook.after_test_iter(runner, batch_idx)
    hook.after_test(runner)
    assert re.match(rf"test ━+ {batches}/4 ", _last_frame(_ANSI.sub("", terminal.getvalue())))
    assert terminal.getvalue().endswith("\x1b[2K")  # the bar's line is erased at the end


def test_the_bar_finds_the_terminal_among_other_handlers(tmp_path, terminal_logger):
    terminal_logger.addHandler(logging.NullHandler())
    try:
        hook = LoggerHook()
        hook.before_train(_bar_runner(tmp_path, terminal_logger))
        assert hook.progress_active
        hook.after_train(_bar_runner(tmp_path, terminal_logger))
    finally:
        terminal_logger.removeHandler(terminal_logger.handlers[-1])


def test_a_stream_changed_while_the_bar_is_shown_is_kept(tmp_path, terminal_logger):
    handler = terminal_logger.handlers[0]
    other = io.StringIO()
    hook = LoggerHook()
    hook.before_train(_bar_runner(tmp_path, terminal_logger))
    handler.setStream(other)
    hook.after_train(_bar_runner(tmp_path, terminal_logger))
    assert handler.stream is other


def test_validation_steps_without_a_built_training_loop(tmp_path):
    for loop, step in (({"type": "EpochBasedTrainLoop"}, 0), (SimpleNamespace(), 2)):  # a config; a loop
        runner, rec = _runner(tmp_path, _train_loop=loop)
        hook = LoggerHook()
        hook.after_val_epoch(runner, {"acc": 0.5})
        assert rec.scalars[0][1] == step


class _NoTtyStream:
    """A stream without isatty, and one whose isatty fails (closed)."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass


class _ClosedStream(_NoTtyStream):
    def isatty(self):
        raise ValueError("I/O operation on closed file")


@pytest.mark.parametrize("stream", [_NoTtyStream(), _ClosedStream()])
def test_no_progress_bar_on_a_stream_that_cannot_say_it_is_a_terminal(tmp_path, stream):
    logger = logging.getLogger("tests.hooks.logger_hook.odd_stream")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        hook = LoggerHook()
        hook.before_train(_bar_runner(tmp_path, logger))
        assert not hook.progress_active
    finally:
        logger.removeHandler(handler)


def test_the_bar_console_reports_the_terminal_file_descriptor(tmp_path):
    class Terminal(_FakeTerminal):
        def fileno(self):
            return 7

    logger = logging.getLogger("tests.hooks.logger_hook.fileno")
    handler = logging.StreamHandler(Terminal())
    logger.addHandler(handler)
    try:
        hook = LoggerHook()
        hook.before_train(_bar_runner(tmp_path, logger))
        assert handler.stream.fileno() == 7  # through the bar's console writer
        hook.after_train(_bar_runner(tmp_path, logger))
    finally:
        logger.removeHandler(handler)
