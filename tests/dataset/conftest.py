from __future__ import annotations

import json

import pytest


@pytest.fixture
def ann_file(tmp_path):
    """An annotation file with 10 samples under tmp_path/data/ann.json."""
    root = tmp_path / "data"
    root.mkdir()
    ann = {
        "metainfo": {"classes": ["cat", "dog"], "task": "cls"},
        "data_list": [{"img_path": f"{i}.jpg", "label": i % 2} for i in range(10)],
    }
    (root / "ann.json").write_text(json.dumps(ann))
    return root
