"""JitModelAnalysis: per-module, per-operator statistics of a model, from one traced run of it."""

from __future__ import annotations

import copy as _copy
import logging
import warnings
from collections import Counter
from collections.abc import Iterable
from numbers import Number
from typing import Any, NamedTuple, TypeVar

import torch
from torch import nn
from torch.jit import TracerWarning

from mme.logging import print_log

from ._jit_handles import Handle

__all__ = ["JitModelAnalysis", "Statistics"]

T = TypeVar("T", bound="JitModelAnalysis")

# Operators that carry no computation worth counting (shape and memory bookkeeping, comparisons,
# cheap elementwise work): never reported as unsupported, whatever the handles.
_IGNORED_OPS: frozenset[str] = frozenset({
    "aten::Int",
    "aten::ScalarImplicit",
    "aten::__and__",
    "aten::arange",
    "aten::bitwise_not",
    "aten::cat",
    "aten::chunk",
    "aten::clamp",
    "aten::clamp_",
    "aten::constant_pad_nd",
    "aten::contiguous",
    "aten::copy_",
    "aten::detach",
    "aten::dropout",
    "aten::empty",
    "aten::eq",
    "aten::expand",
    "aten::flatten",
    "aten::floor",
    "aten::floor_divide",
    "aten::full",
    "aten::full_like",
    "aten::ge",
    "aten::gt",
    "aten::index",
    "aten::index_put_",
    "aten::max",
    "aten::narrow",
    "aten::nonzero",
    "aten::permute",
    "aten::relu",
    "aten::relu_",
    "aten::remainder",
    "aten::reshape",
    "aten::select",
    "aten::size",
    "aten::slice",
    "aten::split",
    "aten::split_with_sizes",
    "aten::squeeze",
    "aten::stack",
    "aten::t",
    "aten::to",
    "aten::transpose",
    "aten::unbind",
    "aten::unsqueeze",
    "aten::unsqueeze_",
    "aten::view",
    "aten::zeros",
    "aten::zeros_like",
})

_TRACER_WARNING_MODES = ("all", "no_tracer_warning", "none")
_ANCESTOR_MODES = ("owner", "caller")


class Statistics(NamedTuple):
    """What one analysis found.

    Attributes:
        counts: Module name -> operator name -> count, for every module of the model.
        unsupported_ops: Module name -> operator kind -> times it ran without a handle.
        uncalled_mods: Names of the modules whose ``forward`` never ran in the trace.
    """

    counts: dict[str, Counter]
    unsupported_ops: dict[str, Counter]
    uncalled_mods: set[str]


def _simplify_op_name(kind: str) -> str:
    """``aten::addmm`` -> ``addmm``."""
    return kind.split("::", 1)[-1]


def _dotted_ancestors(name: str) -> set[str]:
    """``a.b.c`` -> ``{'', 'a', 'a.b', 'a.b.c'}``."""
    parts = name.split(".") if name else []
    return {".".join(parts[:k]) for k in range(len(parts) + 1)}


def _expected_in_trace(module: nn.Module) -> bool:
    """Whether a module missing from the trace is worth a warning: not a container without
    ``forward`` (``nn.ModuleList``, ``nn.ModuleDict``), nor an ``nn.Identity``, which runs no operator."""
    return type(module).forward not in (nn.Module.forward, nn.ModuleList.forward, nn.ModuleDict.forward,
                                        nn.Identity.forward)


class _PushScope:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, module: nn.Module, args: Any) -> None:
        state = torch._C._get_tracing_state()
        if state is not None:
            state.push_scope(self.name)


def _pop_scope(module: nn.Module, args: Any, output: Any) -> None:
    state = torch._C._get_tracing_state()
    if state is not None:
        state.pop_scope()


