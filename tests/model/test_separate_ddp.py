"""MMSeparateDistributedDataParallel across 2 real gloo processes: a toy GAN with two optimizers."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
from mme.dist.testing import run_distributed
from mme.model import BaseModel, MMDistributedDataParallel, MMSeparateDistributedDataParallel, is_model_wrapper
from mme.optim import OptimWrapper, OptimWrapperDict
from mme.registry import MODEL_WRAPPERS
from torch import nn


class ToyGAN(BaseModel):
    """A generator and a discriminator trained by their own optimizers, plus a frozen child."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.gen = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
        self.disc = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        self.frozen = nn.Linear(3, 3).requires_grad_(False)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        return self.gen(self.frozen(inputs))

    def train_step(self, data, optim_wrapper):
        data = self.data_preprocessor(data, True)
        noise, real = data["inputs"], data["data_samples"]
        gen_wrapper, disc_wrapper = optim_wrapper["gen"], optim_wrapper["disc"]
        with gen_wrapper.optim_context(self.gen):
            loss_g = (self.disc(self.gen(self.frozen(noise))) - 1).pow(2).mean()
        gen_wrapper.update_params(loss_g)
        disc_wrapper.zero_grad()  # drop what the generator's backward left on the discriminator
        with disc_wrapper.optim_context(self.disc):
            with torch.no_grad():  # a DDP forward with grad on expects its backward; this has none
                fake = self.gen(self.frozen(noise))
            loss_d = self.disc(fake).pow(2).mean() + (self.disc(real) - 1).pow(2).mean()
        disc_wrapper.update_params(loss_d)
        return {"loss_g": loss_g.detach(), "loss_d": loss_d.detach()}

    def val_step(self, data):
        data = self.data_preprocessor(data, False)
        return self(data["inputs"]).tolist()


def _batch(lo: int, hi: int) -> dict:
    g = torch.Generator().manual_seed(0)
    full = {"inputs": torch.randn(8, 3, generator=g), "data_samples": torch.randn(8, 3, generator=g)}
    return {k: v[lo:hi] for k, v in full.items()}


def _wrappers(model: nn.Module) -> OptimWrapperDict:
    return OptimWrapperDict(
        gen=OptimWrapper(torch.optim.SGD(model.gen.parameters(), lr=0.1, momentum=0.9)),
        disc=OptimWrapper(torch.optim.Adam(model.disc.parameters(), lr=0.01)),
    )


def _params(model: nn.Module) -> dict:
    return {k: v.detach().flatten().tolist() for k, v in model.state_dict().items()}


def _worker(steps: int):
    rank = dist.get_rank()
    toy = ToyGAN()
    plain_keys = list(toy.state_dict())
    model = MODEL_WRAPPERS.build(dict(type="MMSeparateDistributedDataParallel", module=toy))
    inner = model.module
    optim_wrapper = _wrappers(inner)  # built on the wrapped children: same parameters
    half = _batch(4 * rank, 4 * rank + 4)
    logs = [{k: v.item() for k, v in model.train_step(half, optim_wrapper).items()} for _ in range(steps)]

    # no_sync: gradients stay local (they differ across ranks, as the batches do)
    with model.no_sync():
        inner.gen(half["inputs"]).sum().backward()
    local_grad = inner.gen.module[0].weight.grad.flatten().tolist()
    inner.zero_grad()

    model.train(False)
    modes = [inner.training, inner.gen.training, inner.gen.module[0].training, inner.frozen.training]
    model.train()

    # the wrapped model's state dict keeps the unwrapped keys, and loads them back
    state = inner.state_dict()
    fresh = ToyGAN()
    fresh.load_state_dict(state)
    reloaded = MMSeparateDistributedDataParallel(ToyGAN())
    reloaded.module.load_state_dict(fresh.state_dict())
    return {
        "params": _params(inner),
        "logs": logs,
        "wrapped": {name: type(child).__name__ for name, child in inner.named_children()},
        "is_wrapper": is_model_wrapper(model) and isinstance(inner.gen, MMDistributedDataParallel),
        "wrapped_children": model.wrapped_children,
        "val": model.val_step(_batch(0, 8)),
        "local_grad": local_grad,
        "modes": modes,
        "keys_match": list(state) == plain_keys,
        "reloaded": _params(reloaded.module) == _params(inner),
    }


def test_two_processes_match_one_process_on_the_full_batch():
    steps = 3
    out = run_distributed(_worker, world_size=2, args=(steps,), timeout=240)
    r0, r1 = out
    assert r0["params"] == r1["params"]  # identical across ranks
    assert r0["wrapped"] == {"data_preprocessor": "BaseDataPreprocessor", "gen": "MMDistributedDataParallel",
                             "disc": "MMDistributedDataParallel", "frozen": "Linear"}
    assert r0["wrapped_children"] == ("gen", "disc")
    assert r0["is_wrapper"] and r0["keys_match"] and r0["reloaded"]
    assert r0["val"] == r1["val"]
    assert r0["local_grad"] != r1["local_grad"]
    assert r0["modes"] == [False, False, False, False]

    # DDP averages each child's gradients: the same as one process training on the full batch
    model = ToyGAN()
    optim_wrapper = _wrappers(model)
    full = _batch(0, 8)
    for _ in range(steps):
        model.train_step(full, optim_wrapper)
    expected = _params(model)
    assert set(expected) == set(r0["params"])
    for key, value in expected.items():
        assert torch.allclose(torch.tensor(r0["params"][key]), torch.tensor(value), atol=1e-6), key
    assert torch.allclose(torch.tensor(r0["val"]), torch.tensor(model.val_step(full)), atol=1e-6)


def test_rejects_a_wrapped_model():
    with pytest.raises(TypeError, match="already wrapped"):
        MMSeparateDistributedDataParallel(MMSeparateDistributedDataParallel.__new__(MMSeparateDistributedDataParallel))
