"""How the ``mme`` command reports a failure: one message and a hint on stderr, and an exit status.

A mistake in the command line, the config, a registered name, a checkpoint or a path is the
user's to fix: it is reported without a traceback. Any other exception is a bug and keeps its
traceback. ``--debug`` or ``MME_DEBUG=1`` adds the traceback to every error.
"""

from __future__ import annotations

import os
import sys
import traceback
from enum import IntEnum
from typing import NamedTuple, TextIO

__all__ = ["EXIT_CODES_HELP", "ExitCode", "Failure", "classify", "debug_from_env", "report"]


class ExitCode(IntEnum):
    """The exit status of the ``mme`` command."""

    #: Success.
    OK = 0
    #: An unexpected exception (a bug): Python's traceback is shown.
    BUG = 1
    #: Bad command-line arguments or a bad config (parse error, invalid key, missing file or section).
    USAGE = 2
    #: A registry lookup or build failed: unknown or missing ``type``, rejected arguments.
    REGISTRY = 3
    #: A checkpoint is missing, truncated, unsafe to load or does not fit the model.
    CHECKPOINT = 4
    #: A file the run needs (data, annotations, ...) does not exist.
    MISSING_FILE = 5
    #: Training stopped because the loss (or the gradients) became NaN or infinite.
    NONFINITE = 6
    #: Interrupted by Ctrl-C (SIGINT).
    INTERRUPTED = 130


EXIT_CODES_HELP = """exit status:
  0    success
  1    unexpected error (a bug): Python's traceback is shown
  2    bad arguments or config (a missing config file, a parse error, an invalid key)
  3    registry: unknown or missing `type`, or a component rejected its arguments
  4    checkpoint: missing, truncated, unsafe (see --trust-checkpoint) or not fitting the model
  5    a file the run needs does not exist
  6    training diverged: the loss or the gradients became NaN or infinite
  130  interrupted (Ctrl-C)
statuses 2-6 print one message and a hint on stderr; --debug or MME_DEBUG=1 adds the traceback
"""

_TRUE = ("1", "true", "yes", "on")


class Failure(NamedTuple):
    """What the command tells the user about an exception it recognizes."""

    code: int
    kind: str
    hint: str


def debug_from_env() -> bool:
    """Whether ``MME_DEBUG`` asks for tracebacks."""
    return os.environ.get("MME_DEBUG", "").strip().lower() in _TRUE


def _loaded(module: str, name: str) -> tuple[type[BaseException], ...]:
    """``module.name`` if that module is imported: mme.hooks and mme.optim import torch, and their
    errors can only have been raised if the run got that far."""
    found = getattr(sys.modules.get(module), name, None)
    return (found,) if isinstance(found, type) else ()


_CONFIG_HINT = "fix the config; `mme config print CONFIG` shows it after inheritance and --cfg-options"


def classify(exc: BaseException) -> Failure | None:
    """The exit status, kind and hint for ``exc``, or ``None`` for an unexpected exception (a bug).

    Examples:
        >>> from mme.config import ConfigError
        >>> classify(ConfigError("bad value", filename="a.py", key="model.depth")).code
        <ExitCode.USAGE: 2>
        >>> classify(ZeroDivisionError()) is None
        True
    """
    from mme.config import ConfigError
    from mme.registry import BuildError, MissingTypeError, NotRegisteredError, RegistryError
    from mme.runner import (  # mme.runner's error classes are light: no torch
        CheckpointError,
        IncompleteCheckpointError,
        NonFiniteLossError,
        RunnerConfigError,
        RunnerStateError,
        UnsafeCheckpointError,
    )

    config_errors = (ConfigError, RunnerConfigError, RunnerStateError, *_loaded("mme.hooks", "HookConfigError"))
    nonfinite = (NonFiniteLossError, *_loaded("mme.optim", "NonFiniteGradError"))
    cwd = os.getcwd()
    # A BuildError is also an instance of the error it wraps, so a wrapped config, checkpoint or
    # missing-file error is reported as such (with the BuildError's message naming the type).
    if isinstance(exc, ConfigError) and isinstance(exc, FileNotFoundError):  # the config file is missing
        return Failure(ExitCode.USAGE, "config error", f"check the path; relative paths start from {cwd}")
    if isinstance(exc, RunnerStateError):  # e.g. `mme test` with a config that has no test_dataloader
        return Failure(ExitCode.USAGE, "config error",
                       "add what is missing to the config; `mme config print CONFIG` shows what it has")
    if isinstance(exc, config_errors):
        return Failure(ExitCode.USAGE, "config error", _CONFIG_HINT)
    if isinstance(exc, UnsafeCheckpointError):
        return Failure(ExitCode.CHECKPOINT, "checkpoint error",
                       "only if you trust this file, load it with --trust-checkpoint (weights_only=False)")
    if isinstance(exc, IncompleteCheckpointError):
        return Failure(ExitCode.CHECKPOINT, "checkpoint error",
                       "the file is truncated or corrupt; use an earlier checkpoint")
    if isinstance(exc, CheckpointError):
        return Failure(ExitCode.CHECKPOINT, "checkpoint error",
                       f"check the checkpoint path (relative paths start from {cwd}) and that it fits the model")
    if isinstance(exc, nonfinite):
        return Failure(ExitCode.NONFINITE, "training diverged",
                       "lower the learning rate, clip gradients (optim_wrapper.clip_grad) or check the data")
    if isinstance(exc, FileNotFoundError):
        return Failure(ExitCode.MISSING_FILE, "file not found", f"check the path; relative paths start from {cwd}")
    if isinstance(exc, NotRegisteredError):
        return Failure(ExitCode.REGISTRY, "registry error",
                       "check the `type` in the config; a module of your own must be imported first, "
                       "e.g. custom_imports = dict(imports=['my_module'])")
    if isinstance(exc, MissingTypeError):
        return Failure(ExitCode.REGISTRY, "registry error", "add a `type` key naming the class to build")
    if isinstance(exc, BuildError):
        original = exc.original
        if original is not None and not isinstance(original, (TypeError, ValueError, ImportError)) \
                and classify(original) is None:
            return None  # the constructor itself broke: a bug, whose traceback shows where
        return Failure(ExitCode.REGISTRY, "build error",
                       "check that type's arguments in the config; --debug shows where it was raised")
    if isinstance(exc, RegistryError):
        return Failure(ExitCode.REGISTRY, "registry error", "--debug shows where it was raised")
    return None


def _rank_prefix() -> str:
    try:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        world_size = 1
    return f"[rank {os.environ.get('RANK', '?')}] " if world_size > 1 else ""


def report(exc: BaseException, command: str, debug: bool, stream: TextIO | None = None) -> int | None:
    """Tell the user about ``exc`` on ``stream`` (stderr by default) and return the exit status.

    Returns ``None`` for an unexpected exception, which the caller re-raises so that Python shows
    its traceback (exit status 1). With ``debug`` the traceback of a recognized error is printed
    before its message.
    """
    stream = stream if stream is not None else sys.stderr
    prefix = _rank_prefix()
    if isinstance(exc, KeyboardInterrupt):
        failure: Failure | None = Failure(ExitCode.INTERRUPTED, "interrupted", "")
    else:
        failure = classify(exc)
    if failure is None:
        return None
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=stream)
    if failure.code == ExitCode.INTERRUPTED:
        stream.write(f"{prefix}mme {command}: interrupted\n")
    else:
        message = str(exc) or type(exc).__name__
        stream.write(f"{prefix}mme {command}: {failure.kind}: {message}\n{prefix}hint: {failure.hint}\n")
    stream.flush()
    return int(failure.code)
