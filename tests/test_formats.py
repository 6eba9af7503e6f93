import json
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from memorize import FormatError, Layer, Network, formats

nums = st.one_of(st.integers(-(2**300), 2**300), st.fractions(max_denominator=2**64))


@st.composite
def networks(draw):
    d = draw(st.integers(1, 4))
    layers, prev = [], d
    for m in draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)):
        entries = [(r, c, draw(nums)) for r in range(m) for c in range(prev) if draw(st.booleans())]
        layers.append(Layer.from_entries(prev, m, entries, [draw(nums) for _ in range(m)],
                                         draw(st.sampled_from(["relu", "step", "identity"]))))
        prev = m
    return Network(d, layers, {"construction": "test", "x": [1, 2]})


def test_number_encoding_by_hand():
    assert formats.encode_number(31) == "0x1f"
    assert formats.encode_number(0) == "0x0"
    assert formats.encode_number(Fraction(-3, 4)) == "-0x3/0x4"
    assert formats.decode_number("-0x3/0x4") == Fraction(-3, 4)
    assert formats.decode_number("0x1F") == 31
    assert formats.decode_number("0x" + "f" * 3000) == 16**3000 - 1


@pytest.mark.parametrize("text, match", [
    ("31", "not a number"), ("0x", "not a number"), ("0x1/0x0", "zero denominator"),
    ("0x2/0x4", "not reduced"), ("0x1/-0x2", "not a number"), ("1e5", "not a number"),
])
def test_number_decoding_rejects(text, match):
    with pytest.raises(FormatError, match=match):
        formats.decode_number(text)


def test_number_size_limit(monkeypatch):
    monkeypatch.setattr(formats, "MAX_NUMBER_HEX_DIGITS", 10)
    with pytest.raises(FormatError, match="hex digits"):
        formats.decode_number("0x" + "1" * 11)


@settings(max_examples=40)
@given(networks())
def test_round_trip_is_lossless(tmp_path_factory, net):
    path = tmp_path_factory.mktemp("f") / "net.json"
    formats.save(net, path)
    back = formats.load(path)
    assert back == net and back.meta == net.meta
    doc = json.loads(path.read_text())
    assert doc["format"] == "memorize-network" and doc["version"] == 1


def _doc():
    net = Network(2, [Layer.from_dense([[1, 2]], [3], "relu")])
    return formats.to_dict(net)


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.update(format="other"), "not a memorize-network"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d.update(input_dim=-1), "input_dim"),
    (lambda d: d.update(layers=[]), "non-empty"),
    (lambda d: d["layers"][0].update(activation="tanh"), "activation"),
    (lambda d: d["layers"][0].update(bias=[]), "bias"),
    (lambda d: d["layers"][0].update(weights=[[0, 5, "0x1"]]), "outside"),
    (lambda d: d["layers"][0].update(weights=[[0, 0]]), r"\[row, col, NUM\]"),
    (lambda d: d["layers"][0].update(weights=[[0, 0, 1.5]]), "hex string"),
    (lambda d: d["layers"][0].update(weights=[[0, 0, "0x1"], [0, 0, "0x2"]]), "twice"),
    (lambda d: d.update(meta=[1]), "meta"),
])
def test_malformed_documents_rejected(mutate, match):
    doc = _doc()
    mutate(doc)
    with pytest.raises(FormatError, match=match):
        formats.from_dict(doc)


def test_truncated_and_oversized_files(tmp_path):
    net = Network(2, [Layer.from_dense([[1, 2]], [3], "relu")])
    path = tmp_path / "n.json"
    formats.save(net, path)
    text = path.read_text()
    (tmp_path / "t.json").write_text(text[: len(text) // 2])
    with pytest.raises(FormatError, match="not valid JSON"):
        formats.load(tmp_path / "t.json")
    with pytest.raises(FormatError, match="above the limit"):
        formats.load(path, max_bytes=10)
    with pytest.raises(FormatError, match="cannot read"):
        formats.load(tmp_path / "missing.json")


def test_placed_zero_connections_survive_a_round_trip(tmp_path):
    # A construction may place a weight whose value is 0 (a stored difference that vanishes):
    # the file keeps the count; a count outside [nonzero, dense] is refused.
    layer = Layer.from_entries(2, 1, [(0, 0, 1), (0, 1, 0)], [0], "relu", placed=2)
    net = Network(2, [layer])
    path = tmp_path / "n.json"
    formats.save(net, path)
    back = formats.load(path)
    assert back == net and back.connections == 2 and back.nonzero_params == 1
    doc = json.loads(path.read_text())
    doc["layers"][0]["connections"] = 4  # above the dense count (2 + 1) * 1 = 3
    path.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="placed"):
        formats.load(path)
