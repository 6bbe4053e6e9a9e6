"""plot_curves and ``python -m mme.visualization.plot`` on scalars written by LocalVisBackend."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.image as mimage
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from mme.visualization import ScalarsFileError, Visualizer, find_scalars_file, load_scalars, plot_curves
from mme.visualization.plot import main

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
