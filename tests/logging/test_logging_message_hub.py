"""HistoryBuffer statistics and MessageHub, including a weights_only checkpoint round trip."""

from __future__ import annotations

import logging
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mme.logging import HistoryBuffer, LoggingKeyError, LoggingTypeError, LoggingValueError, MessageHub


@pytest.fixture(autouse=True)
def _keep_statistics():
    saved = dict(HistoryBuffer._statistics_methods)
    yield
    HistoryBuffer._statistics_methods.clear()
    HistoryBuffer._statistics_methods.update(saved)


def test_history_buffer_statistics():
    buf = HistoryBuffer()
    for v in (4, 1, 3, 2):
        buf.update(v)
    assert len(buf) == 4
    assert buf.mean() == 2.5 and buf.mean(2) == 2.5 and buf.mean(1) == 2.0 and buf.mean(100) == 2.5
    assert buf.max() == 4.0 and buf.max(3) == 3.0
    assert buf.min() == 1.0 and buf.min(1) == 2.0
    assert buf.current() == 2.0
    assert buf.statistics("mean", 3) == 2.0 and buf.statistics("current") == 2.0
    logs, counts = buf.data
    assert isinstance(logs, np.ndarray) and logs.tolist() == [4, 1, 3, 2] and counts.tolist() == [1] * 4


def test_history_buffer_counts_and_max_length():
    buf = HistoryBuffer([10.0, 6.0], [5, 3], max_length=3)
    assert buf.mean() == 2.0  # values are sums over `count` samples
    buf.update(np.float32(8.0), count=torch.tensor(4))
    buf.update(torch.tensor([1.0]))
    assert len(buf) == 3 and buf.data[0].tolist() == [6.0, 8.0, 1.0]
    assert buf.state_dict() == {"log_history": [6.0, 8.0, 1.0], "count_history": [3, 4, 1], "max_length": 3}
    assert HistoryBuffer.from_state_dict(buf.state_dict()).data[1].tolist() == [3, 4, 1]


def test_register_statistics():
    @HistoryBuffer.register_statistics
    def weighted_last(self, n=2):
        logs, counts = self.data
        return float(logs[-n:].sum() / counts[-n:].sum())

    buf = HistoryBuffer([1, 2, 9], [1, 1, 2])
    assert buf.statistics("weighted_last") == pytest.approx(11 / 3)
    assert buf.statistics("weighted_last", n=1) == 4.5
    with pytest.raises(LoggingKeyError, match="unknown statistic 'median'.*weighted_last"):
        buf.statistics("median")


@pytest.mark.parametrize(("call", "exc", "words"), [
    (lambda: HistoryBuffer().mean(), LoggingValueError, "empty"),
    (lambda: HistoryBuffer([1], [1]).mean(0), LoggingValueError, "window_size"),
    (lambda: HistoryBuffer([1], []), LoggingValueError, "same length"),
    (lambda: HistoryBuffer(max_length=0), LoggingValueError, "max_length"),
    (lambda: HistoryBuffer().update("1.0"), LoggingTypeError, "str"),
    (lambda: HistoryBuffer().update(torch.ones(2)), LoggingTypeError, r"shape \(2,\)"),
    (lambda: HistoryBuffer().update(1.0, count=-1), LoggingValueError, "count"),
])
def test_history_buffer_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_message_hub_scalars_and_info():
    hub = MessageHub.get_instance("train")
    hub.update_scalar("train/loss", torch.tensor(0.5))
    hub.update_scalar("train/loss", np.float64(0.25), count=1)
    hub.update_scalars({"train/lr": 0.1, "train/acc": {"value": 3.0, "count": 4}})
    assert hub.get_scalar("train/loss").mean() == 0.375
    assert hub.get_scalar("train/acc").mean() == 0.75
    assert all(isinstance(v, float) for v in hub.get_scalar("train/loss").state_dict()["log_history"])
    assert list(hub.log_scalars) == ["train/loss", "train/lr", "train/acc"]
    hub.update_info("epoch", 2)
    hub.update_info_dict({"iter": 40, "max_iters": 100})
    assert hub.get_info("iter") == 40 and hub.get_info("missing") is None and hub.get_info("missing", 7) == 7
    assert hub.runtime_info == OrderedDict(epoch=2, iter=40, max_iters=100)
    assert hub.pop_info("max_iters") == 100 and "max_iters" not in hub.runtime_info
    with pytest.raises(LoggingKeyError, match=r"no scalar 'val/acc'; available: \['train/loss'"):
        hub.get_scalar("val/acc")
    with pytest.raises(LoggingTypeError, match="value of scalar 'x'"):
        hub.update_scalar("x", "high")
    with pytest.raises(LoggingKeyError, match="'value'"):
        hub.update_scalars({"x": {"count": 1}})


def test_current_instance_defaults_to_mme():
    hub = MessageHub.get_current_instance()
    assert hub.instance_name == "mme"
    other = MessageHub.get_instance("run2")
    assert MessageHub.get_current_instance() is other


class _Opaque:
    pass


def test_state_dict_round_trip_with_weights_only_load(tmp_path, caplog):
    hub = MessageHub.get_instance("ckpt")
    hub.update_scalar("train/loss", torch.tensor(1.5))
    hub.update_scalar("train/loss", np.float32(0.5))
    hub.update_scalar("train/time", 0.1, resumed=False)
    hub.update_info("iter", np.int64(12))
    hub.update_info("meta", {"classes": ("cat", "dog"), "palette": np.array([[1, 2, 3]]), "ids": {3, 4}})
    hub.update_info("weights", torch.ones(2, requires_grad=True))
    hub.update_info("scratch", [1, 2], resumed=False)
    hub.update_info("opaque", _Opaque())
    with caplog.at_level(logging.WARNING, logger="mme.logging"):
        state = hub.state_dict()
    assert "'opaque'" in caplog.text and "_Opaque" in caplog.text
    path = tmp_path / "ckpt.pth"
    torch.save({"message_hub": state, "meta": {"epoch": 1}}, path)
    loaded = torch.load(path, weights_only=True)["message_hub"]
    assert set(loaded["log_scalars"]) == {"train/loss"}
    assert set(loaded["runtime_info"]) == {"iter", "meta", "weights"}

    fresh = MessageHub.get_instance("resumed")
    fresh.load_state_dict(loaded)
    assert fresh.get_scalar("train/loss").mean() == 1.0
    assert fresh.get_scalar("train/loss").data[0].tolist() == [1.5, 0.5]
    assert fresh.get_info("iter") == 12 and type(fresh.get_info("iter")) is int
    assert fresh.get_info("meta") == {"classes": ("cat", "dog"), "palette": [[1, 2, 3]], "ids": {3, 4}}
    assert torch.equal(fresh.get_info("weights"), torch.ones(2))
    # the restored hub saves the same keys again
    assert fresh.state_dict()["resumed_keys"] == {"train/loss": True, "iter": True, "meta": True, "weights": True}


def test_load_state_dict_from_another_hub_and_bad_input():
    src = MessageHub("src", runtime_info={"epoch": 3})
    src.update_scalar("loss", 2.0)
    dst = MessageHub("dst")
    dst.load_state_dict(src)
    assert dst.get_info("epoch") == 3 and dst.get_scalar("loss").current() == 2.0
    with pytest.raises(LoggingTypeError, match="state_dict"):
        dst.load_state_dict({"nonsense": 1})
    with pytest.raises(LoggingTypeError, match="HistoryBuffer"):
        MessageHub("bad", log_scalars={"loss": [1.0]})