class JitModelAnalysis:
    """Statistics of a model's operators, by module and by operator, from a trace of one run.

    The model is traced with ``torch.jit`` on ``inputs`` (lazily, on the first query). Each node of
    the traced graph whose operator has a handle (see :meth:`set_op_handle`) is counted for the
    module that ran it and that module's ancestors; an operator without a handle is reported as
    unsupported (a warning naming it, see :meth:`unsupported_ops_warnings`) unless it is in the
    built-in set of ignored bookkeeping operators, or its handle was set to ``None``.

    Module names are those of ``model.named_modules()``: ``''`` is the whole model; a module
    reachable under several names (shared) is reported under the first.

    Args:
        model: The model to analyze.
        inputs: The positional arguments of the traced call (a tensor stands for a 1-tuple).

    Examples:
        >>> import torch
        >>> from torch import nn
        >>> from mme.analysis import JitModelAnalysis, linear_flop_jit
        >>> analysis = JitModelAnalysis(nn.Linear(4, 2), (torch.ones(3, 4),))
        >>> analysis.set_op_handle("aten::linear", linear_flop_jit).total()
        24
    """

    def __init__(self, model: nn.Module, inputs: torch.Tensor | tuple[Any, ...]) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module, but got {type(model).__name__}")
        self._model = model
        self._inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        self._op_handles: dict[str, Handle] = {}
        self._explicitly_ignored: set[str] = set()
        self._aliases = self._get_aliases(model)
        self._stats: Statistics | None = None
        self._enable_warn_unsupported_ops = True
        self._enable_warn_uncalled_mods = True
        self._warn_trace = "no_tracer_warning"
        self._ancestor_mode = "owner"

    # -- queries ---------------------------------------------------------------------------------

    def total(self, module_name: str = "") -> int:
        """The total count of a module (``''``: the whole model), over all its operators."""
        return sum(self.by_operator(module_name).values())

    def by_operator(self, module_name: str = "") -> Counter:
        """Operator name -> count, for one module (``''``: the whole model)."""
        stats = self._analyze()
        return Counter(stats.counts[self.canonical_module_name(module_name)])

    def by_module_and_operator(self) -> dict[str, Counter]:
        """Module name -> operator name -> count, for every module."""
        return {name: Counter(counter) for name, counter in self._analyze().counts.items()}

    def by_module(self) -> Counter:
        """Module name -> total count, for every module (0 for those never called)."""
        return Counter({name: sum(counter.values()) for name, counter in self._analyze().counts.items()})

    def unsupported_ops(self, module_name: str = "") -> Counter:
        """Operator kind -> times it ran without a handle, within one module (``''``: the whole model)."""
        stats = self._analyze()
        return Counter(stats.unsupported_ops[self.canonical_module_name(module_name)])

    def uncalled_modules(self) -> set[str]:
        """Names of the submodules whose ``forward`` never ran in the trace.

        They are unused, or were run some other way (a direct ``.forward()`` call, another method);
        in the latter case their operators count towards the module that called them.
        """
        return set(self._analyze().uncalled_mods)

    def canonical_module_name(self, name: str) -> str:
        """The name the statistics list a module under (the first of its names, if it has several).

        Raises:
            KeyError: No module of the model has that name.
        """
        if name not in self._aliases:
            raise KeyError(f"{name!r} is not the name of a module of the analyzed model "
                           f"(names are those of model.named_modules(); '' is the whole model)")
        return self._aliases[name]

    # -- settings --------------------------------------------------------------------------------

    def set_op_handle(self: T, *args: Any, **kwargs: Handle | None) -> T:
        """Set the handles of operators, as ``(kind, handle, kind, handle, ...)`` or ``kind=handle``.

        A handle of ``None`` ignores the operator (it is neither counted nor reported).

        Returns:
            This analysis, for chaining.
        """
        if len(args) % 2:
            raise ValueError(f"set_op_handle takes (operator kind, handle) pairs, got {len(args)} arguments")
        pairs = dict(zip(args[::2], args[1::2]))
        pairs.update(kwargs)
        for kind, handle in pairs.items():
            if not isinstance(kind, str):
                raise TypeError(f"operator kinds are strings like 'aten::addmm', got {kind!r}")
            if handle is None:
                self._op_handles.pop(kind, None)
                self._explicitly_ignored.add(kind)
            elif callable(handle):
                self._op_handles[kind] = handle
                self._explicitly_ignored.discard(kind)
            else:
                raise TypeError(f"the handle of {kind!r} must be callable or None, got {handle!r}")
        self._stats = None
        return self

    def clear_op_handles(self: T) -> T:
        """Remove every handle (the defaults of a subclass too)."""
        self._op_handles = {}
        self._explicitly_ignored = set()
        self._stats = None
        return self

    def copy(self: T, new_model: nn.Module | None = None,
             new_inputs: torch.Tensor | tuple[Any, ...] | None = None) -> T:
        """A new analysis with the same handles and settings, of another model or inputs."""
        model = self._model if new_model is None else new_model
        inputs = self._inputs if new_inputs is None else new_inputs
        analysis = JitModelAnalysis(model=model, inputs=inputs)
        analysis.__class__ = type(self)
        analysis._op_handles = dict(self._op_handles)
        analysis._explicitly_ignored = set(self._explicitly_ignored)
        analysis._enable_warn_unsupported_ops = self._enable_warn_unsupported_ops
        analysis._enable_warn_uncalled_mods = self._enable_warn_uncalled_mods
        analysis._warn_trace = self._warn_trace
        analysis._ancestor_mode = self._ancestor_mode
        for key, value in vars(self).items():  # a subclass's own attributes
            if key not in vars(analysis):
                setattr(analysis, key, _copy.copy(value))
        return analysis  # type: ignore[return-value]

    def tracer_warnings(self: T, mode: str) -> T:
        """Which warnings the tracing may show: ``'all'``, ``'no_tracer_warning'`` (the default:
        all but ``torch.jit.TracerWarning``) or ``'none'``."""
        if mode not in _TRACER_WARNING_MODES:
            raise ValueError(f"tracer warning mode must be one of {_TRACER_WARNING_MODES}, got {mode!r}")
        self._warn_trace = mode
        return self

    def ancestor_mode(self: T, mode: str) -> T:
        """Which modules an operator counts for.

        ``'owner'`` (the default): the last module whose ``forward`` was running when it ran, and
        that module's parents by name. ``'caller'``: every module whose ``forward`` was running.
        They differ only for a module that calls one it does not own; totals are the same.
        """
        if mode not in _ANCESTOR_MODES:
            raise ValueError(f"ancestor mode must be one of {_ANCESTOR_MODES}, got {mode!r}")
        if mode != self._ancestor_mode:
            self._ancestor_mode = mode
            self._stats = None
        return self

    def unsupported_ops_warnings(self: T, enabled: bool) -> T:
        """Whether the analysis warns of the operators it has no handle for."""
        self._enable_warn_unsupported_ops = enabled
        return self

    def uncalled_modules_warnings(self: T, enabled: bool) -> T:
        """Whether the analysis warns of the submodules that were never called."""
        self._enable_warn_uncalled_mods = enabled
        return self

    # -- the analysis ----------------------------------------------------------------------------

    @staticmethod
    def _get_aliases(model: nn.Module) -> dict[Any, str]:
        aliases: dict[Any, str] = {}
        for name, module in model.named_modules(remove_duplicate=False):
            canonical = aliases.setdefault(module, name)  # type: ignore[call-overload]
            aliases[name] = canonical
        return aliases

    def _should_ignore(self, kind: str) -> bool:
        if kind in self._explicitly_ignored or kind in _IGNORED_OPS:
            return True
        if kind.startswith(("prim::PythonOp", "prim::CallFunction")):
            return False
        return kind.startswith("prim::")

    def _trace(self) -> Any:
        hooks = []
        seen: set[int] = set()
        for module in self._model.modules():
            if module is self._model or id(module) in seen:
                continue
            seen.add(id(module))
            name = self._aliases[module]
            hooks.append(module.register_forward_pre_hook(_PushScope(name)))
            hooks.append(module.register_forward_hook(_pop_scope))
        try:
            with warnings.catch_warnings():
                if self._warn_trace == "none":
                    warnings.simplefilter("ignore")
                elif self._warn_trace == "no_tracer_warning":
                    warnings.filterwarnings("ignore", category=TracerWarning)
                graph, _ = torch.jit._get_trace_graph(self._model, self._inputs, strict=False)
        finally:
            for hook in hooks:
                hook.remove()
        return graph

    def _analyze(self) -> Statistics:
        if self._stats is not None:
            return self._stats
        graph = self._trace()
        ordered = list(dict.fromkeys(self._aliases.values()))  # in named_modules() order
        names = set(ordered)
        counts: dict[str, Counter] = {name: Counter() for name in ordered}
        unsupported: dict[str, Counter] = {name: Counter() for name in ordered}
        seen: set[str] = set()  # a module is called when an operator ran in it or a submodule
        for node in graph.nodes():
            kind = node.kind()
            if kind == "prim::PythonOp":
                kind = f"{kind}.{node.pyname()}"
            stack = [s for s in node.scopeName().split("/") if s]
            if self._ancestor_mode == "caller":
                ancestors = {"", *stack}
            else:
                ancestors = _dotted_ancestors(stack[-1] if stack else "")
            ancestors &= names
            seen |= ancestors
            if kind not in self._op_handles:
                if not self._should_ignore(kind):
                    for name in ancestors:
                        unsupported[name][kind] += 1
                continue
            result = self._op_handles[kind](list(node.inputs()), list(node.outputs()))
            op_counts = Counter({_simplify_op_name(kind): result}) if isinstance(result, Number) else result
            for name in ancestors:
                counts[name].update(op_counts)
        uncalled = {name for name in ordered if name and name not in seen}
        self._stats = Statistics(counts=counts, unsupported_ops=unsupported, uncalled_mods=uncalled)
        self._warn_unsupported_ops(unsupported[""])
        self._warn_uncalled_mods(uncalled)
        return self._stats

    def _warn_unsupported_ops(self, ops: Counter) -> None:
        if not self._enable_warn_unsupported_ops:
            return
        for kind, times in ops.items():
            print_log(f"Unsupported operator {kind} encountered {times} time(s)", logger="current",
                      level=logging.WARNING)

    def _warn_uncalled_mods(self, uncalled: Iterable[str]) -> None:
        if not self._enable_warn_uncalled_mods:
            return
        modules = dict(self._model.named_modules(remove_duplicate=False))
        shown = sorted(name for name in uncalled if _expected_in_trace(modules[name]))
        if shown:
            print_log("The following submodules of the model were never called during the trace of the graph. "
                      "They may be unused, or they were accessed by direct calls to .forward() or via other "
                      "python methods. In the latter case they will have zeros for statistics, though their "
                      "statistics will still contribute to their parent calling module.\n" + ", ".join(shown),
                      logger="current", level=logging.WARNING)
