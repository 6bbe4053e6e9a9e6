from __future__ import annotations

import io
import time

import pytest

from mme.utils import ProgressBar, Timer, TimerError, check_time, track_iter_progress, track_parallel_progress, track_progress


def _square(x):
    return x * x


def test_timer_measures_and_refuses_when_stopped():
    timer = Timer()
    time.sleep(0.01)
    first = timer.since_last_check()
    assert first > 0
    assert timer.since_start() >= first
    stopped = Timer(start=False)
    assert not stopped.is_running
    with pytest.raises(TimerError):
        stopped.since_start()


def test_timer_context_manager_writes_elapsed():
    out = io.StringIO()
    with Timer(print_tmpl="took {:.1f}s", file=out) as timer:
        assert timer.is_running
    assert out.getvalue().startswith("took ")
    assert not timer.is_running


def test_check_time_starts_at_zero():
    assert check_time("unit-test-timer") == 0.0
    assert check_time("unit-test-timer") >= 0.0


def test_progress_bar_plain_lines_when_not_a_tty():
    out = io.StringIO()
    bar = ProgressBar(20, bar_width=10, file=out)
    for _ in range(20):
        bar.update()
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("[>>>>>>>>>>] 20/20")
    assert "ETA" in lines[-1]
    assert 2 < len(lines) <= 12  # about one line per tenth of the work, no carriage returns
    assert "\r" not in out.getvalue()
    with pytest.raises(ValueError):
        bar.update(0)


def test_progress_bar_unknown_total():
    out = io.StringIO()
    bar = ProgressBar(file=out)
    bar.update(3)
    assert "completed: 3" in out.getvalue()


def test_track_helpers_return_results_in_order():
    out = io.StringIO()
    assert track_progress(_square, [1, 2, 3], file=out) == [1, 4, 9]
    assert list(track_iter_progress((iter([5, 6]), 2), file=out)) == [5, 6]
    assert track_parallel_progress(_square, list(range(6)), nproc=2, file=out) == [0, 1, 4, 9, 16, 25]
    with pytest.raises(TypeError):
        track_progress(_square, iter([1]), file=out)
