"""Plot training curves from the ``scalars.json`` files LocalVisBackend writes."""

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


def find_scalars_file(source: PathLike, file_name: str = "scalars.json") -> Path:
    """Resolve a scalars file from a path that is the file, a ``vis_data`` folder, a run folder or a work dir.

    In a work dir with several runs (``<work_dir>/<timestamp>/vis_data/scalars.json``) the most
    recently modified file wins.

    Raises:
        ScalarsFileError: Nothing matching was found.
    """
    path = Path(source)
    if path.is_file():
        return path
    if not path.is_dir():
        raise ScalarsFileError(f"{os.fspath(source)!r} is neither a scalars file nor a directory")
    for candidate in (path / file_name, path / "vis_data" / file_name):
        if candidate.is_file():
            return candidate
    found = sorted(path.rglob(file_name), key=lambda p: (p.stat().st_mtime, str(p)))
    if not found:
        raise ScalarsFileError(f"no {file_name} under {os.fspath(source)!r} (LocalVisBackend writes one per run)")
    if len(found) > 1:
        logger.info("%d %s files under %s; plotting the newest, %s", len(found), file_name, source, found[-1])
    return found[-1]


def load_scalars(source: PathLike) -> list[dict[str, Any]]:
    """Read every JSON object (one per line) of a scalars file, resolved with ``find_scalars_file``.

    Raises:
        ScalarsFileError: The file is missing or a line is not a JSON object.
    """
    path = find_scalars_file(source)
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


def _series(records: list[dict[str, Any]], key: str, x_key: str) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for index, record in enumerate(records):
        value = record.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            x = record.get(x_key, index)
            xs.append(float(x) if isinstance(x, (int, float)) else float(index))
            ys.append(float(value))
    return xs, ys


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
        sources: Work dir(s), run folder(s) or scalars file(s); each is one run (see
            ``find_scalars_file``).
        keys: Scalar names to plot, e.g. ``["loss", "lr"]``.
        out_file: Where to write the image (its suffix picks the format; ``.png`` is typical).
        labels: Legend name of each run (default: the source paths).
        x_key: Record field used as the x axis (``"step"``; the line number when absent).
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

    runs = [load_scalars(s) for s in source_list]
    series = {(r, k): _series(records, k, x_key) for r, records in enumerate(runs) for k in key_list}
    for key in key_list:
        if not any(series[(r, key)][0] for r in range(len(runs))):
            available = sorted({k for records in runs for rec in records for k in rec if k != x_key})
            raise ScalarsFileError(f"plot_curves: key {key!r} is in none of the runs; available keys: {available}")

    n_axes = len(key_list) if layout == "subplots" else 1
    cols = min(n_axes, 2)
    rows = math.ceil(n_axes / cols)
    figure = mpl("figure").Figure(figsize=figsize or (6.4 * cols, 4.0 * rows), dpi=dpi, layout="constrained")
    mpl("backends.backend_agg").FigureCanvasAgg(figure)
    axes = [figure.add_subplot(rows, cols, i + 1) for i in range(n_axes)]
    color = 0
    for k_index, key in enumerate(key_list):
        ax = axes[k_index if layout == "subplots" else 0]
        for r_index in range(len(runs)):
            xs, ys = series[(r_index, key)]
            if not xs:
                continue
            if layout == "subplots":
                name = labels[r_index] if len(runs) > 1 else key
            else:
                name = f"{labels[r_index]}: {key}" if len(runs) > 1 else key
            ax.plot(xs, ys, label=name, color=f"C{color % 10}", linewidth=1.5)
            color += 1
        if layout == "subplots":
            ax.set_title(key)
            color = 0 if len(runs) > 1 else color
    for ax in axes:
        ax.set_xlabel(x_key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=dpi)
    figure.clear()
    return out
