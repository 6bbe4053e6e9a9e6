"""plot_curves and ``python -m mme.visualization.plot`` on scalars written by LocalVisBackend."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import matplotlib
import matplotlib.image as mimage
import numpy as np
import pytest
from matplotlib.colors import to_hex, to_rgb
from mme.visualization import (
    ScalarsFileError,
    Visualizer,
    find_scalars_file,
    find_scalars_files,
    load_scalars,
    plot_curves,
)
from mme.visualization.plot import build_parser, main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_run(work_dir, name="run", steps=20, scale=1.0):
    """Log a short fake training run the way the runner does: <work_dir>/<timestamp>/vis_data."""
    vis = Visualizer(name=name, save_dir=str(work_dir / "20260101_000000"))
    for step in range(1, steps + 1):
        vis.add_scalars({"loss": scale / step, "lr": 0.1 * 0.9**step, "data_time": 0.01}, step=step)
        if step % 10 == 0:
            vis.add_scalars({"accuracy": step / steps}, step=step)
    vis.close()
    return work_dir


def write_segment(work_dir, timestamp, iters, epochs, iters_per_epoch=2, offset=0.0, by_epoch=True):
    """One run segment shaped like the runner's: training records carry ``iter`` (and ``epoch`` when
    training by epoch) with ``step`` = iteration; validation records carry only ``step``, the epoch
    (by epoch) or the iteration."""
    vis = Visualizer(name=f"seg{timestamp}", save_dir=str(work_dir / timestamp))
    validate_after = {e * iters_per_epoch: e for e in epochs}
    for it in iters:
        train = {"loss": offset + it, "lr": offset + 0.5 * it, "data_time": offset + 0.01 * it, "iter": it}
        if by_epoch:
            train["epoch"] = (it - 1) // iters_per_epoch + 1
        vis.add_scalars(train, step=it)
        if it in validate_after:
            epoch = validate_after[it]
            vis.add_scalars({"accuracy": offset + epoch, "data_time": offset - epoch}, step=epoch if by_epoch else it)
    vis.close()
    return work_dir / timestamp / "vis_data" / "scalars.json"


def resumed_work_dir(work_dir):
    """A crash after epoch 3, resumed from the epoch 2 checkpoint: iterations 5-6 and epoch 3 run twice."""
    old = write_segment(work_dir, "20260101_000000", iters=range(1, 7), epochs=[1, 2, 3])
    new = write_segment(work_dir, "20260101_010000", iters=range(5, 9), epochs=[3, 4], offset=100.0)
    future = os.stat(new).st_mtime + 60
    os.utime(old, (future, future))  # the order comes from the timestamps in the names, not mtimes
    return old, new


def series(records, key):
    return [(r["step"], r[key]) for r in records if key in r]


def svg_plot(*args, **kwargs) -> tuple[list[str], dict[int, list[int]]]:
    """Plot to SVG with text kept as text: (the words in the image, color index -> points per curve)."""
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        out = plot_curves(*args, **kwargs)
    svg = out.read_text(encoding="utf-8")
    words = [w for w in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if not re.fullmatch(r"[-+.0-9e\s]*", w)]
    colors = {to_hex(f"C{i}"): i for i in range(10)}
    curves: dict[int, list[int]] = {}
    for path, color in re.findall(r'<path d="([^"]*)"\s+clip-path="[^"]*"\s+style="[^"]*stroke: (#[0-9a-f]{6})', svg):
        if color in colors:  # a data line (grid lines are gray, legend samples are not clipped)
            curves.setdefault(colors[color], []).append(len(re.findall(r"[ML] ", path)))
    return words, curves


def colors_present(path) -> set[int]:
    """Which of matplotlib's cycle colors appear exactly in the image (C7, gray, is left out: text is gray)."""
    pixels = (mimage.imread(path)[..., :3] * 255).round().astype(int).reshape(-1, 3)
    unique = {tuple(p) for p in np.unique(pixels, axis=0)}
    return {i for i in (0, 1, 2, 3, 4, 5, 6, 8, 9) if tuple(round(c * 255) for c in to_rgb(f"C{i}")) in unique}


def test_find_and_load_scalars(tmp_path):
    write_run(tmp_path)
    path = find_scalars_file(tmp_path)
    assert path == tmp_path / "20260101_000000" / "vis_data" / "scalars.json"
    assert find_scalars_file(path) == path
    assert find_scalars_file(path.parent) == path
    records = load_scalars(tmp_path)
    assert len(records) == 22 and records[0]["step"] == 1


def test_a_resumed_run_is_joined_and_the_newer_segment_wins(tmp_path):
    old, new = resumed_work_dir(tmp_path)
    assert find_scalars_files(tmp_path) == [old, new]
    assert find_scalars_file(tmp_path) == new
    assert find_scalars_files(new.parent.parent) == [new]
    records = load_scalars(tmp_path)
    assert series(records, "loss") == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 105), (6, 106), (7, 107), (8, 108)]
    assert series(records, "accuracy") == [(1, 1), (2, 2), (3, 103), (4, 104)]
    # data_time is logged per iteration (training) and per epoch (validation): each is cut on its own
    iteration_times = [(r["step"], r["data_time"]) for r in records if "iter" in r]
    assert [step for step, _ in iteration_times] == list(range(1, 9))
    assert [(r["step"], r["data_time"]) for r in records if "accuracy" in r] == [(1, -1), (2, -2), (3, 97), (4, 96)]
    assert all(r["iter"] == r["step"] for r in records if "iter" in r)


