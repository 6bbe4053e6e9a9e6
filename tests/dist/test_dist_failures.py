"""A failing or hanging rank ends the job with an error instead of a hang."""

from __future__ import annotations

import os
import time

import pytest
import torch
from mme import dist
from mme.dist.testing import WorkerFailedError, WorkerTimeoutError, run_distributed


def _rank1_raises():
    if dist.get_rank() == 1:
        raise KeyError("rank one broke")
    t = torch.ones(1)
    dist.all_reduce(t)  # rank 0 waits here for a peer that is gone
    return t.item()


def test_a_raising_rank_fails_the_others_and_the_job():
    # The hard timeout is far above the time this takes: reaching it would raise WorkerTimeoutError.
    with pytest.raises(WorkerFailedError) as info:
        run_distributed(_rank1_raises, world_size=2, timeout=120, dist_timeout=60)
    err = info.value
    assert str(err).startswith("rank 1 failed first")
    assert "KeyError: 'rank one broke'" in err.failures[1]
    assert "_rank1_raises" in err.failures[1]  # the traceback names the failing function
    assert isinstance(err.__cause__, KeyError)
    # rank 0 was not killed: its collective failed on its own, well before its 60 s timeout
    assert 0 in err.failures and "RuntimeError" in err.failures[0]


def _rank1_stalls(seconds):
    if dist.get_rank() == 1:
        time.sleep(seconds)  # alive but silent
        return None
    dist.barrier()
    return "unreachable"


def test_dist_timeout_is_honoured_when_a_rank_stalls():
    # rank 0's barrier must fail after the 2 s process-group timeout, long before the 120 s hard limit
    with pytest.raises(WorkerFailedError) as info:
        run_distributed(_rank1_stalls, world_size=2, args=(100,), timeout=120, dist_timeout=2, grace=1)
    assert "rank 0 failed first" in str(info.value)
    assert "timed out" in info.value.failures[0].lower() or "timeout" in info.value.failures[0].lower()
    assert "killed" in str(info.value)  # the stalled rank was killed after the grace period


def _init_with_dist_cfg_timeout(store):
    dist.init_dist("pytorch", backend="gloo", init_method=f"file://{store}", timeout=2)
    return _rank1_stalls(100)


def test_init_dist_timeout_from_dist_cfg(tmp_path):
    with pytest.raises(WorkerFailedError) as info:
        run_distributed(_init_with_dist_cfg_timeout, world_size=2, args=(str(tmp_path / "store"),),
                        init=False, timeout=120, grace=1)
    assert sorted(info.value.failures) == [0]


def _hangs_forever():
    time.sleep(1000)


def test_hard_timeout_kills_hung_workers():
    with pytest.raises(WorkerTimeoutError) as info:
        run_distributed(_hangs_forever, world_size=2, timeout=3, init=False)
    assert info.value.pending == [0, 1]
    assert "_hangs_forever" in str(info.value)  # stacks of the hung workers are shown


def _dies_silently():
    print("about to die", flush=True)
    os._exit(7)


def test_worker_that_dies_without_reporting():
    with pytest.raises(WorkerFailedError, match="exited with code 7") as info:
        run_distributed(_dies_silently, world_size=2, init=False)
    assert "about to die" in str(info.value)


def _env_and_args(a, b=0):
    return os.environ["RANK"], os.environ["LOCAL_WORLD_SIZE"], os.environ.get("MME_TEST_FLAG"), a + b


def test_env_and_arguments_reach_the_workers():
    out = run_distributed(_env_and_args, world_size=2, args=(1,), kwargs={"b": 2}, init=False,
                          env={"MME_TEST_FLAG": "on"}, start_method="spawn")
    assert out == [("0", "2", "on", 3), ("1", "2", "on", 3)]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"world_size": 0}, "world_size"),
    ({"world_size": 2, "timeout": 0}, "timeout"),
    ({"world_size": 2, "start_method": "teleport"}, "teleport"),
])
def test_bad_arguments(kwargs, words):
    with pytest.raises(dist.DistValueError, match=words):
        run_distributed(_env_and_args, **kwargs)
