"""The fewest fractional bits a network needs: :func:`quantize` and :func:`minimal_precision`.

:func:`minimal_precision` finds the fewest fractional bits ``b`` such that
rounding every weight and bias to the nearest multiple of ``2^-b`` (ties to
even) still memorizes the data, checked by the exact verifier. Memorization
need not be monotone in ``b`` (a coarser grid can happen to be right where a
finer one is wrong), so the bisection returns a ``b`` that works with ``b - 1``
failing; a smaller ``b`` that also works may exist below ``b - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from memorize.errors import DataError, MemorizeError
from memorize.network import Layer, Network

__all__ = ["PrecisionResult", "minimal_precision", "quantize"]


def quantize(net: Network, b: int) -> Network:
    """``net`` with every weight and bias rounded to the nearest multiple of ``2^-b`` (ties to even)."""
    if int(b) != b or b < 0:
        raise MemorizeError(f"the number of fractional bits must be an integer >= 0, got {b!r}")
    q = Fraction(1 << int(b))

    def rnd(v):
        r = Fraction(round(v * q), q)
        return r.numerator if r.denominator == 1 else r

    layers = []
    for layer in net.layers:
        entries = zip(layer.rows.tolist(), layer.cols.tolist(), (rnd(v) for v in layer.values))
        layers.append(Layer.from_entries(layer.in_dim, layer.out_dim, entries,
                                         [rnd(v) for v in layer.bias], layer.activation))
    return Network(net.input_dim, layers, dict(net.meta, quantized_fractional_bits=int(b)))


def _fractional_bits(v) -> int | None:
    q = Fraction(v).denominator
    return None if q & (q - 1) else q.bit_length() - 1


@dataclass
class PrecisionResult:
    """Result of :func:`minimal_precision`.

    ``bits`` works (exactly verified); ``bits - 1`` was probed and fails unless
    ``bits == 0``. Smaller values below ``bits - 1`` may work too: memorization
    is not monotone in the precision.
    """

    bits: int
    original_bits: int | None  # fractional bits of the network itself (None: not dyadic)
    probes: list[tuple[int, bool]]
    max_bits_before: int
    max_bits_after: int
    network: Network

    def summary(self) -> str:
        orig = "not dyadic" if self.original_bits is None else f"{self.original_bits}"
        tried = ", ".join(f"{b}:{'ok' if ok else 'fail'}" for b, ok in self.probes)
        below = "b - 1 fails" if self.bits > 0 else "b = 0 is the least possible"
        return (
            f"minimal fractional bits b = {self.bits} ({below}; found by bisection, memorization is "
            f"not monotone in b)\nthe network itself has {orig} fractional bits; max_bits "
            f"{self.max_bits_before} -> {self.max_bits_after}\nprobes (b:verdict): {tried}"
        )


def minimal_precision(net: Network, X, y, *, max_fractional_bits: int = 4096) -> PrecisionResult:
    """The fewest fractional bits ``b`` to which the weights can be rounded while ``net`` memorizes.

    Bisection over ``b`` with the exact verifier on every probe (see the module
    docstring: ``b`` works and ``b - 1`` fails, but memorization need not be
    monotone in ``b``). For a dyadic network the search starts from its own
    fractional bits; otherwise ``b`` doubles until a rounding works, up to
    ``max_fractional_bits``.

    Raises
    ------
    DataError
        if ``net`` does not memorize ``(X, y)`` itself, or no ``b <= max_fractional_bits`` works.
    """
    from memorize.verify import is_memorizing

    probes: list[tuple[int, bool]] = []

    def works(b: int) -> bool:
        ok = is_memorizing(quantize(net, b), X, y)
        probes.append((b, ok))
        return ok

    fb = [_fractional_bits(v) for layer in net.layers for v in layer.values + layer.bias]
    original = None if None in fb else max(fb, default=0)
    # quantize(net, original) is net itself, so this probe checks the network as given
    if not (works(original) if original is not None else is_memorizing(net, X, y)):
        raise DataError("the network does not memorize (X, y) exactly; its precision cannot be reduced")
    lo = -1  # every probed b <= lo fails (-1: none probed)
    if original is not None:
        hi = original
    else:
        hi = 1
        while not works(hi):
            lo = hi
            if hi >= max_fractional_bits:
                raise DataError(f"no rounding to <= {max_fractional_bits} fractional bits memorizes "
                                "the data; pass a larger max_fractional_bits")
            hi = min(2 * hi, max_fractional_bits)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if works(mid):
            hi = mid
        else:
            lo = mid
    best = quantize(net, hi)
    return PrecisionResult(hi, original, probes, net.max_bits, best.max_bits, best)

