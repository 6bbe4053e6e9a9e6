"""``FlexibleRunner``: the Runner with its strategy chosen in the config (MMEngine's interface)."""

from __future__ import annotations

import copy
from typing import Any

from torch import nn
from torch.utils.data import DataLoader

from mme.config import Config
from mme.dist import infer_launcher
from mme.registry import RUNNERS, STRATEGIES
from mme.strategy import BaseStrategy, DDPStrategy, SingleDeviceStrategy, StrategyConfigError

from ._errors import RunnerConfigError
from ._runner import _DDP_CFG_KEYS, Runner, checked_compile, resolving_lazy_arguments

__all__ = ["FlexibleRunner"]


@RUNNERS.register_module()
class FlexibleRunner(Runner):
    """A Runner whose strategy (DDP, FSDP, DeepSpeed, ColossalAI, ...) is a config key.

    Everything but the strategy is the plain Runner's: the same loops, hooks, logging, exact
    resume and atomic checkpoints. Arguments are the Runner's, plus:

    Args:
        strategy: A ``BaseStrategy`` or its ``STRATEGIES`` config, e.g. ``dict(type='FSDPStrategy')``.
            ``None`` picks ``DDPStrategy`` for a launched job and ``SingleDeviceStrategy``
            otherwise. Model wrapping options go here (``model_wrapper``, ``sync_bn``, ...),
            not in the plain Runner's ``model_wrapper_cfg``/``sync_bn``/``find_unused_parameters``
            keys, which are an error in a FlexibleRunner config.
        compile: ``True`` or ``torch.compile`` keyword arguments: compile the model's forward.
        launcher: ``None`` (the default) infers it from the environment (``'pytorch'`` under
            torchrun); otherwise as for the Runner.

    Example config::

        runner_type = 'FlexibleRunner'
        strategy = dict(type='FSDPStrategy', state_dict_type='sharded')
    """

    @resolving_lazy_arguments
    def __init__(self, model: nn.Module | dict, *, work_dir: str = "work_dirs", experiment_name: str | None = None,
                 train_dataloader: DataLoader | dict | None = None, optim_wrapper: Any = None,
                 param_scheduler: Any = None, train_cfg: dict | None = None,
                 val_dataloader: DataLoader | dict | None = None, val_evaluator: Any = None,
                 val_cfg: dict | None = None, test_dataloader: DataLoader | dict | None = None,
                 test_evaluator: Any = None, test_cfg: dict | None = None, strategy: BaseStrategy | dict | None = None,
                 auto_scale_lr: dict | None = None, default_hooks: dict | None = None,
                 custom_hooks: list | None = None, data_preprocessor: dict | None = None,
                 load_from: str | None = None, resume: bool | str = False, launcher: str | None = None,
                 env_cfg: dict | None = None, log_processor: dict | None = None, log_level: str | int = "INFO",
                 visualizer: Any = None, default_scope: str = "mme", randomness: dict | None = None,
                 compile: bool | dict = False, cfg: Config | dict | None = None, weights_only: bool = True) -> None:
        if strategy is not None and not isinstance(strategy, (BaseStrategy, dict)):
            raise RunnerConfigError(f"strategy must be a BaseStrategy or a config dict, got {type(strategy).__name__}")
        self._strategy_cfg = strategy
        self._compile_cfg = compile
        super().__init__(
            model=model, work_dir=work_dir, train_dataloader=train_dataloader, val_dataloader=val_dataloader,
            test_dataloader=test_dataloader, train_cfg=train_cfg, val_cfg=val_cfg, test_cfg=test_cfg,
            auto_scale_lr=auto_scale_lr, optim_wrapper=optim_wrapper, param_scheduler=param_scheduler,
            val_evaluator=val_evaluator, test_evaluator=test_evaluator, default_hooks=default_hooks,
            custom_hooks=custom_hooks, data_preprocessor=data_preprocessor, load_from=load_from, resume=resume,
            launcher=infer_launcher() if launcher is None else launcher, env_cfg=env_cfg,
            log_processor=log_processor, log_level=log_level, visualizer=visualizer, default_scope=default_scope,
            randomness=randomness, experiment_name=experiment_name, cfg=cfg, weights_only=weights_only)

    @classmethod
    def from_cfg(cls, cfg: Config | dict) -> Runner:
        """Build a FlexibleRunner from a config; ``strategy`` and ``compile`` are read besides the Runner's keys."""
        cfg = copy.deepcopy(cfg) if isinstance(cfg, Config) else Config(cfg)
        return cls._from_cfg(cfg, strategy=cfg.get("strategy"), compile=cfg.get("compile", False),
                             launcher=cfg.get("launcher"))

    @classmethod
    def _known_cfg_keys(cls) -> set[str]:
        return super()._known_cfg_keys() - set(_DDP_CFG_KEYS)

    @classmethod
    def _foreign_cfg_keys(cls) -> dict[str, str]:
        return {key: f"{key!r} is read by the plain Runner; with FlexibleRunner it belongs in the strategy, e.g. "
                     f"strategy=dict(type='DDPStrategy', model_wrapper=dict(type='MMDistributedDataParallel', "
                     f"find_unused_parameters=True), sync_bn='torch')" for key in _DDP_CFG_KEYS}

    def _strategy_arg(self) -> dict[str, Any]:
        return {"strategy": self._strategy_cfg}

    def _compile_arg(self) -> bool | dict:
        return checked_compile(self._compile_cfg)

    def _make_strategy(self, distributed: bool) -> BaseStrategy:
        """Build ``strategy`` (or the default for the launcher) and check it can run here."""
        cfg = self._strategy_cfg
        if isinstance(cfg, BaseStrategy):
            strategy = cfg
        elif cfg is None:
            strategy = DDPStrategy() if distributed else SingleDeviceStrategy()
        else:
            strategy = STRATEGIES.build(dict(cfg))
        try:
            strategy.check_distributed(distributed)
        except StrategyConfigError as e:
            raise RunnerConfigError(f"strategy: {e}") from e
        return strategy
