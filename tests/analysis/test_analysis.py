"""mme.analysis: hand-computed FLOP/activation counts and the analyzers' behaviour."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from analysis_models import Products, TinyResNet
from torch import nn

from mme.analysis import (
    ActivationAnalyzer,
    FlopAnalyzer,
    JitModelAnalysis,
    Statistics,
    activation_count,
    complexity_stats_str,
    complexity_stats_table,
    conv_flop_count,
    flop_count,
    get_model_complexity_info,
    linear_flop_jit,
    parameter_count,
)


@pytest.fixture
def logs(monkeypatch):
    messages: list[str] = []
    monkeypatch.setattr("mme.analysis._jit_analysis.print_log", lambda msg, *a, **k: messages.append(msg))
    return messages


def test_linear_counts_one_flop_per_multiply_add(logs):
    flops = FlopAnalyzer(nn.Linear(10, 5), (torch.randn(2, 3, 10),))
    assert flops.total() == 2 * 3 * 10 * 5  # the bias is not counted
    assert flops.by_operator() == Counter({"linear": 300})
    assert ActivationAnalyzer(nn.Linear(10, 5), (torch.randn(2, 3, 10),)).total() == 2 * 3 * 5
    assert logs == []


@pytest.mark.parametrize(("groups", "bias"), [(1, False), (2, True), (4, True)])
def test_conv_counts_weight_elements_times_output_positions(groups, bias, logs):
    conv = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=groups, bias=bias)
    flops = FlopAnalyzer(conv, (torch.randn(2, 4, 9, 9),))
    out_positions = 5 * 5
    assert flops.total() == 2 * (8 * (4 // groups) * 3 * 3) * out_positions
    assert flops.by_operator() == Counter({"conv": flops.total()})
    assert ActivationAnalyzer(conv, (torch.randn(2, 4, 9, 9),)).by_operator() == Counter({"conv": 2 * 8 * 25})


def test_transposed_conv_counts_input_positions():
    deconv = nn.ConvTranspose2d(3, 2, 3, stride=2)
    assert FlopAnalyzer(deconv, (torch.randn(1, 3, 4, 4),)).total() == 1 * (3 * 2 * 3 * 3) * (4 * 4)
    assert conv_flop_count([1, 3, 4, 4], [3, 2, 3, 3], [1, 2, 9, 9], transposed=True) == 864
    assert conv_flop_count([1, 3, 4, 4], [3, 2, 3, 3], [1, 2, 9, 9]) == 54 * 81


def test_batchnorm_counts_depend_on_mode_and_affine(logs):
    x = (torch.randn(2, 3, 4, 4),)
    assert FlopAnalyzer(nn.BatchNorm2d(3), x).by_operator()["batch_norm"] == 96 * 5
    assert FlopAnalyzer(nn.BatchNorm2d(3, affine=False), x).by_operator()["batch_norm"] == 96 * 4
    assert FlopAnalyzer(nn.BatchNorm2d(3).eval(), x).total() == 96 * 2
    assert FlopAnalyzer(nn.BatchNorm2d(3, affine=False).eval(), x).total() == 96


def test_products_matmul_bmm_einsum(logs):
    model = Products()
    flops = FlopAnalyzer(model, (torch.randn(2, 5, 6), torch.randn(2, 6, 4)))
    ops = flops.by_operator()
    assert ops["matmul"] == 2 * 5 * 6 * 4
    assert ops["bmm"] == 2 * 5 * 6 * 4
    assert ops["mm"] == 5 * 6 * 4
    assert ops["einsum"] == 2 * 5 * 6 * 4 + 5 * 6 * 5
    assert ops["linear"] == 2 * (2 * 5 * 6 * 6)  # the shared layer ran twice
    # the shared layer is listed once, under its first name; the unused one has nothing
    assert flops.by_module()["proj"] == 720 and "again" not in flops.by_module()
    assert flops.canonical_module_name("again") == "proj"
    assert flops.uncalled_modules() == {"unused"}
    assert flops.unsupported_ops() == Counter({"aten::sum": 5, "aten::add": 4})
    assert any("aten::sum encountered 5 time(s)" in m for m in logs)
    assert any("never called" in m and m.endswith("\nunused") for m in logs)


def test_tiny_resnet_by_hand(logs):
    flops = FlopAnalyzer(TinyResNet(), (torch.randn(2, 3, 16, 16),))
    stem = 2 * (8 * 3 * 9) * 64
    conv1, conv2, down = 2 * (16 * 8 * 9) * 16, 2 * (16 * 16 * 9) * 16, 2 * (16 * 8) * 16
    assert flops.by_module()["stem"] == stem + 2 * 8 * 64 * 5
    assert flops.by_module_and_operator()["layer1"] == Counter({"conv": conv1 + conv2 + down,
                                                                "batch_norm": 3 * 2 * 16 * 16 * 5})
    assert flops.total("layer1.downsample.0") == down
    assert flops.by_operator()["adaptive_avg_pool2d"] == 2 * 16 * 16
    assert flops.total() == stem + conv1 + conv2 + down + 5120 + 3 * 2560 + 512 + 2 * 16 * 10


def test_ignored_handle_and_custom_handle(logs):
    model = Products()
    inputs = (torch.randn(2, 5, 6), torch.randn(2, 6, 4))
    flops = FlopAnalyzer(model, inputs).set_op_handle("aten::sum", None, "aten::add", lambda i, o: 1)
    assert flops.unsupported_ops() == Counter()
    assert flops.by_operator()["add"] == 4
    assert not any("Unsupported" in m for m in logs)
    logs.clear()
    quiet = JitModelAnalysis(model, inputs).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    assert quiet.total() == 0 and "aten::linear" in quiet.unsupported_ops()
    assert len(logs) == 0
    custom = JitModelAnalysis(nn.Linear(4, 2), torch.ones(3, 4)).set_op_handle(**{"aten::linear": linear_flop_jit})
    assert custom.total() == 24
    assert custom.clear_op_handles().total() == 0


def test_ancestor_modes_differ_only_for_calls_into_foreign_modules():
    class Inner(nn.Module):
        def __init__(self, other):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.other = [other]  # not a submodule

        def forward(self, x):
            return self.other[0](self.lin(x))

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Linear(2, 2)
            self.a = Inner(self.b)

        def forward(self, x):
            return self.a(x)

    model = Outer()
    owner = FlopAnalyzer(model, (torch.randn(1, 2),))
    assert owner.by_module() == Counter({"": 8, "a": 4, "a.lin": 4, "b": 4})
    caller = owner.copy().ancestor_mode("caller")
    assert isinstance(caller, FlopAnalyzer)
    assert caller.by_module() == Counter({"": 8, "a": 8, "a.lin": 4, "b": 4})


def test_errors_name_what_was_wrong():
    flops = FlopAnalyzer(nn.Linear(2, 2), (torch.randn(1, 2),))
    with pytest.raises(KeyError, match="'nope' is not the name of a module"):
        flops.total("nope")
    with pytest.raises(ValueError, match="ancestor mode"):
        flops.ancestor_mode("parent")
    with pytest.raises(ValueError, match="tracer warning mode"):
        flops.tracer_warnings("some")
    with pytest.raises(TypeError, match="must be callable or None"):
        flops.set_op_handle("aten::add", 3)
    with pytest.raises(TypeError, match="must be an nn.Module"):
        FlopAnalyzer(lambda x: x, (torch.randn(1),))
    with pytest.raises(ValueError, match='One of "input_shape" and "inputs"'):
        get_model_complexity_info(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="cannot be both set"):
        get_model_complexity_info(nn.Linear(2, 2), input_shape=(2,), inputs=(torch.randn(1, 2),))


def test_statistics_and_module_functions(logs):
    stats = Statistics(counts={"": Counter()}, unsupported_ops={"": Counter()}, uncalled_mods=set())
    assert stats.uncalled_mods == set()
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    gflops, unsupported = flop_count(model, (torch.randn(5, 3),))
    assert gflops == {"linear": (5 * 3 * 4 + 5 * 4 * 2) / 1e9} and unsupported == Counter()
    macts, _ = activation_count(model, (torch.randn(5, 3),))
    assert macts == {"linear": (5 * 4 + 5 * 2) / 1e6}
    counts = parameter_count(model)
    assert counts[""] == 16 + 10 and counts["0"] == 16 and counts["2.bias"] == 2


def test_get_model_complexity_info_from_an_input_shape():
    info = get_model_complexity_info(nn.Conv2d(3, 4, 3), input_shape=(3, 5, 5), show_table=False, show_arch=False)
    assert info == {"flops": 4 * 27 * 9, "flops_str": "0.972K", "activations": 36, "activations_str": "36",
                    "params": 112, "params_str": "0.112K", "out_table": "", "out_arch": ""}


def test_reports_list_modules_and_mark_uncalled_ones(logs):
    model = Products()
    inputs = (torch.randn(2, 5, 6), torch.randn(2, 6, 4))
    text = complexity_stats_str(FlopAnalyzer(model, inputs))
    assert text.startswith("N/A indicates")
    assert "(unused): Linear(\n    in_features=2, out_features=2, bias=True\n    #params: 6, #flops: N/A\n  )" in text
    table = complexity_stats_table(FlopAnalyzer(model, inputs), show_param_shapes=False)
    assert "|  proj   |  42         |  0.72K |" in table
    assert "weight" not in table
    assert logs == []  # the reports silence the analyzers


def test_addmm_counts_the_product_not_the_bias(logs):
    class AddMM(nn.Module):
        def forward(self, bias, a, b):
            return torch.addmm(bias, a, b)

    flops = FlopAnalyzer(AddMM(), (torch.randn(3, 5), torch.randn(3, 4), torch.randn(4, 5)))
    assert flops.by_operator() == Counter({"addmm": 3 * 4 * 5})
    assert ActivationAnalyzer(AddMM(), (torch.randn(3, 5), torch.randn(3, 4), torch.randn(4, 5))).total() == 15


def test_an_identity_in_no_trace_is_uncalled_but_not_warned_of(logs):
    class WithIdentity(nn.Module):
        def __init__(self):
            super().__init__()
            self.idt, self.lin, self.spare = nn.Identity(), nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(self.idt(x))

    flops = FlopAnalyzer(WithIdentity(), (torch.randn(1, 2),))
    assert flops.uncalled_modules() == {"idt", "spare"}  # the identity ran no operator
    assert logs == ["The following submodules of the model were never called during the trace of the graph. "
                    "They may be unused, or they were accessed by direct calls to .forward() or via other python "
                    "methods. In the latter case they will have zeros for statistics, though their statistics "
                    "will still contribute to their parent calling module.\nspare"]