def test_axes_are_named_after_what_was_logged(tmp_path):
    resumed_work_dir(tmp_path)
    words, curves = svg_plot(tmp_path, ["loss", "lr", "accuracy"], tmp_path / "run.svg", dpi=50)
    assert words.count("iteration") == 2 and words.count("epoch") == 1 and "step" not in words
    assert curves == {0: [8], 1: [8], 2: [4]}  # the whole run: iterations 1-8, epochs 1-4
    words, curves = svg_plot(tmp_path, ["data_time"], tmp_path / "time.svg", dpi=50)
    assert words.count("data_time") == 4  # a subplot each for the training and validation series
    assert words.count("iteration") == 1 and words.count("epoch") == 1
    assert curves == {0: [8], 1: [4]}
    words, _ = svg_plot(tmp_path, ["loss", "accuracy"], tmp_path / "one.svg", layout="single", dpi=50)
    assert "iteration / epoch" in words and "loss (iteration)" in words and "accuracy (epoch)" in words
    words, _ = svg_plot(tmp_path, ["loss"], tmp_path / "iter.svg", x_key="iter", dpi=50)
    assert "iteration" in words


def test_validation_by_iteration_is_on_the_iteration_axis(tmp_path):
    write_segment(tmp_path, "20260101_000000", iters=range(1, 9), epochs=[2, 4], by_epoch=False)
    words, curves = svg_plot(tmp_path, ["loss", "accuracy"], tmp_path / "iters.svg", dpi=50)
    assert words.count("iteration") == 2 and "epoch" not in words
    assert curves == {0: [8], 1: [2]}


def test_several_work_dirs_below_one_folder_are_not_mixed(tmp_path):
    write_segment(tmp_path / "a", "20260101_000000", iters=range(1, 3), epochs=[1])
    write_segment(tmp_path / "b", "20260101_000000", iters=range(1, 3), epochs=[1])
    with pytest.raises(ScalarsFileError, match="holds several work dirs"):
        find_scalars_files(tmp_path)
    assert len(load_scalars(tmp_path / "a")) == 3


def test_one_run_png_with_one_curve_per_key(tmp_path):
    write_run(tmp_path)
    out = plot_curves(tmp_path, ["loss", "lr"], tmp_path / "curves.png", layout="single", dpi=60)
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    image = mimage.imread(out)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert colors_present(out) == {0, 1}


def test_subplots_one_color_per_key_for_one_run(tmp_path):
    write_run(tmp_path)
    out = plot_curves(tmp_path, ["loss", "lr", "accuracy"], tmp_path / "sub.png", dpi=50)
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    assert colors_present(out) == {0, 1, 2}


def test_compare_runs(tmp_path):
    write_run(tmp_path / "a", name="a")
    write_run(tmp_path / "b", name="b", scale=2.0)
    out = plot_curves([tmp_path / "a", tmp_path / "b"], ["loss", "lr"], tmp_path / "cmp.png", labels=["a", "b"], dpi=50)
    assert colors_present(out) == {0, 1}  # one color per run, reused in each key's subplot
    out = plot_curves([tmp_path / "a", tmp_path / "b"], ["loss", "lr"], tmp_path / "one.png", layout="single", dpi=50)
    assert colors_present(out) == {0, 1, 2, 3}  # one curve per key per run


def test_plot_errors(tmp_path):
    write_run(tmp_path)
    with pytest.raises(ScalarsFileError, match=r"key 'nope' is in none of the runs; available keys: \['accuracy'"):
        plot_curves(tmp_path, ["loss", "nope"], tmp_path / "x.png")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScalarsFileError, match="no scalars.json under"):
        plot_curves(tmp_path / "empty", "loss", tmp_path / "x.png")
    with pytest.raises(ScalarsFileError, match="neither a scalars file nor a directory"):
        plot_curves(tmp_path / "missing", "loss", tmp_path / "x.png")
    with pytest.raises(ValueError, match="layout must be one of"):
        plot_curves(tmp_path, "loss", tmp_path / "x.png", layout="grid")
    with pytest.raises(ValueError, match="2 labels for 1 runs"):
        plot_curves(tmp_path, "loss", tmp_path / "x.png", labels=["a", "b"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"loss": 1, "step": 1}\nnot json\n')
    with pytest.raises(ScalarsFileError, match=r"bad.json:2: not a JSON line"):
        load_scalars(bad)
    assert not (tmp_path / "x.png").exists()


def test_main_reports_errors(tmp_path, capsys):
    write_run(tmp_path)
    assert main([str(tmp_path), "--keys", "nope", "--out", str(tmp_path / "x.png")]) == 2
    assert "key 'nope'" in capsys.readouterr().err
    assert main([str(tmp_path), "--keys", "loss", "--out", str(tmp_path / "ok.png"), "--layout", "single"]) == 0
    assert (tmp_path / "ok.png").read_bytes()[:8] == PNG_SIGNATURE


def test_plot_arguments_import_no_torch():
    """``mme logs plot`` builds its parser from mme.visualization.plot; that must not cost a torch import."""
    code = "import sys, mme.visualization.plot as p; p.build_parser(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.slow
def test_module_entry_point(tmp_path):
    write_run(tmp_path)
    out = tmp_path / "curves.png"
    result = subprocess.run(
        [sys.executable, "-m", "mme.visualization.plot", str(tmp_path), "--keys", "loss", "lr", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert out.read_bytes()[:8] == PNG_SIGNATURE
