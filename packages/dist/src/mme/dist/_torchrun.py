"""Running a command under torchrun on this machine, for tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

__all__ = ["run_torchrun"]

# what an enclosing launch sets: a job started from inside one must not inherit its rank
_LAUNCH_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def run_torchrun(args: Sequence[str], nproc: int = 2, *, torchrun_args: Sequence[str] = (),
                 env: Mapping[str, str | None] | None = None, cwd: str | os.PathLike | None = None,
                 timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``torchrun --standalone --nproc_per_node=nproc *torchrun_args *args`` and wait for it.

    ``--standalone`` picks a free port for the rendezvous. The workers get this process's
    environment without the variables of an enclosing launch (``RANK``, ``MASTER_PORT``, ...),
    with ``OMP_NUM_THREADS=1`` (the workers share the cores), updated with ``env`` (a value of
    None removes the variable).

    Args:
        args: The script and its arguments, or ``["-m", "module", ...]``.
        nproc: Processes to start.
        torchrun_args: More torchrun options (``--monitor-interval=1``, ...).
        env: Variables to set (or, with None, to remove) in the workers' environment.
        cwd: The working directory.
        timeout: Seconds before the job is killed (``subprocess.TimeoutExpired``).

    Returns:
        The finished process, with ``stdout`` and ``stderr`` as text.
    """
    child_env = {k: v for k, v in os.environ.items() if k not in _LAUNCH_VARIABLES}
    child_env["OMP_NUM_THREADS"] = "1"
    for key, value in (env or {}).items():
        if value is None:
            child_env.pop(key, None)
        else:
            child_env[key] = value
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           *torchrun_args, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, env=child_env, cwd=cwd)
