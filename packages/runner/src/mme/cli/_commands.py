"""The ``mme`` command line: what each command does."""

from __future__ import annotations

import argparse
import os.path as osp
import sys
from collections.abc import Sequence

from mme.config import Config, ConfigError

from ._exit import debug_from_env, report
from ._parser import build_parser

__all__ = ["main"]


def _importable(config: str) -> None:
    """Let ``custom_imports`` name modules next to the config file or in the current directory."""
    for path in (osp.abspath(osp.dirname(config)), osp.abspath(".")):
        if path not in sys.path:
            sys.path.insert(0, path)


def _load_cfg(args: argparse.Namespace) -> Config:
    _importable(args.config)
    cfg = Config.fromfile(args.config)
    if getattr(args, "cfg_options", None):
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.trust_checkpoint:
        cfg.weights_only = False
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get("work_dir") is None:
        cfg.work_dir = osp.join("./work_dirs", osp.splitext(osp.basename(args.config))[0])
    return cfg


def _build_runner(cfg: Config):  # noqa: ANN202 - Runner import is deferred to keep --help fast
    from mme.registry import RUNNERS
    from mme.runner import FlexibleRunner, Runner  # noqa: F401 - importing FlexibleRunner registers it

    if "runner_type" in cfg:
        return RUNNERS.get(cfg.runner_type).from_cfg(cfg)
    return Runner.from_cfg(cfg)


def _train(args: argparse.Namespace) -> int:
    cfg = _load_cfg(args)
    if args.resume == "auto":
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.amp:
        cfg.optim_wrapper.type = "AmpOptimWrapper"
        cfg.optim_wrapper.setdefault("loss_scale", "dynamic")
    if args.auto_scale_lr:
        if "auto_scale_lr" not in cfg or "base_batch_size" not in cfg.auto_scale_lr:
            raise ConfigError("--auto-scale-lr needs auto_scale_lr.base_batch_size in the config",
                              filename=cfg.filename, key="auto_scale_lr.base_batch_size")
        cfg.auto_scale_lr.enable = True
    runner = _build_runner(cfg)
    runner.train()
    return 0


def _test(args: argparse.Namespace) -> int:
    cfg = _load_cfg(args)
    cfg.load_from = args.checkpoint
    runner = _build_runner(cfg)
    if args.out is not None:
        from mme.evaluator import DumpResults

        dump = DumpResults(out_file_path=args.out)
        evaluator = runner._test_evaluator
        if isinstance(evaluator, (list, tuple)):
            runner._test_evaluator = [*evaluator, dump]
        elif isinstance(evaluator, dict) and "metrics" not in evaluator:
            runner._test_evaluator = [evaluator, dump]
        else:
            raise ConfigError("--out needs test_evaluator to be a metric config or a list of them",
                              filename=cfg.filename, key="test_evaluator")
    runner.test()
    return 0


def _config(args: argparse.Namespace) -> int:
    if args.config_command == "print":
        _importable(args.config)
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        print(cfg.pretty_text)
    else:
        _importable(args.config_a)
        _importable(args.config_b)
        diff = Config.diff(args.config_a, args.config_b)
        print(diff if diff else "the configs are identical")
    return 0


def _logs(args: argparse.Namespace) -> int:
    from mme.visualization.plot import run

    return run(args)


def _checkpoint(args: argparse.Namespace) -> int:
    """``mme checkpoint consolidate SHARDED_DIR OUT.pth``."""
    from mme.runner import CheckpointError, save_checkpoint
    from mme.runner._sharded import is_sharded_checkpoint, load_sharded_extras, sharding_strategy
    from mme.strategy import BaseStrategy

    directory = args.sharded_dir
    if not is_sharded_checkpoint(directory):
        what = "a file" if osp.isfile(directory) else "missing"
        raise CheckpointError(f"{directory} is not a sharded checkpoint directory ({what}); only the directories "
                              "sharding strategies write need consolidating, a checkpoint file loads as it is")
    extras = load_sharded_extras(directory)  # raises if the directory is incomplete
    strategy = sharding_strategy(extras, directory)
    if not (isinstance(strategy, type) and issubclass(strategy, BaseStrategy)):
        raise CheckpointError(f"{directory} names {strategy!r} as its writer, which is not a strategy")
    states = strategy.consolidate(directory)
    meta = dict(extras.get("meta") or {})
    meta["consolidated_from"] = osp.abspath(directory)
    save_checkpoint({"meta": meta, "state_dict": states["state_dict"]}, args.out)
    print(f"wrote {args.out}: {len(states['state_dict'])} tensors of {directory} (written by {strategy.__name__})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mme`` console script; returns the exit status (see ``ExitCode``).

    A user error (bad config, unknown ``type``, unusable checkpoint, missing file) is printed as one
    message and a hint on stderr; ``--debug`` or ``MME_DEBUG=1`` adds its traceback. Any other
    exception propagates with its traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"train": _train, "test": _test, "config": _config, "logs": _logs, "checkpoint": _checkpoint}
    command = args.command if args.command != "config" else f"config {args.config_command}"
    if args.command == "checkpoint":
        command = f"checkpoint {args.checkpoint_command}"
    try:
        return commands[args.command](args)
    except (Exception, KeyboardInterrupt) as exc:
        code = report(exc, command, debug=args.debug or debug_from_env())
        if code is None:
            raise
        return code
