"""The ``compile`` config key: the model's forward really runs compiled, with eager's results."""

from __future__ import annotations

import pytest
import torch
import torch._dynamo
from torch._dynamo.utils import counters

from mme.runner import FlexibleRunner, Runner, RunnerConfigError
from mme.testing import ToyModel, get_toy_cfg


class TensorToyModel(ToyModel):
    """ToyModel for batches collated into tensors: the labels arrive as one tensor."""

    def forward(self, inputs, data_samples=None, mode="tensor"):
        if mode == "loss":
            return {"loss": torch.nn.functional.cross_entropy(self.net(inputs.float()), data_samples)}
        return super().forward(inputs, data_samples.tolist() if data_samples is not None else None, mode)


def _cfg(work_dir, **overrides) -> dict:
    """The toy config with batches collated into tensors (labels as a tensor, not Python ints that
    dynamo would guard on) and no dropout (compiled code draws random numbers differently)."""
    torch.manual_seed(0)  # the same initial weights in every run
    cfg = get_toy_cfg(str(work_dir), max_epochs=1, model=TensorToyModel(dropout=0.0), **overrides)
    for key in ("train_dataloader", "val_dataloader"):
        cfg[key]["collate_fn"] = dict(type="default_collate")
    return cfg


def _final(runner) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in runner.model.state_dict().items()}


@pytest.mark.slow
@pytest.mark.parametrize("runner_cls", [Runner, FlexibleRunner])
def test_compile_key_compiles_the_forward_and_matches_eager(tmp_path, runner_cls):
    eager = runner_cls.from_cfg(_cfg(tmp_path / "eager"))
    eager.train()

    torch._dynamo.reset()
    counters.clear()
    compiled = runner_cls.from_cfg(_cfg(tmp_path / "compiled", compile=True))
    compiled.train()
    assert counters["stats"]["unique_graphs"] >= 1  # dynamo captured the forward
    assert counters["stats"]["calls_captured"] > 0
    assert not counters["recompile_limit"] and not counters["frames"].get("recompile_limit")
    a, b = _final(eager), _final(compiled)
    assert a.keys() == b.keys()  # compiled in place: no '_orig_mod.' prefix in checkpoints
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=1e-4, atol=1e-5)
    saved = torch.load(tmp_path / "compiled" / "epoch_1.pth", weights_only=True)["state_dict"]
    assert saved.keys() == a.keys()


def test_compile_kwargs_reach_torch_compile(tmp_path):
    torch._dynamo.reset()
    counters.clear()
    runner = Runner.from_cfg(_cfg(tmp_path, compile=dict(backend="eager")))
    runner.train()
    assert counters["stats"]["unique_graphs"] >= 1


@pytest.mark.parametrize("value", ["yes", 1, ["inductor"]])
def test_a_bad_compile_value_is_an_error_before_building(tmp_path, value):
    with pytest.raises(RunnerConfigError, match="compile must be True, False or a dict"):
        Runner.from_cfg(get_toy_cfg(str(tmp_path / "wd"), compile=value))
    assert not (tmp_path / "wd").exists()


def test_an_unknown_torch_compile_argument_is_an_error(tmp_path):
    with pytest.raises(RunnerConfigError, match="'bakend' not arguments of torch.compile.*did you mean 'backend'"):
        Runner.from_cfg(get_toy_cfg(str(tmp_path / "wd"), compile=dict(bakend="eager")))
    assert not (tmp_path / "wd").exists()
