"""The theorems' bounds as sympy formulas, and a comparison of built networks with them.

* :mod:`~memorize.bounds.symbols`: the symbols ``N, d, C, r, delta, L`` (data and depth),
  ``W, U, B`` (architecture), the hidden-constant symbol ``c_O`` and :func:`evaluate`;
* :mod:`~memorize.bounds.upper`: each construction's theorem (:data:`REGISTRY`);
* :mod:`~memorize.bounds.lower`: VC, bit-counting and first-layer lower bounds;
* :func:`compare`: a built network against both.

    >>> from memorize.bounds import RELU_TWO_LAYER, evaluate
    >>> evaluate(RELU_TWO_LAYER.statement["params"], N=100, d=3)
    203
"""

from memorize.bounds.compare import COUNTS, Comparison, compare, lower_bounds
from memorize.bounds.lower import (
    FIRST_LAYER_THRESHOLD,
    INFORMATION_SLACK,
    MIN_DEPTH_AT_WIDTH,
    VC_RELU,
    VC_THRESHOLD,
    first_layer_threshold,
    min_bits,
    min_depth_at_width,
    min_neurons_threshold,
    min_params_relu,
    min_params_threshold,
    vc_relu,
    vc_threshold,
)
from memorize.bounds.symbols import B, C, L, N, U, W, c_O, d, delta, evaluate, n1, r, width
from memorize.bounds.upper import (
    THRESHOLD_ONE_HIDDEN,
    RELU_BUBECK,
    RELU_BUBECK_PER_CLASS,
    RELU_PARK,
    THRESHOLD_INSTANCE,
    THRESHOLD_SUBLINEAR,
    REGISTRY,
    RELU_THREE_LAYER,
    RELU_SUBLINEAR,
    RELU_SUBLINEAR_DEPTH,
    YANG,
    RELU_TWO_LAYER,
    R_VARDI,
    TheoremBounds,
    bounds_for,
)

__all__ = [
    "B", "THRESHOLD_ONE_HIDDEN", "RELU_BUBECK", "RELU_BUBECK_PER_CLASS", "RELU_PARK", "THRESHOLD_INSTANCE", "C", "COUNTS", "Comparison", "FIRST_LAYER_THRESHOLD", "INFORMATION_SLACK", "L",
    "MIN_DEPTH_AT_WIDTH", "N", "R_VARDI", "THRESHOLD_SUBLINEAR", "REGISTRY", "RELU_THREE_LAYER", "TheoremBounds",
    "U", "RELU_SUBLINEAR", "RELU_SUBLINEAR_DEPTH", "VC_RELU", "VC_THRESHOLD", "W", "YANG", "RELU_TWO_LAYER", "bounds_for",
    "c_O", "compare", "n1", "d", "delta", "evaluate", "first_layer_threshold", "lower_bounds",
    "min_bits", "min_depth_at_width", "min_neurons_threshold", "min_params_relu",
    "min_params_threshold", "r", "vc_relu", "vc_threshold", "width",
]
