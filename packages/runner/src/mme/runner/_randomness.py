"""Seeding and the capture/restore of every random number generator a run uses."""

from __future__ import annotations

import logging
import os
import random
from typing import Any

import numpy as np
import torch

from mme.dist import broadcast_object_list, get_rank, get_world_size

__all__ = ["get_rng_state", "set_random_seed", "set_rng_state"]

logger = logging.getLogger(__name__)


def _sync_seed(seed: int) -> int:
    if get_world_size() == 1:
        return seed
    holder = [seed]
    broadcast_object_list(holder, src=0)
    return int(holder[0])


def set_random_seed(seed: int | None = None, deterministic: bool = False, diff_rank_seed: bool = False) -> int:
    """Seed python, numpy and torch (all devices) and return the seed used.

    Args:
        seed: The seed; ``None`` draws one on rank 0 and shares it with every rank.
        deterministic: Ask torch for deterministic algorithms (and disable cudnn benchmarking).
        diff_rank_seed: Add the rank to the seed so that each process draws differently.
    """
    if seed is None:
        seed = _sync_seed(int(np.random.randint(2**31)))
    elif not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"randomness seed must be an int or None, got {seed!r}")
    if diff_rank_seed:
        seed += get_rank()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        if torch.backends.cudnn.benchmark:
            logger.warning("deterministic=True disables torch.backends.cudnn.benchmark")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
    return seed


def get_rng_state() -> dict[str, Any]:
    """Return the state of the python, numpy and torch generators in ``weights_only``-safe types."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {"kind": str(kind), "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
                  "pos": int(pos), "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore generators from :func:`get_rng_state`'s output (missing entries are left alone)."""
    if "python" in state:
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
    if "numpy" in state:
        s = state["numpy"]
        keys = s["keys"].numpy() if isinstance(s["keys"], torch.Tensor) else np.asarray(s["keys"])
        np.random.set_state((s["kind"], keys.astype(np.uint32), int(s["pos"]), int(s["has_gauss"]),
                             float(s["cached_gaussian"])))
    if "torch" in state:
        torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)
        else:
            logger.warning("checkpoint has %s CUDA generator states for %s devices; not restored",
                           len(cuda_states), torch.cuda.device_count())
