"""RunnerTestCase: a unittest base class that builds Runners from toy configs in a temporary work dir."""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
import time
from typing import Any, ClassVar
from unittest import TestCase
from uuid import uuid4

from mme.config import Config
from mme.registry import DATASETS, METRICS, MODELS, DefaultScope

from ._toys import ToyDataset, ToyMetric, ToyModel

__all__ = ["RunnerTestCase"]

_TOYS = ((MODELS, "ToyModel", ToyModel), (METRICS, "ToyMetric", ToyMetric), (DATASETS, "ToyDataset", ToyDataset))


class RunnerTestCase(TestCase):
    """A TestCase whose tests build Runners from ``self.epoch_based_cfg`` or ``self.iter_based_cfg``.

    ``setUp`` makes a temporary work dir (``self.temp_dir``), registers ``ToyModel``,
    ``ToyDataset`` and ``ToyMetric`` (``force=True``) and builds the two configs: two epochs, or
    twelve iterations, of ToyModel on ToyDataset, validated and tested by ToyMetric.
    ``tearDown`` closes the loggers, forgets the global loggers, visualizers, message hubs and
    default scopes, restores the registries as they were before ``setUp``, removes the work
    dir and destroys the process group a test started.

    Examples:
        >>> class TestMyHook(RunnerTestCase):
        ...     def test_train(self):
        ...         cfg = copy.deepcopy(self.epoch_based_cfg)
        ...         cfg.custom_hooks = [dict(type="MyHook")]
        ...         self.build_runner(cfg).train()
    """

    #: Environment of a one-process distributed run (:meth:`setup_dist_env`); each call moves
    #: ``MASTER_PORT`` on so that consecutive tests do not wait for a port to be released.
    dist_env: ClassVar[dict[str, Any]] = dict(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=29600, RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")

    def setUp(self) -> None:
        self.temp_dir = tempfile.TemporaryDirectory()
        self._saved_toys = [(registry, name, registry.module_dict.get(name)) for registry, name, _ in _TOYS]
        for registry, name, cls in _TOYS:
            registry.register_module(name=name, module=cls, force=True)
        toy = dict(type="ToyDataset")
        epoch_based_cfg = dict(
            work_dir=self.temp_dir.name,
            model=dict(type="ToyModel"),
            train_dataloader=dict(dataset=toy, sampler=dict(type="DefaultSampler", shuffle=True), batch_size=3,
                                  num_workers=0),
            val_dataloader=dict(dataset=toy, sampler=dict(type="DefaultSampler", shuffle=False), batch_size=3,
                                num_workers=0),
            val_evaluator=[dict(type="ToyMetric")],
            test_dataloader=dict(dataset=toy, sampler=dict(type="DefaultSampler", shuffle=False), batch_size=3,
                                 num_workers=0),
            test_evaluator=[dict(type="ToyMetric")],
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1),
            val_cfg=dict(),
            test_cfg=dict(),
            default_hooks=dict(logger=dict(type="LoggerHook", interval=1)),
            custom_hooks=[],
            env_cfg=dict(dist_cfg=dict(backend="gloo")),
            experiment_name="test1",
        )
        self.epoch_based_cfg = Config(copy.deepcopy(epoch_based_cfg))
        self.iter_based_cfg: Config = copy.deepcopy(self.epoch_based_cfg)
        self.iter_based_cfg.train_dataloader = dict(
            dataset=dict(type="ToyDataset"), sampler=dict(type="InfiniteSampler", shuffle=True), batch_size=3,
            num_workers=0)
        self.iter_based_cfg.log_processor = dict(by_epoch=False)
        self.iter_based_cfg.train_cfg = dict(by_epoch=False, max_iters=12)
        self.iter_based_cfg.default_hooks = dict(
            logger=dict(type="LoggerHook", interval=1),
            checkpoint=dict(type="CheckpointHook", interval=12, by_epoch=False))

    def tearDown(self) -> None:
        from mme.logging import MessageHub, MMLogger
        from mme.visualization import Visualizer

        logging.shutdown()  # close log files first: Windows cannot delete an open file
        for logger in list(MMLogger._instance_dict.values()):
            for handler in list(logger.handlers):
                handler.close()
                logger.removeHandler(handler)
        MMLogger._instance_dict.clear()
        Visualizer._instance_dict.clear()
        DefaultScope._instance_dict.clear()
        MessageHub._instance_dict.clear()
        for registry, name, previous in getattr(self, "_saved_toys", []):
            if previous is None:
                registry.module_dict.pop(name, None)
            else:
                registry.module_dict[name] = previous
        self.temp_dir.cleanup()
        import torch.distributed as torch_dist

        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.destroy_process_group()

    def build_runner(self, cfg: Config) -> Any:
        """``Runner.from_cfg(cfg)`` (or the ``runner_type`` class's) with a unique ``experiment_name``."""
        from mme.registry import RUNNERS
        from mme.runner import Runner

        cfg.experiment_name = self.experiment_name
        if "runner_type" in cfg:
            return RUNNERS.build(cfg)
        return Runner.from_cfg(cfg)

    @property
    def experiment_name(self) -> str:
        """A name unique to each call: the test's name, the time and a uuid."""
        return f"{self._testMethodName}_{time.time()}_{uuid4().hex}"

    def setup_dist_env(self) -> None:
        """Set the environment of a one-process distributed run (``MASTER_PORT`` moves on each call)."""
        type(self).dist_env["MASTER_PORT"] += 1
        os.environ["MASTER_PORT"] = str(self.dist_env["MASTER_PORT"])
        os.environ["MASTER_ADDR"] = self.dist_env["MASTER_ADDR"]
        os.environ["RANK"] = self.dist_env["RANK"]
        os.environ["WORLD_SIZE"] = self.dist_env["WORLD_SIZE"]
        os.environ["LOCAL_RANK"] = self.dist_env["LOCAL_RANK"]

    def clear_work_dir(self) -> None:
        """Empty the work dir (log files are closed first)."""
        logging.shutdown()
        for name in os.listdir(self.temp_dir.name):
            path = os.path.join(self.temp_dir.name, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
