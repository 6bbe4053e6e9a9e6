"""Reports of a model's complexity: a per-module table, an annotated model repr, and both at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn

from ._complexity_analysis import ActivationAnalyzer, FlopAnalyzer, parameter_count

__all__ = ["complexity_stats_str", "complexity_stats_table", "get_model_complexity_info"]

_UNCALLED_NOTE = ("N/A indicates a possibly missing statistic due to how the module was called. "
                  "Missing values are still included in the parent's total.\n")

_UNITS = ((1e14, 1e15, "P"), (1e11, 1e12, "T"), (1e8, 1e9, "G"), (1e5, 1e6, "M"), (1e2, 1e3, "K"))


def _format_size(x: float, sig_figs: int = 3, hide_zero: bool = False) -> str:
    """``12345`` -> ``'12.345K'``: a count in K, M, G, T or P (above 100 of the unit below), with
    ``sig_figs`` decimals at most; counts up to 100 as they are."""
    if hide_zero and x == 0:
        return ""
    for above, unit, suffix in _UNITS:
        if abs(x) > above:
            return f"{x / unit:.{sig_figs}f}".rstrip("0").rstrip(".") + suffix
    return str(x)


def _render_table(headers: Sequence[str], rows: Iterable[Sequence[str]], title: str | None = None) -> str:
    """Render a plain ASCII table with rich (imported here: only the reports need it)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers, title=title, box=box.ASCII2)
    for row in rows:
        table.add_row(*row)
    console = Console(width=10_000, color_system=None, force_terminal=False, record=False)
    with console.capture() as capture:
        console.print(table, no_wrap=True, crop=False)
    return "\n".join(line.rstrip() if title is None else line for line in capture.get().split("\n"))


