"""Restructuring must not change what the constructions build.

``tests/data/golden`` holds small networks built before the construction records
were introduced (``make_golden.py`` there): building the same construction with the
same data, seed and options must give an equal network (every layer, weight and
bias), with the same recorded choices.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import memorize
from memorize import formats

GOLDEN = Path(__file__).parent / "data" / "golden"
INDEX = json.loads((GOLDEN / "index.json").read_text())


@pytest.fixture(scope="module")
def golden_data():
    with np.load(GOLDEN / "data.npz") as f:
        return f["X"], f["y"]


@pytest.mark.parametrize("case", INDEX, ids=[c["file"] for c in INDEX])
def test_rebuilt_network_equals_the_saved_one(case, golden_data):
    X, y = golden_data
    saved = formats.load(GOLDEN / case["file"])
    net = memorize.build(case["construction"], X, y, seed=case["seed"], **case["options"])
    assert net == saved
    # Every choice recorded then is recorded now with the same value (new fields may be
    # added; the citation text may be reworded).
    mine = formats.jsonable(net.meta)
    saved_meta = {k: v for k, v in saved.meta.items() if k != "theorem"}
    assert _missing_or_changed(mine, saved_meta) == []


def _missing_or_changed(new: dict, old: dict, where: str = "meta") -> list:
    out = []
    for key, value in old.items():
        if key not in new:
            out.append(f"{where}.{key} missing")
        elif isinstance(value, dict) and isinstance(new[key], dict):
            out += _missing_or_changed(new[key], value, f"{where}.{key}")
        elif new[key] != value:
            out.append(f"{where}.{key}: {new[key]!r} != {value!r}")
    return out
