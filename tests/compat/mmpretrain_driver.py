"""Run mmpretrain 1.2.0, unmodified, on mme through mme-compat: one phase per interpreter.

    python mmpretrain_driver.py data   DIR                   # 16 train + 8 val random PNGs, 2 classes
    python mmpretrain_driver.py train  DIR WORK EPOCHS [--resume]
    python mmpretrain_driver.py test   DIR WORK CHECKPOINT

tests/compat/test_mmpretrain_downstream.py runs it with tools/install_downstream.py's folder on
PYTHONPATH (mmpretrain, mmcv-lite, torchvision and the real MMEngine). Each phase follows
mmpretrain's tools/train.py and tools/test.py: ``Config.fromfile`` on a config shipped in the
mmpretrain wheel, a few overrides, ``Runner.from_cfg(cfg)``. It prints one JSON report as its last
line: the metrics, the modules loaded from the real MMEngine distribution (there must be none), ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def define_torchvision_op_schemas() -> None:
    """Let ``import torchvision`` succeed without its C extension.

    The torchvision built for torch 2.13.0 is a CUDA build whose ``_C.so`` does not load on CPU
    torch; torchvision then runs without its ops (``torchvision.extension._has_ops()`` is False),
    but its ``_meta_registrations`` registers fake kernels for ``torchvision::nms`` and ``qnms``
    unconditionally, which fails on undefined operators. Defining those two schemas (no kernels)
    is enough: calling them raises torchvision's own "Couldn't load custom C++ ops".
    """
    import torch

    if hasattr(torch.ops.torchvision, "nms"):
        return  # the extension loaded (a torchvision built for this torch)
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    define_torchvision_op_schemas.lib = lib  # keep the library alive


def write_images(root: Path) -> None:
    """An ImageNet-style folder tree ``{train,val}/<class>/*.png`` of random 32x32 images."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, per_class in (("train", 8), ("val", 4)):
        for label, name in enumerate(("cat", "dog")):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                # a learnable signal: the class sets the mean brightness
                pixels = rng.integers(0, 128, (32, 32, 3)) + 100 * label
                Image.fromarray(pixels.clip(0, 255).astype("uint8")).save(folder / f"{i}.png")


def config(data: Path, work: Path):
    import mmpretrain
    from mmengine.config import Config

    path = Path(mmpretrain.__file__).parent / ".mim" / "configs" / "resnet" / "resnet18_8xb32_in1k.py"
    cfg = Config.fromfile(path)
    cfg.work_dir = str(work)
    cfg.model.head.num_classes = 2
    cfg.model.head.topk = (1,)
    cfg.data_preprocessor.num_classes = 2
    train_pipeline = [
        dict(type="LoadImageFromFile"),
        dict(type="RandomResizedCrop", scale=32),
        dict(type="RandomFlip", prob=0.5, direction="horizontal"),
        dict(type="PackInputs"),
    ]
    test_pipeline = [
        dict(type="LoadImageFromFile"),
        dict(type="ResizeEdge", scale=32, edge="short"),
        dict(type="CenterCrop", crop_size=32),
        dict(type="PackInputs"),
    ]
    for name, split, pipeline, shuffle in (
        ("train_dataloader", "train", train_pipeline, True),
        ("val_dataloader", "val", test_pipeline, False),
        ("test_dataloader", "val", test_pipeline, False),
    ):
        cfg[name] = dict(
            batch_size=4,
            num_workers=0,
            persistent_workers=False,
            dataset=dict(type="CustomDataset", data_root=str(data), data_prefix=split, pipeline=pipeline),
            sampler=dict(type="DefaultSampler", shuffle=shuffle),
        )
    cfg.val_evaluator = cfg.test_evaluator = dict(type="Accuracy", topk=(1,))
    cfg.optim_wrapper.optimizer.lr = 0.01
    cfg.default_hooks.logger.interval = 1
    cfg.env_cfg.dist_cfg = dict(backend="gloo")
    cfg.randomness = dict(seed=0, deterministic=False)
    return cfg


def real_mmengine_modules() -> tuple[str, list[str]]:
    """The real MMEngine's package folder, and the loaded modules whose file lies in it."""
    import importlib.metadata
    import sys

    folder = Path(importlib.metadata.distribution("mmengine").locate_file("mmengine")).resolve()
    loaded = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().is_relative_to(folder):
            loaded.append(name)
    return str(folder), sorted(loaded)


def main(argv: list[str]) -> dict:
    phase, data = argv[0], Path(argv[1])
    if phase == "data":
        write_images(data)
        return {"images": len(list(data.rglob("*.png")))}

    define_torchvision_op_schemas()
    import mmengine
    from mmengine.runner import Runner
    from mmpretrain.utils import register_all_modules

    register_all_modules(init_default_scope=False)  # what mmpretrain's tools/train.py does
    work = Path(argv[2])
    cfg = config(data, work)
    report: dict = {"mmengine_file": mmengine.__file__}
    if phase == "train":
        cfg.train_cfg.max_epochs = int(argv[3])
        cfg.resume = "--resume" in argv
        runner = Runner.from_cfg(cfg)
        runner.train()
        report["epoch"] = runner.epoch
        report["iter"] = runner.iter
        report["val_top1"] = runner.message_hub.get_scalar("val/accuracy/top1").current()
    elif phase == "test":
        cfg.load_from = argv[3]
        runner = Runner.from_cfg(cfg)
        report["test_metrics"] = runner.test()
    report["runner_class"] = f"{type(runner).__module__}.{type(runner).__qualname__}"
    report["visualizer_class"] = f"{type(runner.visualizer).__module__}.{type(runner.visualizer).__qualname__}"
    # mmpretrain's VisualizationHook took the runner's visualizer from Visualizer.get_current_instance()
    hook = next(h for h in runner.hooks if type(h).__name__ == "VisualizationHook")
    report["hook_has_runner_visualizer"] = hook._visualizer is runner.visualizer
    report["model_class"] = f"{type(runner.model).__module__}.{type(runner.model).__qualname__}"
    report["real_mmengine_dir"], report["real_mmengine_modules"] = real_mmengine_modules()
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), default=str))
