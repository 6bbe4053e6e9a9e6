"""track_progress_rich in one process and in a pool."""

from __future__ import annotations

import io
import os
import time

import pytest

from mme.utils import track_progress_rich


def _add(a, b):
    return a + b


def _pid_of(x):
    if x == 0:
        time.sleep(0.5)  # the first task finishes last
    return x, os.getpid()


def test_runs_every_task_in_order_and_unpacks_tuples():
    out = io.StringIO()
    assert track_progress_rich(_add, [(1, 2), [3, 4], (5, 6)], description="Adding", file=out) == [3, 7, 11]
    assert "3/3" in out.getvalue() and "Adding" in out.getvalue()
    assert track_progress_rich(abs, [-1, -2], file=io.StringIO()) == [1, 2]
    assert track_progress_rich(abs, [], file=io.StringIO()) == []


def test_generator_needs_task_num():
    with pytest.raises(ValueError, match="task_num"):
        track_progress_rich(abs, (i for i in range(3)), file=io.StringIO())
    assert track_progress_rich(abs, (-i for i in range(3)), task_num=3, file=io.StringIO()) == [0, 1, 2]


def test_pool_keeps_task_order():
    results = track_progress_rich(_pid_of, list(range(20)), nproc=2, file=io.StringIO())
    assert [r[0] for r in results] == list(range(20))
    assert all(pid != os.getpid() for _, pid in results)


def test_bad_arguments():
    for kwargs, match in [({"nproc": 0}, "nproc"), ({"chunksize": 0}, "chunksize")]:
        with pytest.raises(ValueError, match=match):
            track_progress_rich(abs, [1], file=io.StringIO(), **kwargs)
    with pytest.raises(TypeError, match="callable"):
        track_progress_rich(3, [1])
