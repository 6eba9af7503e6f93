"""The exact feed-forward network: affine layers with exact rational weights.

A :class:`Network` is a sequence of :class:`Layer` objects. Layer ``l`` maps
its input ``a`` (a vector of length ``in_dim``) to ``act(W a + b)`` where
``act`` is one of

* ``"relu"``: ``max(0, z)``;
* ``"step"``: the threshold unit ``H(z) = 1 if z >= 0 else 0``;
* ``"identity"``: ``z``.

Weights and biases are exact rationals: Python ``int`` (any size) or
:class:`fractions.Fraction`. Floats given to a constructor are converted
exactly (every float is a dyadic rational), never rounded. Weights are stored
sparsely (coordinate lists sorted by row), so a threshold layer with thousands
of neurons and a few nonzero weights each, or a width-12 layer of a
thousands-deep network, both cost memory proportional to their nonzeros.

Counting conventions (used everywhere in the package):

* ``depth``: number of affine layers; ``width``: the largest ``out_dim``;
* ``neurons``: every non-input unit, the output unit(s) included;
* ``num_params``: every weight and bias of the layered architecture,
  ``sum((in_dim + 1) * out_dim)`` (the *dense* count); ``nonzero_params``: the nonzero ones;
* ``connections``: the weights and biases the construction *places*, as edges
  of a sparse graph, whether or not a value happens to be zero (a stored word
  difference can be 0): the count that VC-dimension bounds use. A layer that
  does not record its placed entries (loaded, imported or built densely)
  counts its nonzero ones, so ``nonzero_params <= connections <= num_params``;
* ``bits(v)``: an integer ``p`` takes ``bitlen(|p|) + 1`` bits (the sign
  included); a non-integer reduced fraction ``p/q`` takes
  ``bitlen(|p|) + bitlen(q) + 1``. ``max_bits`` is the largest over all
  weights and biases (zeros take 1 bit); ``total_bits`` sums ``bits`` over the
  nonzero parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Iterable, Mapping, Sequence

import numpy as np

from memorize.errors import NetworkError
from memorize.rationals import exact_value

ACTIVATIONS = ("relu", "step", "identity")

Rational = int | Fraction


def as_rational(value) -> Rational:
    """Return ``value`` as an exact ``int`` or reduced ``Fraction``.

    Accepts Python and numpy integers, ``Fraction``, gmpy2 ``mpz``/``mpq``,
    ``Decimal`` and finite floats of any width (converted exactly, see
    :func:`memorize.rationals.exact_value`). Raises :class:`NetworkError` otherwise.
    """
    if type(value) is int:  # the common cases first: this runs once per weight
        return value
    if type(value) is Fraction:
        return value.numerator if value.denominator == 1 else value
    try:
        exact = exact_value(value)
    except ValueError:
        raise NetworkError(f"weight {value!r} is not finite; weights must be exact rationals") from None
    if exact is None:
        raise NetworkError(
            f"weight {value!r} of type {type(value).__name__} is not a rational number; "
            "use int, fractions.Fraction or a finite float"
        )
    return exact


def bits(value: Rational) -> int:
    """Bits needed to write ``value``: see the module docstring for the definition."""
    if isinstance(value, int):
        return abs(value).bit_length() + 1
    return abs(value.numerator).bit_length() + value.denominator.bit_length() + 1


def dense_params(widths) -> int:
    """``sum (w_{l-1} + 1) w_l``: the weights and biases of a dense network whose layers
    have ``widths`` (the input dimension first).

    >>> dense_params([3, 4, 1])
    21
    """
    widths = list(widths)
    return sum((a + 1) * b for a, b in zip(widths, widths[1:]))


@dataclass(frozen=True, eq=False)
class Layer:
    """One affine layer ``act(W a + b)`` with sparse exact weights.

    Build one with :meth:`from_dense`, :meth:`from_rows` or :meth:`from_entries`;
    the constructor itself expects already-normalised, row-sorted arrays.

    Attributes
    ----------
    in_dim, out_dim : int
    activation : str  -- ``"relu"``, ``"step"`` or ``"identity"``
    rows, cols : numpy int64 arrays of the nonzero weights' positions, sorted by (row, col)
    values : tuple of exact rationals, the nonzero weights
    bias : tuple of ``out_dim`` exact rationals
    placed : int or None -- weights and biases the construction placed, zeros included
        (``None``: the nonzero ones); see :attr:`connections`
    """

    in_dim: int
    out_dim: int
    activation: str
    rows: np.ndarray
    cols: np.ndarray
    values: tuple
    bias: tuple
    placed: int | None = None

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise NetworkError(
                f"unknown activation {self.activation!r}; use one of {', '.join(ACTIVATIONS)}"
            )
        if self.in_dim < 1 or self.out_dim < 1:
            raise NetworkError(f"layer dimensions must be >= 1, got {self.in_dim} -> {self.out_dim}")
        if len(self.bias) != self.out_dim:
            raise NetworkError(f"bias has length {len(self.bias)}, expected out_dim = {self.out_dim}")
        if not (len(self.rows) == len(self.cols) == len(self.values)):
            raise NetworkError("rows, cols and values must have the same length")
        if self.placed is not None and not (self.nonzero_params <= self.placed <= self.num_params):
            raise NetworkError(
                f"placed={self.placed} must lie between the layer's nonzero parameters "
                f"({self.nonzero_params}) and its dense ones ({self.num_params})")

    # -- constructors -------------------------------------------------------
    @classmethod
    def from_entries(
        cls,
        in_dim: int,
        out_dim: int,
        entries: Iterable[tuple[int, int, object]],
        bias: Sequence | None = None,
        activation: str = "relu",
        placed: int | None = None,
    ) -> "Layer":
        """Layer from ``(row, col, weight)`` triples; zeros are dropped, repeats are an error.

        ``placed`` records how many weights and biases the caller placed, zeros
        included (see :attr:`connections`).
        """
        in_dim, out_dim = int(in_dim), int(out_dim)
        triples = []
        for r, c, w in entries:
            w = as_rational(w)
            if w != 0:
                triples.append((int(r), int(c), w))
        triples.sort(key=lambda t: (t[0], t[1]))
        rows = np.fromiter((t[0] for t in triples), dtype=np.int64, count=len(triples))
        cols = np.fromiter((t[1] for t in triples), dtype=np.int64, count=len(triples))
        if len(triples):
            if rows.min() < 0 or rows.max() >= out_dim or cols.min() < 0 or cols.max() >= in_dim:
                raise NetworkError(
                    f"weight index out of range for a {in_dim} -> {out_dim} layer"
                )
            same = (rows[1:] == rows[:-1]) & (cols[1:] == cols[:-1])
            if same.any():
                k = int(np.flatnonzero(same)[0])
                raise NetworkError(f"weight ({rows[k]}, {cols[k]}) is given twice")
        bias = [0] * out_dim if bias is None else [as_rational(b) for b in bias]
        return cls(in_dim, out_dim, activation, rows, cols, tuple(t[2] for t in triples), tuple(bias),
                   placed)

    @classmethod
    def from_rows(
        cls,
        in_dim: int,
        rows: Sequence[tuple[Mapping[int, object], object]],
        activation: str = "relu",
        placed: int | None = None,
    ) -> "Layer":
        """Layer from one ``({input_index: weight}, bias)`` pair per output neuron."""
        entries = [(r, c, w) for r, (terms, _) in enumerate(rows) for c, w in terms.items()]
        return cls.from_entries(in_dim, len(rows), entries, [b for _, b in rows], activation, placed)

    @classmethod
    def from_dense(cls, weight, bias=None, activation: str = "relu") -> "Layer":
        """Layer from a dense ``out_dim x in_dim`` weight array (ints, Fractions or floats)."""
        w = np.asarray(weight, dtype=object)
        if w.ndim != 2:
            raise NetworkError(f"weight must be 2-D (out_dim x in_dim), got shape {w.shape}")
        out_dim, in_dim = w.shape
        entries = ((r, c, w[r, c]) for r in range(out_dim) for c in range(in_dim))
        return cls.from_entries(in_dim, out_dim, entries, bias, activation)

    # -- structure ----------------------------------------------------------
    @cached_property
    def indptr(self) -> np.ndarray:
        """CSR row pointer: the weights of row ``r`` are ``values[indptr[r]:indptr[r+1]]``."""
        return np.searchsorted(self.rows, np.arange(self.out_dim + 1), side="left")

    def row(self, r: int) -> tuple[dict[int, Rational], Rational]:
        """The ``({input_index: weight}, bias)`` of output neuron ``r``."""
        lo, hi = self.indptr[r], self.indptr[r + 1]
        return dict(zip(self.cols[lo:hi].tolist(), self.values[lo:hi])), self.bias[r]

    def dense(self) -> np.ndarray:
        """The weight matrix as a dense object array of exact rationals (small layers only)."""
        w = np.zeros((self.out_dim, self.in_dim), dtype=object)
        for r, c, v in zip(self.rows.tolist(), self.cols.tolist(), self.values):
            w[r, c] = v
        return w

    @property
    def num_params(self) -> int:
        return (self.in_dim + 1) * self.out_dim

    @property
    def nonzero_params(self) -> int:
        return len(self.values) + sum(1 for b in self.bias if b != 0)

    @property
    def connections(self) -> int:
        """Weights and biases placed by the construction (zeros included); else the nonzero ones."""
        return self.nonzero_params if self.placed is None else self.placed

    @cached_property
    def max_bits(self) -> int:
        # Zero parameters exist in the dense architecture and take 1 bit.
        m = max((bits(v) for v in self.values), default=1)
        return max(m, max(bits(b) for b in self.bias))

    @cached_property
    def total_bits(self) -> int:
        return sum(bits(v) for v in self.values) + sum(bits(b) for b in self.bias if b != 0)

    def __eq__(self, other):
        if not isinstance(other, Layer):
            return NotImplemented
        return (
            (self.in_dim, self.out_dim, self.activation) == (other.in_dim, other.out_dim, other.activation)
            and np.array_equal(self.rows, other.rows)
            and np.array_equal(self.cols, other.cols)
            and self.values == other.values
            and self.bias == other.bias
        )

    __hash__ = None


@dataclass(frozen=True, eq=False)
class Network:
    """A feed-forward network of exact :class:`Layer` objects.

    ``meta`` records where the network came from (construction name, options,
    seed, theorem reference, data summary); it is saved with the network.
    """

    input_dim: int
    layers: tuple[Layer, ...]
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.layers:
            raise NetworkError("a network needs at least one layer")
        prev = self.input_dim
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise NetworkError(f"layer {i} is a {type(layer).__name__}, not a Layer")
            if layer.in_dim != prev:
                raise NetworkError(
                    f"layer {i} expects {layer.in_dim} inputs but the previous layer has {prev} outputs"
                )
            prev = layer.out_dim

    @property
    def output_dim(self) -> int:
        return self.layers[-1].out_dim

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def width(self) -> int:
        return max(layer.out_dim for layer in self.layers)

    @property
    def neurons(self) -> int:
        return sum(layer.out_dim for layer in self.layers)

    @property
    def num_params(self) -> int:
        return sum(layer.num_params for layer in self.layers)

    @property
    def nonzero_params(self) -> int:
        return sum(layer.nonzero_params for layer in self.layers)

    @property
    def connections(self) -> int:
        return sum(layer.connections for layer in self.layers)

    @property
    def max_bits(self) -> int:
        return max(layer.max_bits for layer in self.layers)

    @property
    def total_bits(self) -> int:
        return sum(layer.total_bits for layer in self.layers)

    def counts(self) -> dict:
        """All structural counts in one dict (the keys the CLI and reports use)."""
        return {
            "connections": self.connections,
            "params": self.num_params,
            "nonzero_params": self.nonzero_params,
            "neurons": self.neurons,
            "depth": self.depth,
            "width": self.width,
            "max_bits": self.max_bits,
            "total_bits": self.total_bits,
        }

    def __eq__(self, other):
        if not isinstance(other, Network):
            return NotImplemented
        return self.input_dim == other.input_dim and self.layers == other.layers

    __hash__ = None

    def __repr__(self):
        name = self.meta.get("construction", "network")
        return (
            f"<Network {name}: input_dim={self.input_dim} depth={self.depth} width={self.width} "
            f"connections={self.connections} params={self.num_params} max_bits={self.max_bits}>"
        )
