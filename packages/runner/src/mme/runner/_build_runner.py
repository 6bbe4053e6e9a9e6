"""build_runner_from_cfg: the build function of the RUNNERS registry (MMEngine's)."""

from __future__ import annotations

import inspect
from typing import Any

from mme.config import Config, ConfigDict
from mme.registry import Registry

from ._errors import RunnerConfigError

__all__ = ["build_runner_from_cfg"]


def build_runner_from_cfg(cfg: dict | ConfigDict | Config, registry: Registry) -> Any:
    """Build a runner from a whole config: ``runner_type`` (default ``'Runner'``) names its class.

    ``runner_type`` is a name registered in ``registry`` (looked up in the scope of the
    config's ``default_scope``) or a runner class; the class's ``from_cfg`` builds it.
    ``RUNNERS.build(cfg)`` calls this.

    Raises:
        TypeError: ``cfg`` is not a dict or a Config, or ``registry`` is not a Registry.
        RunnerConfigError: ``runner_type`` is neither a registered name nor a class.
    """
    if not isinstance(cfg, (dict, Config)):
        raise TypeError(f"build_runner_from_cfg: cfg must be a dict, ConfigDict or Config, got {type(cfg).__name__}")
    if not isinstance(registry, Registry):
        raise TypeError(f"build_runner_from_cfg: registry must be a Registry, got {type(registry).__name__}")
    default_scope = cfg.get("default_scope")
    with registry.switch_scope_and_registry(default_scope) as scoped:
        runner_type = cfg.get("runner_type", "Runner")
        if isinstance(runner_type, str):
            runner_cls = scoped.get(runner_type, None)
            if runner_cls is None:
                raise RunnerConfigError(
                    f"runner_type={runner_type!r} is not registered in {scoped.name!r} registry (scope "
                    f"{scoped.scope!r}); registered: {sorted(scoped.module_dict)}")
        elif inspect.isclass(runner_type):
            runner_cls = runner_type
        else:
            raise RunnerConfigError(f"runner_type must be a registered name or a runner class, got {runner_type!r}")
        return runner_cls.from_cfg(cfg)
