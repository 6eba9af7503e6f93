"""A whole layer on int64 inputs as one sparse matrix product.

Evaluating a layer neuron by neuron costs a few numpy calls per connection and
tens of microseconds of interpreter time per neuron; for a layer of thousands of
neurons on a chunk of a thousand points that overhead is most of the work. When
every input of a layer is an int64 row and an exact bound shows that no output
can reach ``2^62`` (every partial sum of a row is bounded by its bound, so the
int64 product cannot overflow), the layer is ``Z = W @ A + b`` in one
``scipy.sparse`` product with int64 accumulation, and the activation is one
array operation.

    >>> import numpy as np
    >>> Z = product([3, -1, 2], [0, 0, 1], [0, 1, 1], [5, -7], [np.array([1, 2]), np.array([4, -4])],
    ...             [2, 4], 2)
    >>> Z.tolist()
    [[4, 15], [1, -15]]
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

SAFE = 2.0 ** 61  # float bounds below this leave a factor 2 for rounding: exact bounds stay below 2^62


def product(weights: list[int], rows: list[int], cols: list[int], bias: list[int],
            inputs: list[np.ndarray], maxabs: list[int], n: int) -> np.ndarray | None:
    """``W @ A + b`` as an ``(out, n)`` int64 array, or None when int64 cannot be proven exact.

    ``weights``/``rows``/``cols``: the layer's nonzero integer weights with ``cols``
    indexing ``inputs`` (int64 vectors of ``n`` points whose values are bounded by
    ``maxabs``). The bound ``|W| maxabs + |b|`` is summed in float64: its relative
    rounding error is below ``nnz * 2^-53``, far inside the factor 2 kept by ``SAFE``.
    """
    out = len(bias)
    if not weights or max(map(abs, weights)) >= SAFE or max(map(abs, bias)) >= SAFE:
        return None
    w = sparse.csr_matrix((np.array(weights, dtype=np.int64), (rows, cols)), shape=(out, len(inputs)))
    bound = abs(w).astype(np.float64) @ np.array(maxabs, dtype=np.float64)
    bound += np.abs(np.array(bias, dtype=np.float64))
    if bound.max() >= SAFE:
        return None
    z = w @ np.stack(inputs) if len(inputs) else np.zeros((out, n), dtype=np.int64)
    z += np.array(bias, dtype=np.int64)[:, None]
    return z
