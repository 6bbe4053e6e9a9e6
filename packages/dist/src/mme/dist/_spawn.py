"""Run a function in several local CPU processes with a process group: ``run_distributed``."""

from __future__ import annotations

import faulthandler
import multiprocessing as mp
import os
import pickle
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from ._errors import DistValueError, WorkerFailedError, WorkerTimeoutError

_PRELOAD = ["torch", "torch.distributed", "mme.dist"]
_TAIL = 3000


def _worker(
    rank: int,
    world_size: int,
    fn: Callable[..., Any],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    env: dict[str, str],
    init: dict[str, Any] | None,
    workdir: str,
    stack_dump_after: float,
    conn: Connection,
) -> None:
    """Body of one worker process; reports ``(status, rank, time, payload, exc_bytes)`` on ``conn``."""
    log = open(os.path.join(workdir, f"rank{rank}.log"), "ab", buffering=0)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    stacks = open(os.path.join(workdir, f"rank{rank}.stacks"), "w")
    faulthandler.dump_traceback_later(stack_dump_after, file=stacks)
    os.environ.clear()
    os.environ.update(env)
    import torch
    import torch.distributed as torch_dist

    if "OMP_NUM_THREADS" not in env:
        torch.set_num_threads(1)
    try:
        if init is not None:
            from ._launch import init_dist

            init_dist("pytorch", **init)
        result = fn(*args, **kwargs)
        conn.send(("ok", rank, time.time(), result, None))
        if torch_dist.is_available() and torch_dist.is_initialized():
            # Leave together: a rank that tears its group down early breaks peers still connecting.
            try:
                torch_dist.barrier()
            except Exception:
                pass
    except BaseException as exc:  # report everything, including SystemExit and KeyboardInterrupt
        try:
            exc_bytes: bytes | None = pickle.dumps(exc)
        except Exception:
            exc_bytes = None
        conn.send(("error", rank, time.time(), traceback.format_exc(), exc_bytes))
    finally:
        faulthandler.cancel_dump_traceback_later()
        conn.close()
        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.destroy_process_group()


def _tail(path: str) -> str:
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    return text[-_TAIL:].strip()


def _context(start_method: str | None, fn: Callable[..., Any]) -> Any:
    if start_method is None:
        start_method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    if start_method not in mp.get_all_start_methods():
        raise DistValueError(f"start_method {start_method!r} is not available here: {mp.get_all_start_methods()}")
    ctx = mp.get_context(start_method)
    if start_method == "forkserver":
        # Import torch (and what the workers will import anyway) once in the server, and fork cheap
        # workers from it. Only the first call's list counts: the server then keeps running.
        extra = [m for m in ("numpy", "pytest", getattr(fn, "__module__", None)) if m and m in sys.modules]
        ctx.set_forkserver_preload(_PRELOAD + [m for m in extra if m != "__main__"])
    return ctx


