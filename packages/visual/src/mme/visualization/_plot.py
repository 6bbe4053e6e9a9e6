"""Plot training curves from the ``scalars.json`` files LocalVisBackend writes.

A work dir holds one ``<timestamp>/vis_data/scalars.json`` per run segment: a resumed training
adds a segment, and the steps it repeats (everything after the checkpoint it resumed from)
replace those of the older segments. The x unit of each record is read from what the runner
logs: training records carry ``iter`` (their ``step`` is an iteration), validation records carry
nothing and their ``step`` is an epoch or an iteration, which the training record before them
tells apart.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._errors import ScalarsFileError
from ._mpl import mpl

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
LAYOUTS = ("subplots", "single")
UNITS = ("iteration", "epoch", "step")  # x units, in the order their subplots come
_META = frozenset({"step", "iter", "epoch"})  # where a record is, not a curve
_X_NAMES = {"iter": "iteration"}


def find_scalars_files(source: PathLike, file_name: str = "scalars.json") -> list[Path]:
    """The scalars files of one run, oldest segment first.

    ``source`` is a scalars file, a ``vis_data`` folder, a run folder (one segment each) or a
    work dir, whose segments ``<work_dir>/<timestamp>/vis_data/<file_name>`` are ordered by their
    folder names (the runner's start timestamps). A folder with scalars files only deeper down
    must hold a single work dir.

    Raises:
        ScalarsFileError: Nothing matching was found, or the files belong to several work dirs.
    """
    path = Path(source)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ScalarsFileError(f"{os.fspath(source)!r} is neither a scalars file nor a directory")
    for candidate in (path / file_name, path / "vis_data" / file_name):
        if candidate.is_file():
            return [candidate]
    segments = [p for p in path.glob(f"*/vis_data/{file_name}") if p.is_file()]
    if not segments:
        found = [p for p in path.rglob(file_name) if p.is_file()]
        work_dirs = {p.parents[2] if p.parent.name == "vis_data" else p.parents[1] for p in found}
        if len(work_dirs) > 1:
            names = ", ".join(sorted(os.fspath(w) for w in work_dirs))
            raise ScalarsFileError(f"{os.fspath(source)!r} holds several work dirs ({names}); pass one of them")
        segments = found
    if not segments:
        raise ScalarsFileError(f"no {file_name} under {os.fspath(source)!r} (LocalVisBackend writes one per run)")
    return sorted(segments, key=lambda p: (p.parent.parent.name if p.parent.name == "vis_data" else p.parent.name, p))


def find_scalars_file(source: PathLike, file_name: str = "scalars.json") -> Path:
    """The newest scalars file of ``source`` (see ``find_scalars_files``).

    Raises:
        ScalarsFileError: Nothing matching was found.
    """
    return find_scalars_files(source, file_name)[-1]


def load_scalars(source: PathLike) -> list[dict[str, Any]]:
    """Every record of a run, across its segments, oldest first (see ``find_scalars_files``).

    Where a newer segment logs a key again from some step on, the older segments' values of that
    key from that step on are dropped (per x unit: iterations and epochs are cut separately).

    Raises:
        ScalarsFileError: The source has no scalars file or a line is not a JSON object.
    """
    return [record for record, _ in _load_run(source)]


def _read(path: Path) -> list[dict[str, Any]]:
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ScalarsFileError(f"{path}:{number}: not a JSON line ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise ScalarsFileError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
            records.append(record)
    return records


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _units(records: list[dict[str, Any]]) -> list[str]:
    """The x unit of each record's ``step``: ``"iteration"``, ``"epoch"`` or ``"step"`` (unknown)."""
    trained = [_number(r.get("iter")) for r in records]
    before: list[int | None] = []  # the training record logged last before each record
    last = None
    for index, is_train in enumerate(trained):
        before.append(last)
        last = index if is_train else last
    after: list[int | None] = [None] * len(records)  # and the first one after it
    upcoming = None
    for index in range(len(records) - 1, -1, -1):
        after[index] = upcoming
        upcoming = index if trained[index] else upcoming
    units = []
    for index, record in enumerate(records):
        step, previous, following = record.get("step"), before[index], after[index]
        if trained[index]:
            units.append("iteration")
        elif _number(record.get("epoch")):
            units.append("epoch")
        elif not _number(step) or (previous is None and following is None):
            units.append("step")
        else:
            # A validation record: its step is the epoch count (epoch-based training) or the
            # iteration count, which the training records around it tell apart.
            train = records[previous if previous is not None else following]  # type: ignore[index]
            epoch, it = train.get("epoch"), train["iter"]
            if _number(epoch) and step == (epoch if previous is not None else epoch - 1):
                units.append("epoch")
            elif (step >= it) if previous is not None else (step <= it):
                units.append("iteration")
            else:
                units.append("step")
    return units


def _load_run(source: PathLike) -> list[tuple[dict[str, Any], str]]:
    """(record, x unit) pairs of a run, its segments merged with the newer winning on overlaps."""
    segments = []
    for path in find_scalars_files(source):
        records = _read(path)
        segments.append(list(zip(records, _units(records))))
    if len(segments) > 1:
        logger.debug("%s: merging %d run segments", source, len(segments))
    starts: dict[tuple[str, str], float] = {}  # (key, unit) -> first step a newer segment logs it
    merged: list[list[tuple[dict[str, Any], str]]] = []
    for segment in reversed(segments):
        kept = []
        for record, unit in segment:
            step = record.get("step")
            if starts and _number(step):
                record = {k: v for k, v in record.items() if k in _META or step < starts.get((k, unit), math.inf)}
                if _META.issuperset(record):
                    continue
            kept.append((record, unit))
        for record, unit in kept:
            step = record.get("step")
            if _number(step):
                for key in record.keys() - _META:
                    starts[(key, unit)] = min(step, starts.get((key, unit), math.inf))
        merged.append(kept)
    return [pair for segment in reversed(merged) for pair in segment]


def _series(
    run: list[tuple[dict[str, Any], str]], key: str, x_key: str
) -> dict[str, tuple[list[float], list[float]]]:
    """unit -> (xs, ys) of ``key`` in one run."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    for index, (record, unit) in enumerate(run):
        value = record.get(key)
        if _number(value):
            x = record.get(x_key, index)
            xs, ys = series.setdefault(unit, ([], []))
            xs.append(float(x) if _number(x) else float(index))
            ys.append(float(value))
    return series


def _x_label(x_key: str, units: set[str]) -> str:
    if x_key != "step":
        return _X_NAMES.get(x_key, x_key)
    return " / ".join(unit for unit in UNITS if unit in units)


def plot_curves(
    sources: PathLike | Sequence[PathLike],
    keys: str | Sequence[str],
    out_file: PathLike,
    *,
    labels: Sequence[str] | None = None,
    x_key: str = "step",
    layout: str = "subplots",
    title: str | None = None,
    dpi: int = 100,
    figsize: tuple[float, float] | None = None,
) -> Path:
    """Draw the curves of ``keys`` from one or several runs into a PNG.

    Args:
        sources: Work dir(s), run folder(s) or scalars file(s); each is one run, a work dir with
            all its resumed segments (see ``load_scalars``).
        keys: Scalar names to plot, e.g. ``["loss", "lr"]``.
        out_file: Where to write the image (its suffix picks the format; ``.png`` is typical).
        labels: Legend name of each run (default: the source paths).
        x_key: Record field used as the x axis (``"step"``; the line number when absent). With
            ``"step"`` the axis is named after its unit, ``iteration`` or ``epoch``, and a key
            logged in both (``data_time`` of training and of validation) gets one subplot each.
        layout: ``"subplots"``: one subplot per key, each with one curve per run;
            ``"single"``: one axes with one curve per key per run.
        title: Figure title.
        dpi: Resolution of the image.
        figsize: Figure size in inches (derived from the number of subplots by default).

    Returns:
        The path written.

    Raises:
        ScalarsFileError: A source has no scalars file, or a key is in none of the runs.
        ValueError: Bad ``keys``, ``labels`` or ``layout``.
    """
    source_list = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    key_list = [keys] if isinstance(keys, str) else list(keys)
    if not source_list:
        raise ValueError("plot_curves: give at least one work dir or scalars file")
    if not key_list or not all(isinstance(k, str) and k for k in key_list):
        raise ValueError(f"plot_curves: keys must be non-empty strings, got {keys!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"plot_curves: layout must be one of {LAYOUTS}, got {layout!r}")
    if labels is None:
        labels = [os.fspath(s) for s in source_list]
    elif len(labels) != len(source_list):
        raise ValueError(f"plot_curves: got {len(labels)} labels for {len(source_list)} runs")

    runs = [_load_run(s) for s in source_list]
    series = {(r, k): _series(run, k, x_key) for r, run in enumerate(runs) for k in key_list}
    panels = []  # (key, unit), one subplot each in the "subplots" layout
    for key in key_list:
        units = {unit for r in range(len(runs)) for unit in series[(r, key)]}
        if not units:
            available = sorted({k for run in runs for rec, _ in run for k in rec if k not in _META | {x_key}})
            raise ScalarsFileError(f"plot_curves: key {key!r} is in none of the runs; available keys: {available}")
        panels.extend((key, unit) for unit in UNITS if unit in units)

    n_axes = len(panels) if layout == "subplots" else 1
    cols = min(n_axes, 2)
    rows = math.ceil(n_axes / cols)
    figure = mpl("figure").Figure(figsize=figsize or (6.4 * cols, 4.0 * rows), dpi=dpi, layout="constrained")
    mpl("backends.backend_agg").FigureCanvasAgg(figure)
    axes = [figure.add_subplot(rows, cols, i + 1) for i in range(n_axes)]
    color = 0
    mixed = len({unit for _, unit in panels}) > 1
    for p_index, (key, unit) in enumerate(panels):
        ax = axes[p_index if layout == "subplots" else 0]
        for r_index in range(len(runs)):
            if unit not in series[(r_index, key)]:
                continue
            xs, ys = series[(r_index, key)][unit]
            if layout == "subplots":
                name = labels[r_index] if len(runs) > 1 else key
            else:
                name = f"{labels[r_index]}: {key}" if len(runs) > 1 else key
                name = f"{name} ({unit})" if mixed else name
            ax.plot(xs, ys, label=name, color=f"C{color % 10}", linewidth=1.5)
            color += 1
        if layout == "subplots":
            ax.set_title(key)
            ax.set_xlabel(_x_label(x_key, {unit}))
            color = 0 if len(runs) > 1 else color
    if layout == "single":
        axes[0].set_xlabel(_x_label(x_key, {unit for _, unit in panels}))
    for ax in axes:
        if ax.get_xlabel() in {"iteration", "epoch", "iteration / epoch"}:
            ax.xaxis.set_major_locator(mpl("ticker").MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=dpi)
    figure.clear()
    return out
