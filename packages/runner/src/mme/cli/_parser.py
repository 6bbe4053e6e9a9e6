"""The ``mme`` command line: argument parsing."""

from __future__ import annotations

import argparse

from mme.config import DictAction

from ._exit import EXIT_CODES_HELP

__all__ = ["build_parser"]

_EPILOG = """examples:
  mme train examples/digits/config.py --work-dir work_dirs/digits
  mme train cfg.py --resume                      # continue from work_dir's last checkpoint
  mme train cfg.py --cfg-options train_cfg.max_epochs=3 optim_wrapper.optimizer.lr=0.01
  torchrun --nproc_per_node=2 -m mme.cli train cfg.py --launcher pytorch
  mme test cfg.py work_dirs/cfg/epoch_10.pth
  mme config print cfg.py
  mme config diff a.py b.py
  mme logs plot work_dirs/digits --keys loss accuracy --out curves.png
  mme checkpoint consolidate work_dirs/cfg/epoch_10.pth epoch_10_full.pth   # sharded -> one file
"""

_DEBUG_HELP = "show the full traceback of every error (also MME_DEBUG=1)"


def _add_debug(p: argparse.ArgumentParser) -> None:
    """``--debug`` after the command too; SUPPRESS keeps a global ``mme --debug ...`` from being reset."""
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work-dir", help="directory for logs and checkpoints (default: the config's work_dir, "
                                      "else ./work_dirs/<config name>)")
    p.add_argument("--cfg-options", nargs="+", action=DictAction, metavar="KEY=VALUE",
                   help="override config keys, e.g. train_cfg.max_epochs=3 'model.layers=[1,2]'")
    p.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none",
                   help="job launcher: 'pytorch' under torchrun, 'slurm' under srun, 'mpi' under mpirun")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="load checkpoints with torch.load(weights_only=False): only for trusted legacy files "
                        "(e.g. MMEngine's) that pickle objects mme's own checkpoints never contain")
    p.add_argument("--local-rank", "--local_rank", type=int, default=0, help=argparse.SUPPRESS)
    _add_debug(p)


def build_parser() -> argparse.ArgumentParser:
    """The ``mme`` argument parser with its ``train``, ``test``, ``config`` and ``logs`` commands."""
    parser = argparse.ArgumentParser(
        prog="mme", description="Train, test and inspect mme (MMEngine-style) configs.",
        epilog=_EPILOG + "\n" + EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    train = sub.add_parser("train", help="train a model from a config file",
                           description="Build a Runner from CONFIG and train (validating as configured).")
    train.add_argument("config", metavar="CONFIG", help="config file (.py, .json or .yaml)")
    train.add_argument("--resume", nargs="?", const="auto", metavar="PATH",
                       help="resume training: alone, from the latest checkpoint in the work dir; "
                            "with PATH, from that checkpoint")
    train.add_argument("--amp", action="store_true", help="mixed precision (AmpOptimWrapper)")
    train.add_argument("--auto-scale-lr", action="store_true",
                       help="scale the learning rate by the real batch size (needs auto_scale_lr in the config)")
    _add_common(train)

    test = sub.add_parser("test", help="test a checkpoint with a config file",
                          description="Build a Runner from CONFIG, load CHECKPOINT and run the test loop.")
    test.add_argument("config", metavar="CONFIG", help="config file")
    test.add_argument("checkpoint", metavar="CHECKPOINT", help="checkpoint file (path or URI)")
    test.add_argument("--out", metavar="FILE.pkl", help="also dump the raw predictions to this pickle file")
    _add_common(test)

    config = sub.add_parser("config", help="print or compare configs",
                            description="Inspect configs after inheritance and overrides.")
    csub = config.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    cprint = csub.add_parser("print", help="print the fully resolved config")
    cprint.add_argument("config", metavar="CONFIG")
    cprint.add_argument("--cfg-options", nargs="+", action=DictAction, metavar="KEY=VALUE",
                        help="override config keys before printing")
    _add_debug(cprint)
    cdiff = csub.add_parser("diff", help="show a unified diff of two resolved configs")
    cdiff.add_argument("config_a", metavar="CONFIG_A")
    cdiff.add_argument("config_b", metavar="CONFIG_B")
    _add_debug(cdiff)

    logs = sub.add_parser("logs", help="work with training logs", description="Plot logged scalars.")
    lsub = logs.add_subparsers(dest="logs_command", metavar="ACTION")
    lsub.required = True
    from mme.visualization import plot as vis_plot  # the flags of `python -m mme.visualization.plot`

    plot = lsub.add_parser("plot", help="plot logged scalars (scalars.json) of one or more runs to an image",
                           description=vis_plot.DESCRIPTION)
    vis_plot.add_arguments(plot)

    checkpoint = sub.add_parser("checkpoint", help="work with checkpoints",
                                description="Convert checkpoints.")
    ksub = checkpoint.add_subparsers(dest="checkpoint_command", metavar="ACTION")
    ksub.required = True
    consolidate = ksub.add_parser(
        "consolidate", help="make one weights file of a sharded checkpoint directory (FSDP, DeepSpeed)",
        description="Read the shards of SHARDED_DIR (a checkpoint directory written by a sharding strategy, e.g. "
                    "FSDPStrategy with state_dict_type='sharded') in this one process and write OUT.pth with its "
                    "'meta' and whole 'state_dict', loadable with torch.load(weights_only=True) and usable as "
                    "load_from by any Runner. The shards are read with the library that wrote them, which "
                    "unpickles their metadata: consolidate only checkpoints you trust.")
    consolidate.add_argument("sharded_dir", metavar="SHARDED_DIR", help="sharded checkpoint directory")
    consolidate.add_argument("out", metavar="OUT.pth", help="the file to write (replaced atomically)")
    _add_debug(consolidate)
    return parser
