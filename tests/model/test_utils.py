from __future__ import annotations

import pytest
import torch
from mme.model import (
    MMDistributedDataParallel,
    ModelTypeError,
    ModelValueError,
    convert_sync_batchnorm,
    is_model_wrapper,
    revert_sync_batchnorm,
    stack_batch,
)
from mme.registry import MODEL_WRAPPERS, Registry
from torch import nn


def test_stack_batch_pads_to_divisor():
    out = stack_batch([torch.ones(2, 3, 5), torch.ones(2, 4, 2)], pad_size_divisor=4, pad_value=7)
    assert out.shape == (2, 2, 4, 8)
    assert out[1, 0, 0, 2].item() == 7 and out[0, 0, 2, 4].item() == 1
    assert stack_batch([torch.zeros(1, 3)]).shape == (1, 1, 3)


@pytest.mark.parametrize(
    "tensors, exc, message",
    [
        ([], ModelTypeError, "non-empty"),
        ([torch.ones(1, 2), "x"], ModelTypeError, "tensors"),
        ([torch.ones(1, 2), torch.ones(1, 2, 2)], ModelValueError, "one rank"),
        ([torch.ones(1, 2), torch.ones(2, 2)], ModelValueError, "channel count"),
    ],
)
def test_stack_batch_bad_input(tensors, exc, message):
    with pytest.raises(exc, match=message):
        stack_batch(tensors)


def test_stack_batch_bad_divisor():
    with pytest.raises(ModelValueError, match="pad_size_divisor"):
        stack_batch([torch.ones(1, 2)], pad_size_divisor=0)


def test_sync_batchnorm_round_trip():
    model = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2), nn.Sequential(nn.BatchNorm2d(2)))
    model[1].running_mean.fill_(0.5)
    synced = convert_sync_batchnorm(model)
    assert isinstance(synced[1], nn.SyncBatchNorm) and isinstance(synced[2][0], nn.SyncBatchNorm)
    assert torch.all(synced[1].running_mean == 0.5)
    reverted = revert_sync_batchnorm(synced)
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in reverted.modules())
    reverted.eval()
    assert reverted(torch.ones(1, 1, 2, 2)).shape == (1, 2, 2, 2)
    assert torch.all(reverted[1].running_mean == 0.5)
    with pytest.raises(ModelValueError, match="implementation"):
        convert_sync_batchnorm(model, implementation="mmcv")


def test_is_model_wrapper():
    assert "MMDistributedDataParallel" in MODEL_WRAPPERS.module_dict
    assert "DistributedDataParallel" in MODEL_WRAPPERS.module_dict
    assert not is_model_wrapper(nn.Linear(1, 1))
    assert is_model_wrapper(nn.DataParallel(nn.Linear(1, 1)))
    child = Registry("model_wrapper", parent=MODEL_WRAPPERS, scope="toywrappers")

    @child.register_module()
    class MyWrapper(nn.Module):
        pass

    assert is_model_wrapper(MyWrapper())
    assert issubclass(MMDistributedDataParallel, nn.parallel.DistributedDataParallel)
