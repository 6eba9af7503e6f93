"""Fuzzing (issue 13): whatever bytes, JSON structure or arrays come in, the outcome is a
result or a MemorizeError, never another exception; and validate never changes a point."""

import io
import json
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from memorize import Layer, MemorizeError, Network, data, formats
from memorize.datafile import load_data
from memorize.verify import verify

NET = Network(2, (
    Layer.from_dense([[1, Fraction(-3, 4)], [0, 2**70]], [Fraction(1, 3), -5], "relu"),
    Layer.from_dense([[1, -1]], [0], "step"),
), {"construction": "fuzz", "data": {"N": 2, "r": 1.5}})
VALID = json.dumps(formats.to_dict(NET), separators=(",", ":")).encode()

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**80), 2**80), st.floats(allow_nan=False),
              st.text(max_size=8), st.sampled_from(["0x1", "-0x3/0x4", "0x3/0x1", "0x", "relu", "step"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


def outcome_is_result_or_memorize_error(fn):
    try:
        return fn()
    except MemorizeError:
        return None


def check_loaded(net):
    """A network that loads can be evaluated (or refuses the point with a MemorizeError)."""
    if net is not None:
        outcome_is_result_or_memorize_error(lambda: verify(net, np.zeros((1, net.input_dim)), [0]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete", "cut"]),
                          st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_bytes_load_or_raise_format_errors(tmp_path, edits):
    raw = bytearray(VALID)
    for op, pos, byte in edits:
        if not raw:
            break
        pos %= len(raw)
        if op == "flip":
            raw[pos] = byte
        elif op == "insert":
            raw[pos:pos] = bytes([byte])
        elif op == "delete":
            del raw[pos]
        else:
            del raw[pos:]
    path = tmp_path / "fuzz.json"
    path.write_bytes(bytes(raw))
    check_loaded(outcome_is_result_or_memorize_error(lambda: formats.load(path)))


def paths(doc, prefix=()):
    """Every (container, key) position inside a JSON document."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        yield doc, k
        yield from paths(v, prefix + (k,))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_structure_loads_or_raises_format_errors(draw):
    doc = json.loads(VALID)
    for _ in range(draw.draw(st.integers(1, 3))):
        spots = list(paths(doc))
        container, key = spots[draw.draw(st.integers(0, len(spots) - 1))]
        action = draw.draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "replace":
            container[key] = draw.draw(json_values)
        elif action == "delete":
            del container[key]
        elif isinstance(container, list):
            container.append(container[key])
    check_loaded(outcome_is_result_or_memorize_error(lambda: formats.from_dict(doc)))


def npz_bytes(compressed: bool) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(
        buf, X=np.array([[0.5, -2.0], [3.0, 1.0]]), y=np.array([0, 1]))
    return buf.getvalue()


NPZ = {False: npz_bytes(False), True: npz_bytes(True)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.booleans(), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_data_files_load_or_raise_data_errors(tmp_path, compressed, edits):
    raw = bytearray(NPZ[compressed])
    for pos, byte in edits:
        raw[pos % len(raw)] = byte
    path = tmp_path / "fuzz.npz"
    path.write_bytes(bytes(raw))
    result = outcome_is_result_or_memorize_error(lambda: load_data(path))
    if result is not None:
        assert result[0].shape[0] == len(result[1])


# -- arrays to data.validate -------------------------------------------------------------

dtypes = st.one_of(
    hnp.boolean_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(),
    hnp.floating_dtypes(sizes=(16, 32, 64)), st.just(np.dtype(np.longdouble)),
    hnp.complex_number_dtypes(), hnp.datetime64_dtypes(), hnp.byte_string_dtypes(max_len=4),
    hnp.unicode_string_dtypes(max_len=4),
)


def exact(v):
    """The exact rational a scalar denotes."""
    if isinstance(v, (int, Fraction)):
        return Fraction(v)
    if isinstance(v, (bool, np.bool_)):
        return Fraction(int(v))
    if isinstance(v, np.integer):
        return Fraction(int(v))
    if isinstance(v, Decimal):
        return Fraction(v)
    return Fraction(*v.as_integer_ratio())


def assert_points_unchanged(original: np.ndarray, X: np.ndarray):
    assert X.shape == original.shape
    for k in np.ndindex(original.shape):
        assert exact(X[k]) == exact(original[k])


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
       hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4)))
def test_mutated_arrays_validate_exactly_or_raise_data_errors(X, y):
    result = outcome_is_result_or_memorize_error(lambda: data.validate(X, y))
    if result is not None:
        assert_points_unchanged(X, result[0])
        assert result[1].dtype == np.int64 and (result[1] >= 0).all()


scalars = st.one_of(
    st.integers(-(2**100), 2**100), st.fractions(), st.floats(), st.decimals(places=3),
    st.text(max_size=3), st.none(), st.booleans(), st.complex_numbers(),
)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_object_arrays_validate_exactly_or_raise_data_errors(n, d, draw):
    values = draw.draw(st.lists(scalars, min_size=n * d, max_size=n * d))
    X = np.empty((n, d), dtype=object)
    X.flat[:] = values
    labels = draw.draw(st.lists(st.one_of(st.integers(-2, 2**70), st.floats(), st.text(max_size=2)),
                                min_size=n, max_size=n))
    y = np.empty(n, dtype=object)
    y[:] = labels
    result = outcome_is_result_or_memorize_error(lambda: data.validate(X, y))
    if result is not None:
        assert_points_unchanged(X, result[0])


@pytest.mark.parametrize("X", [np.zeros((0, 2)), np.zeros((2, 0)), np.zeros(3), np.zeros((1, 1, 1))])
def test_shapes_without_points_are_data_errors(X):
    with pytest.raises(MemorizeError):
        data.validate(X, np.zeros(len(X) if X.ndim else 0, dtype=int))
