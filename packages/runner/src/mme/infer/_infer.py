"""BaseInferencer: a model built from its config and weights, run on raw inputs end to end."""

from __future__ import annotations

import copy
import os.path as osp
import warnings
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import torch
from torch import nn

from mme import fileio
from mme.config import Config, ConfigDict
from mme.dataset import Compose, pseudo_collate
from mme.device import get_device
from mme.registry import FUNCTIONS, MODELS, VISUALIZERS, DefaultScope

__all__ = ["BaseInferencer", "InferencerMeta"]

_KWARG_SETS = ("preprocess_kwargs", "forward_kwargs", "visualize_kwargs", "postprocess_kwargs")


class InferencerMeta(ABCMeta):
    """The metaclass of inferencers: checks that no call argument is claimed by two steps.

    A class lists the keyword arguments of ``__call__`` that each step takes in
    ``preprocess_kwargs``, ``forward_kwargs``, ``visualize_kwargs`` and ``postprocess_kwargs``;
    ``__call__`` hands each argument to the one step that lists it.

    Raises:
        TypeError: A class lists an argument under two steps (the error names it and them).
    """

    def __init__(cls, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners: dict[str, list[str]] = {}
        for attr in _KWARG_SETS:
            for key in getattr(cls, attr, set()):
                owners.setdefault(key, []).append(attr)
        clashes = {key: attrs for key, attrs in owners.items() if len(attrs) > 1}
        if clashes:
            detail = "; ".join(f"{key!r} is in {' and '.join(attrs)}" for key, attrs in sorted(clashes.items()))
            raise TypeError(f"{cls.__name__}: each call argument must belong to one step only: {detail}")


class BaseInferencer(metaclass=InferencerMeta):
    """Run a model on raw inputs: ``preprocess`` -> ``forward`` -> ``visualize`` -> ``postprocess``.

    The model is built from the ``model`` key of its config (a file path, a :class:`Config` or a
    dict; or ``None`` to take the config saved in the checkpoint) and the checkpoint's weights are
    loaded into it (with ``torch.load(weights_only=True)``). The test pipeline
    (``test_dataloader.dataset.pipeline``) turns each input into a sample; samples are batched
    with the test dataloader's ``collate_fn`` (``pseudo_collate`` by default) and run through
    ``model.test_step`` under ``torch.no_grad()``.

    Subclasses implement :meth:`visualize` and :meth:`postprocess`, and may override
    :meth:`_init_pipeline`. They list the keyword arguments of ``__call__`` that go to each step
    in the class attributes ``preprocess_kwargs``, ``forward_kwargs``, ``visualize_kwargs`` and
    ``postprocess_kwargs``.

    Args:
        model: Path of a config file, a config (:class:`Config`, :class:`ConfigDict` or dict),
            or ``None`` to use the config saved in ``weights``. A name from a package's
            metafile is resolved by :meth:`_load_model_from_metafile` (unsupported here).
        weights: Path or URL of the checkpoint; ``None`` leaves the model as initialized (with a
            warning).
        device: Where to run the model; the best available device by default.
        scope: The registry scope to build in; the current default scope by default.
        show_progress: Show a progress bar over the batches.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = set()
    postprocess_kwargs: set = set()

    def __init__(self, model: str | dict | Config | ConfigDict | None = None, weights: str | None = None,
                 device: str | None = None, scope: str | None = None, show_progress: bool = True) -> None:
        if scope is None:
            current = DefaultScope.get_current_instance()
            scope = current.scope_name if current is not None else None
        self.scope = scope
        if isinstance(model, str):
            if osp.isfile(model):
                cfg = Config.fromfile(model)
            else:
                cfg, metafile_weights = self._load_model_from_metafile(model)
                weights = metafile_weights if weights is None else weights
        elif isinstance(model, (Config, ConfigDict)):
            cfg = copy.deepcopy(model)
        elif isinstance(model, dict):
            cfg = ConfigDict(copy.deepcopy(model))
        elif model is None:
            if weights is None:
                raise ValueError("BaseInferencer: give a model config, or weights whose checkpoint holds one "
                                 "(model and weights are both None)")
            cfg = ConfigDict()
        else:
            raise TypeError(f"BaseInferencer: model must be a config file path, a Config or a dict, "
                            f"got {type(model).__name__}")
        if device is None:
            device = get_device()
        self.model = self._init_model(cfg, weights, device)
        cfg = self.model.cfg
        self.pipeline = self._init_pipeline(cfg)
        self.collate_fn = self._init_collate(cfg)
        self.visualizer = self._init_visualizer(cfg)
        self.cfg = cfg
        self.show_progress = show_progress

    def __call__(self, inputs: Any, return_datasamples: bool = False, batch_size: int = 1,
                 **kwargs: Any) -> dict:
        """Run the inferencer on one input or a list of them (a directory path stands for its files).

        Args:
            inputs: The input(s).
            return_datasamples: Passed to :meth:`postprocess`: return the model's data samples
                rather than plain values.
            batch_size: Inputs per forward pass.
            **kwargs: Arguments of the steps, each listed in one of the class's ``*_kwargs`` sets.

        Returns:
            What :meth:`postprocess` returns: by convention a dict with ``predictions`` and
            ``visualization``.
        """
        preprocess_kwargs, forward_kwargs, visualize_kwargs, postprocess_kwargs = self._dispatch_kwargs(**kwargs)
        ori_inputs = self._inputs_to_list(inputs)
        batches = self.preprocess(ori_inputs, batch_size=batch_size, **preprocess_kwargs)
        if self.show_progress:
            from rich.progress import track

            batches = track(batches, description="Inference", total=-(-len(ori_inputs) // batch_size))
        preds: list = []
        for data in batches:
            preds.extend(self.forward(data, **forward_kwargs))
        visualization = self.visualize(ori_inputs, preds, **visualize_kwargs)
        return self.postprocess(preds, visualization, return_datasamples, **postprocess_kwargs)

    # -- steps -----------------------------------------------------------------------------------

    def preprocess(self, inputs: list, batch_size: int = 1, **kwargs: Any) -> Iterator[Any]:
        """Yield the batches: each input through the pipeline, ``batch_size`` at a time, collated."""
        chunks = self._get_chunk_data(map(self.pipeline, inputs), batch_size)
        yield from map(self.collate_fn, chunks)

    @torch.no_grad()
    def forward(self, inputs: dict | tuple, **kwargs: Any) -> Any:
        """The model's ``test_step`` on one batch, without gradients."""
        return self.model.test_step(inputs)

    @abstractmethod
    def visualize(self, inputs: list, preds: Any, show: bool = False, **kwargs: Any) -> Any:
        """Draw the predictions (a list of images, or None when there is nothing to draw)."""

    @abstractmethod
    def postprocess(self, preds: Any, visualization: Any, return_datasample: bool = False, **kwargs: Any) -> dict:
        """Turn the predictions into the result: ``dict(predictions=..., visualization=...)``."""

    # -- building --------------------------------------------------------------------------------

    def _load_model_from_metafile(self, model: str) -> tuple[Config, str | None]:
        """Resolve a model name to its config and weights (packages' metafiles are not searched here)."""
        raise ValueError(f"BaseInferencer: {model!r} is not a config file; model names from metafiles are not "
                         f"supported, give the path of the config instead")

    def _init_model(self, cfg: Config | ConfigDict, weights: str | None, device: str = "cpu") -> nn.Module:
        """Build the model from ``cfg.model`` (or from the config saved in the checkpoint) and load the weights."""
        from mme.runner import CheckpointError, CheckpointLoader

        checkpoint = CheckpointLoader.load_checkpoint(weights, map_location="cpu") if weights is not None else None
        if checkpoint is not None and not isinstance(checkpoint, dict):
            raise CheckpointError(f"checkpoint {weights} holds a {type(checkpoint).__name__}, expected a dict")
        if not cfg:
            cfg = self._cfg_from_checkpoint(checkpoint, weights)
        if "model" not in cfg:
            raise KeyError("BaseInferencer: the config has no 'model' key to build the model from")
        if cfg.model.get("pretrained") is not None:  # the checkpoint has the weights
            del cfg.model["pretrained"]
        with MODELS.switch_scope_and_registry(self.scope) as registry:
            model = registry.build(cfg.model)
        model.cfg = cfg
        self._load_weights_to_model(model, checkpoint, cfg)
        model.to(device)
        model.eval()
        return model

    @staticmethod
    def _cfg_from_checkpoint(checkpoint: dict | None, weights: str | None) -> Config:
        assert checkpoint is not None
        text = None
        try:
            text = checkpoint["message_hub"]["runtime_info"]["cfg"]
        except (KeyError, TypeError):
            text = checkpoint.get("meta", {}).get("cfg")
        if not isinstance(text, str):
            raise ValueError(f"BaseInferencer: no model config was given and the checkpoint {weights} holds none "
                             f"(neither message_hub.runtime_info.cfg nor meta.cfg)")
        return Config.fromstring(text, file_format=".py")

    def _load_weights_to_model(self, model: nn.Module, checkpoint: dict | None, cfg: Config | ConfigDict) -> None:
        """Load the checkpoint's ``state_dict`` into the model and keep its ``dataset_meta``."""
        from mme.runner import load_state_dict

        if checkpoint is None:
            warnings.warn("BaseInferencer: no weights were given; the results come from a randomly initialized model",
                          UserWarning, stacklevel=3)
            return
        load_state_dict(model, checkpoint.get("state_dict", checkpoint), strict=False)
        meta = checkpoint.get("meta", {})
        if isinstance(meta, dict) and "dataset_meta" in meta:
            model.dataset_meta = meta["dataset_meta"]

    def _init_pipeline(self, cfg: Config | ConfigDict) -> Callable:
        """The test pipeline, ``cfg.test_dataloader.dataset.pipeline``; no pipeline passes inputs through."""
        try:
            pipeline_cfg = cfg.test_dataloader.dataset.pipeline
        except (AttributeError, KeyError):
            return lambda x: x
        from mme.registry import TRANSFORMS

        with TRANSFORMS.switch_scope_and_registry(self.scope):
            return Compose(pipeline_cfg)

    def _init_collate(self, cfg: Config | ConfigDict) -> Callable:
        """The test dataloader's ``collate_fn`` (a FUNCTIONS name or config), or ``pseudo_collate``."""
        try:
            collate = cfg.test_dataloader.collate_fn
        except (AttributeError, KeyError):
            return pseudo_collate
        if callable(collate):
            return collate
        name = collate.get("type") if isinstance(collate, dict) else collate
        with FUNCTIONS.switch_scope_and_registry(self.scope) as registry:
            fn = registry.get(name)
        if fn is None:
            raise KeyError(f"BaseInferencer: collate_fn {name!r} is not registered in FUNCTIONS")
        return fn

    def _init_visualizer(self, cfg: Config | ConfigDict) -> Any:
        """The visualizer of ``cfg.visualizer`` under a fresh instance name, or None without one."""
        if "visualizer" not in cfg:
            return None
        from mme.visualization import Visualizer

        timestamp = str(datetime.timestamp(datetime.now()))
        name = cfg.visualizer.get("name", timestamp)
        if Visualizer.check_instance_created(name):
            name = f"{name}-{timestamp}"
        cfg.visualizer.name = name
        with VISUALIZERS.switch_scope_and_registry(self.scope) as registry:
            return registry.build(cfg.visualizer)

    # -- helpers ---------------------------------------------------------------------------------

    def _inputs_to_list(self, inputs: Any) -> list:
        """One input or several as a list; a directory path stands for the files in it."""
        if isinstance(inputs, str):
            backend = fileio.get_file_backend(inputs)
            if hasattr(backend, "isdir") and fileio.isdir(inputs):
                names = sorted(fileio.list_dir_or_file(inputs, list_dir=False))
                inputs = [fileio.join_path(inputs, name) for name in names]
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        return list(inputs)

    @staticmethod
    def _get_chunk_data(inputs: Iterable, chunk_size: int) -> Iterator[list]:
        """Yield lists of ``chunk_size`` items (the last may be shorter)."""
        if chunk_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {chunk_size}")
        chunk: list = []
        for item in inputs:
            chunk.append(item)
            if len(chunk) == chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _dispatch_kwargs(self, **kwargs: Any) -> tuple[dict, dict, dict, dict]:
        """Split the call's keyword arguments among the four steps.

        Raises:
            ValueError: An argument no step lists (the error names it).
        """
        sets = [getattr(self, attr) for attr in _KWARG_SETS]
        known = set().union(*sets)
        unknown = set(kwargs) - known
        if unknown:
            raise ValueError(f"unknown argument {sorted(unknown)} for `preprocess`, `forward`, `visualize` and "
                             f"`postprocess` of {type(self).__name__} (it takes {sorted(known)})")
        return tuple({k: v for k, v in kwargs.items() if k in keys} for keys in sets)  # type: ignore[return-value]
