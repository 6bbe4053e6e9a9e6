"""Evaluator, BaseMetric, DumpResults and get_metric_value in one process."""

from __future__ import annotations

import logging
import pickle

import pytest
import torch
from mme.evaluator import (
    BaseMetric,
    DumpResults,
    Evaluator,
    EvaluatorConfigError,
    MetricNotFoundError,
    get_metric_value,
)
from mme.registry import EVALUATOR
from mme.structures import BaseDataElement


class Accuracy(BaseMetric):
    default_prefix = "acc"

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            self.results.append(int(sample["pred"] == sample["gt"]))

    def compute_metrics(self, results):
        return {"top1": sum(results) / len(results), "n": len(results)}


class Seen(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results.append({"batch": data_batch, "samples": data_samples})

    def compute_metrics(self, results):
        return {"chunks": len(results)}


def test_evaluate_with_default_prefix_and_custom_prefix():
    evaluator = Evaluator([Accuracy(), Accuracy(prefix="val")])
    evaluator.process([{"pred": 1, "gt": 1}, {"pred": 0, "gt": 1}])
    evaluator.process([{"pred": 2, "gt": 2}], data_batch={"inputs": [0]})
    assert evaluator.evaluate(3) == {"acc/top1": pytest.approx(2 / 3), "acc/n": 3, "val/top1": pytest.approx(2 / 3), "val/n": 3}
    # results are cleared after evaluation
    evaluator.process([{"pred": 1, "gt": 1}])
    assert evaluator.evaluate(1)["acc/n"] == 1


def test_data_elements_are_passed_as_dicts():
    seen = Seen()
    sample = BaseDataElement(metainfo=dict(img_id=3), pred=torch.tensor([1.0]))
    Evaluator(seen).process([sample], data_batch="batch")
    got = seen.results[0]
    assert got["batch"] == "batch"
    assert isinstance(got["samples"][0], dict) and got["samples"][0]["img_id"] == 3


def test_duplicate_metric_names_are_rejected():
    evaluator = Evaluator([Accuracy(), Accuracy()])
    evaluator.process([{"pred": 1, "gt": 1}])
    with pytest.raises(EvaluatorConfigError, match="acc/n"):
        evaluator.evaluate(1)


def test_empty_results_warn(caplog):
    with caplog.at_level(logging.WARNING, logger="mme.evaluator"):
        with pytest.raises(ZeroDivisionError):
            Evaluator(Accuracy()).evaluate(0)
    assert "Accuracy got empty self.results" in caplog.text


def test_offline_evaluate_chunks_and_collates():
    seen = Seen()
    evaluator = Evaluator([seen, Accuracy()])
    samples = [{"pred": i % 2, "gt": 1} for i in range(5)]
    data = [{"inputs": torch.tensor([i])} for i in range(5)]
    before = []
    original = seen.process
    seen.process = lambda batch, samples_: (before.append(batch), original(batch, samples_))
    metrics = evaluator.offline_evaluate(samples, data, chunk_size=2)
    assert metrics == {"chunks": 3, "acc/top1": pytest.approx(2 / 5), "acc/n": 5}
    assert [len(b["inputs"]) for b in before] == [2, 2, 1]  # pseudo_collate: dict of lists
    with pytest.raises(EvaluatorConfigError, match="5 data_samples but 4 data items"):
        evaluator.offline_evaluate(samples, data[:4])


def test_metric_and_evaluator_from_config():
    # a class as ``type`` avoids registering a test metric in the global METRICS registry
    evaluator = EVALUATOR.build(dict(type="Evaluator", metrics=[dict(type=Accuracy, prefix="x")]))
    assert isinstance(evaluator.metrics[0], Accuracy) and evaluator.metrics[0].prefix == "x"
    evaluator.dataset_meta = {"classes": ["a"]}
    assert evaluator.metrics[0].dataset_meta == {"classes": ["a"]}
    with pytest.raises(EvaluatorConfigError, match="metric 0 must be a BaseMetric"):
        Evaluator([object()])


def test_collect_dir_needs_cpu():
    with pytest.raises(EvaluatorConfigError, match="collect_dir"):
        Accuracy(collect_device="gpu", collect_dir="x")


def test_dump_results(tmp_path):
    out = tmp_path / "preds.pkl"
    evaluator = Evaluator(dict(type="DumpResults", out_file_path=str(out)))
    assert isinstance(evaluator.metrics[0], DumpResults)
    evaluator.process([BaseDataElement(pred=torch.tensor([1, 2]))])
    evaluator.process([{"pred": torch.tensor([3])}])
    assert evaluator.evaluate(2) == {}
    with open(out, "rb") as f:
        dumped = pickle.load(f)
    assert len(dumped) == 2 and torch.equal(dumped[0]["pred"], torch.tensor([1, 2]))
    with pytest.raises(EvaluatorConfigError, match=r"\.pkl or \.pickle"):
        DumpResults(str(tmp_path / "preds.json"))


def test_get_metric_value():
    metrics = {"acc/top1": 0.9, "acc/top5": 0.99, "coco/top1": 0.5, "loss": 0.1}
    assert get_metric_value("acc/top1", metrics) == 0.9
    assert get_metric_value("top5", metrics) == 0.99
    assert get_metric_value("loss", metrics) == 0.1
    with pytest.raises(MetricNotFoundError, match="ambiguous"):
        get_metric_value("top1", metrics)
    with pytest.raises(MetricNotFoundError, match="matches none"):
        get_metric_value("mAP", metrics)
