"""PrepareTTAHook and build_runner_with_tta: test with test-time augmentation (MMEngine's)."""

from __future__ import annotations

import copy
from typing import Any

from mme.registry import HOOKS, MODELS

from ._errors import HookConfigError
from ._hook import Hook

__all__ = ["PrepareTTAHook", "build_runner_with_tta"]


@HOOKS.register_module()
class PrepareTTAHook(Hook):
    """Before testing, wrap the runner's model in the TTA model built from ``tta_cfg``.

    The TTA model (a ``BaseTTAModel``, built from ``MODELS``) gets the model as its ``module``;
    a model wrapper (DDP, ...) keeps wrapping, around the TTA model's place of the inner model.

    Args:
        tta_cfg: Config of the TTA model, e.g. ``dict(type="MyTTAModel")``.
    """

    def __init__(self, tta_cfg: dict) -> None:
        if not isinstance(tta_cfg, dict):
            raise HookConfigError(f"PrepareTTAHook tta_cfg must be a dict, got {type(tta_cfg).__name__}")
        self.tta_cfg = tta_cfg

    def before_test(self, runner: Any) -> None:
        """Replace ``runner.model`` (or the module a wrapper wraps) with the TTA model around it."""
        from mme.model import is_model_wrapper

        cfg = copy.copy(self.tta_cfg)
        if is_model_wrapper(runner.model):
            cfg["module"] = runner.model.module
            runner.model.module = MODELS.build(cfg)
        else:
            cfg["module"] = runner.model
            runner.model = MODELS.build(cfg)


def build_runner_with_tta(cfg: dict) -> Any:
    """Build a runner whose ``test()`` uses test-time augmentation.

    The config's ``tta_pipeline`` replaces the test dataset's pipeline and a
    :class:`PrepareTTAHook` wraps the model in ``tta_model`` before testing. The runner class is
    ``runner_type``'s (through ``RUNNERS.build``) or ``Runner``.

    Raises:
        HookConfigError: The config lacks ``tta_model`` or ``tta_pipeline``.
    """
    from mme.registry import RUNNERS
    from mme.runner import Runner

    missing = [key for key in ("tta_model", "tta_pipeline") if key not in cfg]
    if missing:
        raise HookConfigError(f"build_runner_with_tta: the config lacks {' and '.join(missing)}; define them to "
                              "test with test-time augmentation")
    cfg = copy.deepcopy(cfg)
    cfg["test_dataloader"]["dataset"]["pipeline"] = cfg["tta_pipeline"]
    runner = RUNNERS.build(cfg) if "runner_type" in cfg else Runner.from_cfg(cfg)
    runner.register_hook(PrepareTTAHook(tta_cfg=cfg["tta_model"]))
    return runner