def run_distributed(
    fn: Callable[..., Any],
    world_size: int = 2,
    *,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    backend: str = "gloo",
    timeout: float = 120.0,
    dist_timeout: float | None = None,
    init: bool = True,
    env: Mapping[str, str] | None = None,
    grace: float = 5.0,
    start_method: str | None = None,
) -> list[Any]:
    """Run ``fn(*args, **kwargs)`` in ``world_size`` fresh processes joined by a process group.

    Each worker gets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE`` in its
    environment, as under torchrun, and (with ``init=True``) calls
    ``mme.dist.init_dist('pytorch', backend=backend, timeout=dist_timeout)``, meeting the others
    through a file store in a fresh temporary directory (no TCP port is used). The process group
    is destroyed when ``fn`` returns.

    When a worker raises, the others get ``grace`` seconds to finish or fail too (a collective
    waiting for a dead peer fails at once, a hung one after ``dist_timeout``); the rest are killed
    and :class:`WorkerFailedError` is raised with every failing rank's traceback, chained from the
    first failure's exception. If the workers do not finish within ``timeout`` seconds they are
    killed and :class:`WorkerTimeoutError` is raised with the stacks of the hung workers.

    Args:
        fn: The worker function. It must be picklable: define it at module level.
        world_size: Number of processes (1-16).
        args: Positional arguments for ``fn`` (picklable).
        kwargs: Keyword arguments for ``fn`` (picklable).
        backend: Backend passed to ``init_dist``.
        timeout: Hard limit in seconds for the whole run.
        dist_timeout: Process-group timeout in seconds; half of ``timeout`` by default.
        init: Create the process group before calling ``fn``; with ``False`` only the environment
            variables are set (to test ``init_dist`` itself).
        env: Extra environment variables for the workers (on top of this process's environment).
        grace: Seconds to wait for the other workers after the first failure.
        start_method: multiprocessing start method; ``'forkserver'`` (which imports torch once and
            forks cheap workers from it) where available, else ``'spawn'``.

    Returns:
        ``fn``'s return values, indexed by rank (they must be picklable).

    Raises:
        WorkerFailedError: A worker raised or died.
        WorkerTimeoutError: The workers did not finish in time.

    Examples:
        In a test module::

            def _sum_ranks():
                t = torch.tensor([float(get_rank())])
                all_reduce(t)
                return t.item()

            def test_sum():
                assert run_distributed(_sum_ranks, world_size=2) == [1.0, 1.0]
    """
    if not isinstance(world_size, int) or isinstance(world_size, bool) or not 1 <= world_size <= 16:
        raise DistValueError(f"world_size must be an int from 1 to 16, got {world_size!r}")
    if not timeout > 0:
        raise DistValueError(f"timeout must be positive, got {timeout!r}")
    ctx = _context(start_method, fn)
    workdir = tempfile.mkdtemp(prefix="mme_dist_")
    init_cfg = None
    if init:
        store = os.path.join(workdir, "filestore")
        init_cfg = {"backend": backend, "init_method": f"file://{store}", "timeout": dist_timeout or timeout / 2}
    procs: dict[int, Any] = {}
    conns: dict[int, Connection] = {}
    try:
        for rank in range(world_size):
            worker_env = dict(os.environ)
            worker_env.update(env or {})
            worker_env.update(
                RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(world_size)
            )
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_worker,
                args=(rank, world_size, fn, tuple(args), dict(kwargs or {}), worker_env, init_cfg, workdir,
                      max(timeout * 0.9, timeout - 5.0), writer),
                name=f"mme-dist-rank{rank}",
                daemon=True,
            )
            proc.start()
            writer.close()
            procs[rank], conns[rank] = proc, reader
        results = _supervise(procs, conns, workdir, timeout, grace)
        leave_by = time.monotonic() + 5.0  # let the workers leave their group cleanly
        for proc in procs.values():
            proc.join(max(leave_by - time.monotonic(), 0.0))
        return results
    finally:
        for proc in procs.values():
            if proc.is_alive():
                proc.kill()
        for proc in procs.values():
            proc.join(5)
        for conn in conns.values():
            conn.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _supervise(procs: dict[int, Any], conns: dict[int, Connection], workdir: str, timeout: float,
               grace: float) -> list[Any]:
    deadline = time.monotonic() + timeout
    results: dict[int, Any] = {}
    failures: dict[int, tuple[float, str, bytes | None]] = {}
    open_conns = dict(conns)
    first_failure = 0.0
    while len(results) + len(failures) < len(procs):
        now = time.monotonic()
        limit = deadline if not failures else min(deadline, first_failure + grace)
        if now >= limit:
            break
        ready = wait(list(open_conns.values()), timeout=min(limit - now, 0.5))
        for rank, conn in list(open_conns.items()):
            if conn not in ready:
                continue
            try:
                status, _, stamp, payload, exc_bytes = conn.recv()
            except EOFError:  # the worker died without reporting
                proc = procs[rank]
                proc.join(1)
                failures[rank] = (time.time(), f"worker exited with code {proc.exitcode} without reporting\n"
                                  f"--- its output ---\n{_tail(os.path.join(workdir, f'rank{rank}.log'))}", None)
            else:
                if status == "ok":
                    results[rank] = payload
                else:
                    failures[rank] = (stamp, payload, exc_bytes)
            del open_conns[rank]
            if failures and len(failures) == 1 and rank in failures:
                first_failure = time.monotonic()
    if failures:
        raise _failed(failures, sorted(open_conns))
    if open_conns:
        pending = sorted(open_conns)
        stacks = "\n".join(
            f"--- rank {r} stacks ---\n{_tail(os.path.join(workdir, f'rank{r}.stacks'))}\n"
            f"--- rank {r} output ---\n{_tail(os.path.join(workdir, f'rank{r}.log'))}"
            for r in pending
        )
        message = f"ranks {pending} did not finish within {timeout:g}s and were killed\n{stacks}"
        raise WorkerTimeoutError(message, pending)
    return [results[r] for r in range(len(procs))]


def _failed(failures: dict[int, tuple[float, str, bytes | None]], killed: list[int]) -> BaseException:
    order = sorted(failures, key=lambda r: (failures[r][0], r))
    parts = [f"--- rank {r} ---\n{failures[r][1].rstrip()}" for r in order]
    note = f"; ranks {killed} were still running and were killed" if killed else ""
    err = WorkerFailedError(
        f"rank {order[0]} failed first ({len(failures)} failed{note})\n" + "\n".join(parts),
        {r: failures[r][1] for r in failures},
    )
    exc_bytes = failures[order[0]][2]
    if exc_bytes is not None:
        try:
            err.__cause__ = pickle.loads(exc_bytes)
        except Exception:
            pass
    return err
