"""BaseMetric across 2 gloo processes: results gathered in dataset order, metrics on every rank."""

from __future__ import annotations

import pytest
from mme.dist.testing import run_distributed


def _evaluate_shard(size: int, collect_device: str, collect_dir: str | None):
    from mme.dist import get_rank, get_world_size
    from mme.evaluator import BaseMetric, Evaluator

    class Order(BaseMetric):
        default_prefix = "order"

        def process(self, data_batch, data_samples):
            self.results.extend(s["index"] for s in data_samples)

        def compute_metrics(self, results):
            return {"indices": list(results)}

    rank, world = get_rank(), get_world_size()
    # a DefaultSampler with round_up: rank r gets r, r + world, ...; padding repeats the start
    per_rank = -(-size // world)
    padded = list(range(size)) + list(range(size))[: per_rank * world - size]
    mine = padded[rank::world]
    evaluator = Evaluator(Order(collect_device=collect_device, collect_dir=collect_dir))
    for start in range(0, len(mine), 2):
        evaluator.process([{"index": i} for i in mine[start:start + 2]])
    return evaluator.evaluate(size)


@pytest.mark.parametrize("collect_device", ["cpu", "gpu"])
def test_results_gathered_in_dataset_order(collect_device, tmp_path):
    collect_dir = str(tmp_path / "collect") if collect_device == "cpu" else None
    results = run_distributed(_evaluate_shard, 2, args=(7, collect_device, collect_dir), timeout=120)
    assert results == [{"order/indices": list(range(7))}] * 2
