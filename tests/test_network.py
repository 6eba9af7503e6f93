from fractions import Fraction

import numpy as np
import pytest

from memorize import Layer, Network, NetworkError
from memorize.network import as_rational, bits


def test_bits_definition_by_hand():
    # integer p: bitlen(|p|) + 1 sign bit
    assert bits(0) == 1
    assert bits(1) == 2
    assert bits(-5) == 4  # 101 + sign
    assert bits(255) == 9
    assert bits(2**100) == 102
    # p/q: bitlen|p| + bitlen q + 1
    assert bits(Fraction(3, 4)) == 2 + 3 + 1
    assert bits(Fraction(-1, 1024)) == 1 + 11 + 1


def test_as_rational_exact_and_rejects():
    assert as_rational(0.1) == Fraction(3602879701896397, 36028797018963968)
    assert as_rational(np.int64(7)) == 7 and isinstance(as_rational(np.int64(7)), int)
    assert as_rational(Fraction(6, 3)) == 2 and isinstance(as_rational(Fraction(6, 3)), int)
    with pytest.raises(NetworkError, match="not finite"):
        as_rational(float("nan"))
    with pytest.raises(NetworkError, match="not a rational"):
        as_rational("1")


def test_counts_of_a_hand_made_network():
    # 3 -> 2 (relu) -> 1 (identity); params (3+1)*2 + (2+1)*1 = 11
    l1 = Layer.from_dense([[1, 0, -2], [0, 0, Fraction(1, 2)]], [0, 3], "relu")
    l2 = Layer.from_dense([[2**40, -1]], [0], "identity")
    net = Network(3, [l1, l2])
    assert net.num_params == 11
    assert net.nonzero_params == 3 + 1 + 2  # weights 1, -2, 1/2; bias 3; weights 2^40, -1
    assert (net.depth, net.width, net.neurons) == (2, 2, 3)
    assert net.max_bits == 42  # 2^40: 41 bits + sign
    # total: 1->2, -2->3, 1/2->1+2+1=4, 3->3, 2^40->42, -1->2
    assert net.total_bits == 2 + 3 + 4 + 3 + 42 + 2


def test_layer_errors():
    with pytest.raises(NetworkError, match="activation"):
        Layer.from_dense([[1]], [0], "tanh")
    with pytest.raises(NetworkError, match="twice"):
        Layer.from_entries(2, 1, [(0, 0, 1), (0, 0, 2)], [0])
    with pytest.raises(NetworkError, match="out of range"):
        Layer.from_entries(2, 1, [(0, 5, 1)], [0])
    with pytest.raises(NetworkError, match="bias"):
        Layer.from_entries(2, 2, [(0, 0, 1)], [0])
    with pytest.raises(NetworkError, match="expects 2 inputs"):
        Network(3, [Layer.from_dense([[1, 1]], [0])])
    with pytest.raises(NetworkError, match="at least one layer"):
        Network(3, [])


def test_rows_and_dense_agree():
    layer = Layer.from_rows(3, [({0: 1, 2: -1}, 5), ({}, 0), ({1: Fraction(1, 3)}, -1)], "step")
    assert layer.row(0) == ({0: 1, 2: -1}, 5)
    assert layer.row(1) == ({}, 0)
    dense = layer.dense()
    assert dense[2, 1] == Fraction(1, 3) and dense[0, 2] == -1 and dense[1].tolist() == [0, 0, 0]
    assert Layer.from_dense(dense, layer.bias, "step") == layer
