"""BaseTTAModel: run a model on every augmented view of a test batch and merge the predictions."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from mme.registry import MODELS
from torch import nn

from ._base_model import BaseModel
from ._errors import ModelTypeError, ModelValueError


def _split_views(data: dict | list | tuple) -> list[dict] | list[list]:
    """One batch per augmentation from a batch whose every entry is a list over augmentations."""
    if isinstance(data, dict):
        if not data:
            raise ModelValueError("a test-time augmentation batch is an empty dict")
        counts = {key: len(value) for key, value in data.items()}
        if len(set(counts.values())) != 1:
            raise ModelValueError(f"every entry of a TTA batch must list the same number of augmentations: {counts}")
        num_augs = next(iter(counts.values()))
        return [{key: value[idx] for key, value in data.items()} for idx in range(num_augs)]
    if isinstance(data, (list, tuple)):
        if not data:
            raise ModelValueError("a test-time augmentation batch is empty")
        counts_list = [len(item) for item in data]
        if len(set(counts_list)) != 1:
            raise ModelValueError(
                f"every entry of a TTA batch must list the same number of augmentations: {counts_list}"
            )
        return [[item[idx] for item in data] for idx in range(counts_list[0])]
    raise ModelTypeError(f"a TTA batch must be a dict, list or tuple, but got {type(data).__name__}")


@MODELS.register_module()
class BaseTTAModel(BaseModel, metaclass=ABCMeta):
    """Test-time augmentation: run ``module`` on every augmented view of a batch and merge the results.

    A TTA pipeline (such as ``TestTimeAug``) collated with ``pseudo_collate`` gives a batch whose
    every entry is a list over augmentations, each item a batch::

        dict(inputs=[[img1_aug1, img2_aug1], [img1_aug2, img2_aug2]],
             data_samples=[[ds1_aug1, ds2_aug1], [ds1_aug2, ds2_aug2]])

    :meth:`test_step` turns it into one batch per augmentation
    (``dict(inputs=[img1_aug1, img2_aug1], data_samples=[ds1_aug1, ds2_aug1])``, ...), calls
    ``module.test_step`` on each, regroups the predictions per sample (for each sample, the list
    of its predictions over the augmentations) and returns :meth:`merge_preds` of that.
    Subclasses implement ``merge_preds``. The model only tests: ``train_step``, ``val_step``
    and ``forward`` raise NotImplementedError.

    Args:
        module: The model to test (a module or its config, built from MODELS).
        data_preprocessor: If given, replaces the tested model's data preprocessor (a module or
            its config).
    """

    def __init__(self, module: dict | nn.Module, data_preprocessor: dict | nn.Module | None = None) -> None:
        super().__init__()
        built: nn.Module
        if isinstance(module, dict):
            cfg = dict(module)
            if data_preprocessor is not None:
                cfg["data_preprocessor"] = data_preprocessor
            built = MODELS.build(cfg)
        elif isinstance(module, nn.Module):
            if data_preprocessor is not None:
                if isinstance(data_preprocessor, dict):
                    data_preprocessor = MODELS.build(data_preprocessor)
                if not isinstance(data_preprocessor, nn.Module):
                    raise ModelTypeError(
                        f"data_preprocessor must be a dict or an nn.Module, but got {type(data_preprocessor).__name__}"
                    )
                module.data_preprocessor = data_preprocessor
            built = module
        else:
            raise ModelTypeError(f"module must be a dict or an nn.Module, but got {type(module).__name__}")
        if not callable(getattr(built, "test_step", None)):
            raise ModelTypeError(f"the tested model must have a test_step method; {type(built).__name__} has none")
        self.module = built

    @abstractmethod
    def merge_preds(self, data_samples_list: list[list[Any]]) -> list[Any]:
        """Merge each sample's predictions over the augmentations into one prediction per sample.

        Args:
            data_samples_list: For each sample of the batch, the list of its predictions, one
                per augmentation.

        Returns:
            One merged prediction per sample.
        """

    def test_step(self, data: dict | tuple | list) -> list:
        """Run the tested model on every augmentation of ``data`` and merge the predictions per sample."""
        module: Any = self.module
        predictions = [module.test_step(view) for view in _split_views(data)]
        sizes = [len(p) for p in predictions]
        if len(set(sizes)) != 1:
            raise ModelValueError(f"the augmentations of one batch gave different numbers of predictions: {sizes}")
        return self.merge_preds([list(per_sample) for per_sample in zip(*predictions)])

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict:
        """Not supported: a TTA model only tests."""
        raise NotImplementedError(f"{type(self).__name__} is a test-time augmentation model: it only has test_step")

    def val_step(self, data: dict | tuple | list) -> list:
        """Not supported: a TTA model only tests."""
        raise NotImplementedError(f"{type(self).__name__} is a test-time augmentation model: it only has test_step")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Not supported: call :meth:`test_step`."""
        raise NotImplementedError(f"{type(self).__name__} has no forward: call test_step")