def _stats_by_module(columns: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{stat: {module: value}}`` -> ``{module: {stat: value}}``, modules in first-seen order."""
    out: dict[str, dict[str, Any]] = {}
    for stat, values in columns.items():
        for module, value in values.items():
            out.setdefault(module, {})[stat] = value
    return out


def _keep_nonzero(stats: dict[str, dict[str, Any]], force_keep: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Drop the modules whose statistics are all zero (the whole model and ``force_keep`` stay)."""
    keep = {"", *force_keep}
    return {name: values for name, values in stats.items()
            if name in keep or any(v != 0 for v in values.values())}


def _quiet(analyzer: Any) -> None:
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings("none")


def _add_indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _model_stats_str(model: nn.Module, stats: dict[str, dict[str, str]]) -> str:
    """``repr(model)``, with each module's statistics as one more line of it."""

    def render(module: nn.Module, name: str) -> str:
        extra = module.extra_repr().split("\n") if module.extra_repr() else []
        if name in stats:
            extra.append(", ".join(f"{k}: {v}" for k, v in stats[name].items()))
        children = [f"({key}): " + _add_indent(render(child, f"{name}.{key}" if name else key), 2)
                    for key, child in module._modules.items() if child is not None]
        head = module._get_name() + "("
        if len(extra) == 1 and not children:
            return head + extra[0] + ")"
        lines = extra + children
        return head + ("\n  " + "\n  ".join(lines) + "\n" if lines else "") + ")"

    return render(model, "")


def complexity_stats_str(flops: FlopAnalyzer, activations: ActivationAnalyzer | None = None) -> str:
    """The model's repr with ``#params``, ``#flops`` (and ``#acts``) added to each module.

    Modules that were never called show ``N/A`` (their work counts towards their caller); modules
    with nothing to count show no statistics.

    Args:
        flops: The FLOP analysis of the model.
        activations: Its activation analysis, to add an ``#acts`` column.
    """
    model = flops._model
    _quiet(flops)
    columns: dict[str, dict[str, Any]] = {"#params": {}, "#flops": dict(flops.by_module())}
    if activations is not None:
        _quiet(activations)
        columns["#acts"] = dict(activations.by_module())
    params = parameter_count(model)
    uncalled = {name: set(flops.uncalled_modules()) for name in ("#flops",)}
    if activations is not None:
        uncalled["#acts"] = set(activations.uncalled_modules())
    all_uncalled = set().union(*uncalled.values())
    for name, _ in model.named_modules():
        columns["#params"][name] = params.get(name, 0)
        for stat in columns:
            columns[stat].setdefault(name, 0)
    stats = _keep_nonzero(_stats_by_module(columns), force_keep=all_uncalled)
    pretty = {name: {stat: ("N/A" if name in uncalled.get(stat, ()) else _format_size(value, sig_figs=2))
                     for stat, value in values.items()}
              for name, values in stats.items()}
    return (_UNCALLED_NOTE if all_uncalled else "") + _model_stats_str(model, pretty)


def _single_child(name: str, stats: dict[str, dict[str, str]]) -> str | None:
    prefix = name + "." if name else ""
    children = [m for m in stats if m and m.startswith(prefix) and m.count(".") == prefix.count(".")]
    return children[0] if len(children) == 1 else None


def _merge(parent: dict[str, str], child: dict[str, str]) -> dict[str, str] | None:
    """The statistics of a parent and its only child as one row, or None if they differ."""
    if parent.keys() != child.keys():
        return None
    merged = {}
    for key, value in parent.items():
        other = child[key]
        if value and other and value != other:
            return None
        merged[key] = value or other
    return merged


def _fast_forward(name: str, stats: dict[str, dict[str, str]]) -> str:
    """Skip down a chain of modules with one child and the same statistics (``fc`` -> ``fc.0``)."""
    child = _single_child(name, stats)
    if child is None:
        return name
    merged = _merge(stats[name], stats[child])
    if merged is None:
        return name
    stats[child] = merged
    return _fast_forward(child, stats)


def _model_stats_table(stats: dict[str, dict[str, str]], max_depth: int, columns: Sequence[str],
                       headers: Sequence[str]) -> str:
    rows: list[list[str]] = []

    def row(name: str, values: dict[str, str], level: int) -> list[str]:
        indent = " " * level
        return [indent + name] + [indent + values[c] if c in values else "" for c in columns]

    def fill(level: int, prefix: str) -> None:
        if level >= max_depth:
            return
        for name in list(stats):
            if name and name.count(".") == prefix.count(".") and name.startswith(prefix):
                name = _fast_forward(name, stats)
                rows.append(row(name, stats[name], level + 1))
                fill(level + 1, name + ".")

    rows.append(row("model", stats.pop(""), 0))
    fill(0, "")
    return _render_table(["module", *headers], rows)


def complexity_stats_table(flops: FlopAnalyzer, max_depth: int = 3,
                           activations: ActivationAnalyzer | None = None,
                           show_param_shapes: bool = True) -> str:
    """A table of the parameters, FLOPs (and activations) of the modules down to ``max_depth``.

    A module with one child and the same statistics is listed as that child (``fc.0`` for a
    ``ModuleList`` holding one layer). Modules with nothing to count are left out; those never
    called have blank FLOPs and activations (their work counts towards their caller).

    Args:
        flops: The FLOP analysis of the model.
        max_depth: Deepest module level listed (the whole model is level 0).
        activations: Its activation analysis, to add an ``#activations`` column.
        show_param_shapes: List each parameter's shape under its module.
    """
    model = flops._model
    _quiet(flops)
    params_header = "#parameters or shape" if show_param_shapes else "#parameters"
    columns: dict[str, dict[str, Any]] = {params_header: dict(parameter_count(model)), "#flops": dict(flops.by_module())}
    uncalled = {"#flops": set(flops.uncalled_modules())}
    if activations is not None:
        _quiet(activations)
        columns["#activations"] = dict(activations.by_module())
        uncalled["#activations"] = set(activations.uncalled_modules())
    stats = _keep_nonzero(_stats_by_module(columns))
    pretty = {name: {stat: ("" if name in uncalled.get(stat, ()) else _format_size(value))
                     for stat, value in values.items()}
              for name, values in stats.items()}
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    for name in list(pretty):
        if name in shapes:
            if show_param_shapes:
                pretty[name][params_header] = str(shapes[name])
            else:
                del pretty[name]
    return _model_stats_table(pretty, max_depth, list(columns), list(columns))


def get_model_complexity_info(model: nn.Module, input_shape: tuple | None = None,
                              inputs: torch.Tensor | tuple[Any, ...] | None = None,
                              show_table: bool = True, show_arch: bool = True) -> dict[str, Any]:
    """The FLOPs, activations and parameters of a model, as numbers, strings and reports.

    Args:
        model: The model to analyze.
        input_shape: Shape of one input without the batch dimension: the model runs on
            ``torch.randn(1, *input_shape)``.
        inputs: The positional arguments of the run instead (a tensor stands for a 1-tuple).
        show_table: Fill ``out_table`` with :func:`complexity_stats_table`.
        show_arch: Fill ``out_arch`` with :func:`complexity_stats_str`.

    Returns:
        A dict with ``flops``, ``activations`` and ``params`` (numbers), the same formatted
        (``flops_str``, ``activations_str``, ``params_str``, e.g. ``'1.82G'``), and ``out_table``
        and ``out_arch`` (each ``''`` when not asked for).

    Raises:
        ValueError: Neither or both of ``input_shape`` and ``inputs`` are given.
    """
    if input_shape is None and inputs is None:
        raise ValueError('One of "input_shape" and "inputs" should be set.')
    if input_shape is not None and inputs is not None:
        raise ValueError('"input_shape" and "inputs" cannot be both set.')
    if inputs is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else None
        inputs = (torch.randn(1, *input_shape, device=device),)
    flop_handler = FlopAnalyzer(model, inputs)
    activation_handler = ActivationAnalyzer(model, inputs)
    flops = flop_handler.total()
    activations = activation_handler.total()
    params = parameter_count(model)[""]
    out_table = ""
    if show_table:
        out_table = "\n" + complexity_stats_table(flop_handler, activations=activation_handler, show_param_shapes=True)
    out_arch = ""
    if show_arch:
        out_arch = "\n" + complexity_stats_str(flop_handler, activations=activation_handler)
    return {
        "flops": flops,
        "flops_str": _format_size(flops),
        "activations": activations,
        "activations_str": _format_size(activations),
        "params": params,
        "params_str": _format_size(params),
        "out_table": out_table,
        "out_arch": out_arch,
    }
