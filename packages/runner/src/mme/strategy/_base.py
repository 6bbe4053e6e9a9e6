"""``BaseStrategy``: what differs between ways of training, behind one interface the Runner calls."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from torch import nn

from mme.dist import init_dist
from mme.model import is_model_wrapper
from mme.optim import build_optim_wrapper
from mme.registry import OPTIM_WRAPPERS

from ._errors import StrategyConfigError
from ._state_dict import load_state_dict

__all__ = ["BaseStrategy"]

logger = logging.getLogger(__name__)


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a model wrapper (``model.module``), or ``model`` itself."""
    return model.module if is_model_wrapper(model) else model  # type: ignore[return-value]


class BaseStrategy:
    """How a model is placed, wrapped, optimised and checkpointed: the part of training that varies.

    The Runner (and its subclass ``FlexibleRunner``) owns everything else (the loops, hooks,
    logging, exact resume and the atomic checkpoint files) and asks its strategy at these points:

    * :meth:`init_dist`: create the process group of a launched run;
    * :meth:`wrap_model`: move the built model to its device and wrap it (DDP, FSDP, DeepSpeed...);
    * :meth:`compile_model`: ``torch.compile`` it when the config says ``compile``;
    * :meth:`build_optim_wrapper`: build the ``optim_wrapper`` config for the wrapped model;
    * :meth:`model_state_dict`, :meth:`optim_state_dict`: the states a checkpoint holds (called on
      every rank: gathering a sharded state is a collective);
    * :meth:`load_model_state_dict`, :meth:`load_optim_state_dict`: apply a checkpoint's states;
    * :attr:`checkpoint_format` ``'full'`` (one file, written by rank 0, as the plain Runner
      always wrote) or ``'sharded'`` (a directory every rank writes into, through
      :meth:`save_shards` and :meth:`load_shards`).

    Subclasses are registered in ``mme.registry.STRATEGIES`` and chosen with
    ``strategy=dict(type=...)`` in a ``FlexibleRunner`` config.
    """

    #: Whether the strategy needs a process group (a launcher other than ``'none'``).
    needs_dist: ClassVar[bool] = False
    #: Whether the wrapped model is bound to its process group for good (sharded parameters): the
    #: Runner then keeps the group it created until the process exits (``init_dist``'s exit
    #: handler destroys it) instead of destroying it after each train/val/test and re-wrapping.
    keeps_group: ClassVar[bool] = False
    #: Whether hooks may keep a whole copy of the model (``Hook.copies_model``, EMAHook): False
    #: where the parameters (in memory) or the checkpoints are split over the ranks.
    full_model_copies: ClassVar[bool] = True

    # -- environment -------------------------------------------------------------------------
    def init_dist(self, launcher: str, **dist_cfg: Any) -> None:
        """Create the default process group of a job started by ``launcher`` (``mme.dist.init_dist``)."""
        init_dist(launcher, **dist_cfg)

    def check_distributed(self, distributed: bool) -> None:
        """Raise :class:`StrategyConfigError` when the strategy cannot run so (before anything is built).

        Args:
            distributed: Whether the run has (or will create) a process group.
        """
        if self.needs_dist and not distributed:
            raise StrategyConfigError(
                f"{type(self).__name__} trains on several processes: launch the job with torchrun (or slurm/mpi) "
                f"and pass launcher='pytorch' (mme train ... --launcher pytorch)")

    # -- model -------------------------------------------------------------------------------
    def wrap_model(self, model: nn.Module) -> nn.Module:
        """Return the model ready to train: on its device and, if the strategy wraps, wrapped."""
        raise NotImplementedError

    def compile_model(self, model: nn.Module, compile: bool | Mapping[str, Any]) -> nn.Module:
        """Compile the model's forward with ``torch.compile`` (``compile`` is ``True`` or its kwargs).

        The inner model (inside any wrapper) is compiled in place (``nn.Module.compile``), so its
        ``state_dict`` keys, its ``train_step`` and the wrapper around it stay as they were.
        """
        if not compile:
            return model
        kwargs = {} if compile is True else dict(compile)
        try:
            unwrap(model).compile(**kwargs)
        except TypeError as e:
            raise StrategyConfigError(f"compile={compile!r}: not arguments of torch.compile: {e}") from e
        return model

    # -- optimizer ---------------------------------------------------------------------------
    def build_optim_wrapper(self, optim_wrapper: dict, model: nn.Module) -> Any:
        """Build an ``optim_wrapper`` config for ``model`` (``mme.optim.build_optim_wrapper``)."""
        return build_optim_wrapper(model, optim_wrapper)

    def _check_attach_once(self, optim_wrapper: dict, model: nn.Module, model_cls: type, wrapper_cls: type,
                           why: str) -> dict:
        """The ``optim_wrapper`` config, with its type defaulting to ``wrapper_cls``, for a strategy
        whose training object is attached to its ``model_cls`` model once the optimizer is built.

        Raises:
            StrategyConfigError: ``model`` is not a ``model_cls`` or already has its training
                object, or the wrapper type is not ``wrapper_cls`` (``why`` says why it must be).
        """
        name = type(self).__name__
        if not isinstance(model, model_cls):
            raise StrategyConfigError(f"{name} trains a {model_cls.__name__} (its wrap_model's), "
                                      f"got {type(model).__name__}")
        if model._attached is not None:
            raise StrategyConfigError(f"the model already has {model._ATTACHED}; build_optim_wrapper runs once")
        cfg = dict(optim_wrapper)
        wrapper_type = cfg.setdefault("type", wrapper_cls.__name__)
        built = OPTIM_WRAPPERS.get(wrapper_type) if isinstance(wrapper_type, str) else wrapper_type
        if not (isinstance(built, type) and issubclass(built, wrapper_cls)):
            raise StrategyConfigError(f"{name} needs optim_wrapper type='{wrapper_cls.__name__}', got "
                                      f"{wrapper_type!r} ({why})")
        return cfg

    # -- states ------------------------------------------------------------------------------
    #: ``'full'``: a checkpoint is one file with every state, written by rank 0. ``'sharded'``:
    #: a directory into which every rank writes its part (:meth:`save_shards`).
    checkpoint_format: str = "full"

    def model_state_dict(self, model: nn.Module) -> dict[str, Any]:
        """The model's whole state dict (what a ``'full'`` checkpoint saves). Called on every rank."""
        return unwrap(model).state_dict()

    def optim_state_dict(self, optim_wrapper: Any, model: nn.Module) -> dict[str, Any]:
        """The optimizer wrapper's state (what a ``'full'`` checkpoint saves). Called on every rank."""
        return optim_wrapper.state_dict()

    def load_model_state_dict(self, model: nn.Module, state_dict: Mapping[str, Any], strict: bool = False,
                              logger: Any = None) -> list[str]:
        """Load a whole state dict into the model; returns the mismatches (see ``load_state_dict``)."""
        return load_state_dict(model, state_dict, strict=strict, logger=logger)

    def load_optim_state_dict(self, optim_wrapper: Any, state_dict: Mapping[str, Any], model: nn.Module) -> None:
        """Load a state produced by :meth:`optim_state_dict` into the optimizer wrapper."""
        optim_wrapper.load_state_dict(state_dict)

    # -- sharded checkpoints -------------------------------------------------------------------
    def save_shards(self, directory: str, model: nn.Module, optim_wrapper: Any | None) -> None:
        """Write this rank's part of the model (and optimizer) states into ``directory`` (a collective).

        Only strategies whose :attr:`checkpoint_format` is ``'sharded'`` implement it; the Runner
        writes the rest of the checkpoint next to the shards and makes the directory appear whole.
        """
        raise NotImplementedError(f"{type(self).__name__} writes full checkpoints, not sharded ones")

    def load_shards(self, directory: str, model: nn.Module, optim_wrapper: Any | None) -> None:
        """Read the model (and, if given, the optimizer) states from a sharded checkpoint ``directory``."""
        raise NotImplementedError(f"{type(self).__name__} cannot read sharded checkpoints")

    def consolidate(self, directory: str) -> dict[str, Any]:
        """The model and optimizer states of a sharded checkpoint as plain tensors (no process group).

        Returns a dict with ``state_dict`` (and ``optimizer`` when saved); used by
        ``mme checkpoint consolidate``.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot consolidate sharded checkpoints")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

