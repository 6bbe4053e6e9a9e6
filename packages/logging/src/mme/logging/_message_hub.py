"""``MessageHub``: the scalars and runtime information a run shares between its components."""

from __future__ import annotations

import copy
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from mme.utils import ManagerMixin

from ._errors import LoggingKeyError, LoggingTypeError
from ._history_buffer import HistoryBuffer, checked_count
from ._values import NotPlainError, is_tensor, to_number, to_plain

logger = logging.getLogger(__name__)


class MessageHub(ManagerMixin):
    """A named global hub of logged scalars (as :class:`HistoryBuffer`s) and runtime information.

    Hooks write losses, learning rates and timings with :meth:`update_scalar`; the log processor and
    visualizer read them back. Runtime information (epoch, iteration, config, ...) goes through
    :meth:`update_info`. Keys updated with ``resumed=True`` (the default) are saved by
    :meth:`state_dict` and restored by :meth:`load_state_dict` when a run resumes.

    Args:
        name: Instance name.
        log_scalars: Initial scalars.
        runtime_info: Initial runtime information.
        resumed_keys: Which of the initial keys are saved in :meth:`state_dict`.

    Examples:
        >>> hub = MessageHub.get_instance("demo")
        >>> hub.update_scalar("train/loss", 0.5)
        >>> hub.update_scalar("train/loss", 0.3)
        >>> round(hub.get_scalar("train/loss").mean(), 3)
        0.4
        >>> hub.update_info("iter", 2)
        >>> hub.get_info("iter")
        2
        >>> MessageHub.reset()
    """

    def __init__(self, name: str, log_scalars: Mapping[str, HistoryBuffer] | None = None,
                 runtime_info: Mapping[str, Any] | None = None, resumed_keys: Mapping[str, bool] | None = None) -> None:
        super().__init__(name)
        self._log_scalars: OrderedDict[str, HistoryBuffer] = OrderedDict()
        for key, buf in (log_scalars or {}).items():
            if not isinstance(buf, HistoryBuffer):
                raise LoggingTypeError(f"log_scalars[{key!r}] must be a HistoryBuffer, got {type(buf).__name__}")
            self._log_scalars[key] = buf
        self._runtime_info: OrderedDict[str, Any] = OrderedDict(runtime_info or {})
        self._resumed_keys: OrderedDict[str, bool] = OrderedDict()
        for key in (*self._log_scalars, *self._runtime_info):
            self._resumed_keys[key] = True
        self._resumed_keys.update(resumed_keys or {})

    @classmethod
    def get_current_instance(cls) -> MessageHub:
        """The latest hub; a default one called ``'mme'`` is created if none exists."""
        if not cls._instance_dict:
            cls.get_instance("mme")
        return super().get_current_instance()

    def _set_resumed(self, key: str, resumed: bool) -> None:
        if key in self._resumed_keys and self._resumed_keys[key] != resumed:
            logger.debug("resumed flag of %r changed to %s", key, resumed)
        self._resumed_keys[key] = resumed

    def update_scalar(self, key: str, value: Any, count: Any = 1, resumed: bool = True) -> None:
        """Append ``value`` (a number, numpy scalar or one-element tensor) to the scalar ``key``.

        Tensors and numpy values are stored as Python floats.
        """
        try:
            buffer = self._log_scalars.get(key)
        except TypeError:  # an unhashable key: the check below explains
            buffer = None
        if (buffer is not None and type(value) is float and type(count) is int and count == 1
                and self._resumed_keys.get(key) is resumed):  # the per-iteration case: nothing to check
            buffer._push(value, 1)
            return
        if not isinstance(key, str):
            raise LoggingTypeError(f"scalar keys must be str, got {type(key).__name__}")
        value = float(to_number(value, f"value of scalar {key!r}"))
        count = checked_count(count, f"count of scalar {key!r}")
        if buffer is None:
            buffer = self._log_scalars[key] = HistoryBuffer()
        if self._resumed_keys.get(key) is not resumed:
            self._set_resumed(key, resumed)
        buffer._push(value, count)

    def update_scalars(self, log_dict: Mapping[str, Any], resumed: bool = True) -> None:
        """Update several scalars; a value may be a number or ``dict(value=..., count=...)``."""
        if not isinstance(log_dict, Mapping):
            raise LoggingTypeError(f"update_scalars expects a dict, got {type(log_dict).__name__}")
        for key, item in log_dict.items():
            if isinstance(item, Mapping):
                if "value" not in item:
                    raise LoggingKeyError(f"update_scalars: the dict for {key!r} needs a 'value' key")
                self.update_scalar(key, item["value"], item.get("count", 1), resumed=resumed)
            else:
                self.update_scalar(key, item, resumed=resumed)

    def update_info(self, key: str, value: Any, resumed: bool = True) -> None:
        """Set runtime information ``key`` to ``value`` (stored as given, not copied)."""
        if not isinstance(key, str):
            raise LoggingTypeError(f"info keys must be str, got {type(key).__name__}")
        if self._resumed_keys.get(key) is not resumed:
            self._set_resumed(key, resumed)
        self._runtime_info[key] = value

    def update_info_dict(self, info_dict: Mapping[str, Any], resumed: bool = True) -> None:
        """Set several pieces of runtime information."""
        if not isinstance(info_dict, Mapping):
            raise LoggingTypeError(f"update_info_dict expects a dict, got {type(info_dict).__name__}")
        for key, value in info_dict.items():
            self.update_info(key, value, resumed=resumed)

    def pop_info(self, key: str, default: Any = None) -> Any:
        """Remove runtime information ``key`` and return it (``default`` if absent)."""
        self._resumed_keys.pop(key, None)
        return self._runtime_info.pop(key, default)

    @property
    def log_scalars(self) -> OrderedDict[str, HistoryBuffer]:
        """All scalars by key."""
        return self._log_scalars

    @property
    def runtime_info(self) -> OrderedDict[str, Any]:
        """All runtime information by key."""
        return self._runtime_info

    def get_scalar(self, key: str) -> HistoryBuffer:
        """The :class:`HistoryBuffer` of scalar ``key``.

        Raises:
            LoggingKeyError: No scalar ``key`` was logged; the message lists those that were.
        """
        if key not in self._log_scalars:
            raise LoggingKeyError(
                f"MessageHub {self.instance_name!r} has no scalar {key!r}; available: {list(self._log_scalars)}"
            )
        return self._log_scalars[key]

    def get_info(self, key: str, default: Any = None) -> Any:
        """Runtime information ``key``, or ``default`` when it was never set."""
        return self._runtime_info.get(key, default)

    def state_dict(self) -> dict[str, Any]:
        """The resumable scalars and runtime information, as plain data only.

        The result holds Python numbers, strings, lists, tuples, dicts and tensors, so a checkpoint
        containing it loads with ``torch.load(weights_only=True)``. Runtime information that cannot be
        expressed that way is left out with a warning (update it with ``resumed=False`` to silence it).
        """
        scalars = {k: buf.state_dict() for k, buf in self._log_scalars.items() if self._resumed_keys.get(k, True)}
        info: dict[str, Any] = {}
        for key, value in self._runtime_info.items():
            if not self._resumed_keys.get(key, True):
                continue
            try:
                info[key] = to_plain(value)
            except NotPlainError as exc:
                logger.warning(
                    "MessageHub.state_dict: runtime info %r holds a %s, which a weights_only checkpoint cannot "
                    "restore; it is not saved (update it with resumed=False to silence this)", key, exc)
        resumed = {k: v for k, v in self._resumed_keys.items() if v and (k in scalars or k in info)}
        return {"log_scalars": scalars, "runtime_info": info, "resumed_keys": resumed}

    def load_state_dict(self, state_dict: Mapping[str, Any] | MessageHub) -> None:
        """Restore scalars and runtime information saved by :meth:`state_dict` (or copy another hub's)."""
        if isinstance(state_dict, MessageHub):
            for key, buf in state_dict.log_scalars.items():
                self._log_scalars[key] = HistoryBuffer.from_state_dict(buf.state_dict())
            for key, value in state_dict.runtime_info.items():
                self._runtime_info[key] = copy.deepcopy(value)
            self._resumed_keys.update(state_dict._resumed_keys)
            return
        if not isinstance(state_dict, Mapping) or not {"log_scalars", "runtime_info"} <= set(state_dict):
            raise LoggingTypeError("MessageHub.load_state_dict expects the dict MessageHub.state_dict() returns")
        for key, buf in state_dict["log_scalars"].items():
            saved = buf.state_dict() if isinstance(buf, HistoryBuffer) else buf
            self._log_scalars[key] = HistoryBuffer.from_state_dict(saved)
            self._resumed_keys[key] = True
        for key, value in state_dict["runtime_info"].items():
            self._runtime_info[key] = value.clone() if is_tensor(value) else copy.deepcopy(value)
            self._resumed_keys[key] = True
        for key, resumed in state_dict.get("resumed_keys", {}).items():
            self._resumed_keys[key] = bool(resumed)

    def __repr__(self) -> str:
        return (f"MessageHub(name={self.instance_name!r}, scalars={list(self._log_scalars)}, "
                f"info={list(self._runtime_info)})")
