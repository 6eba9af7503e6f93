"""Helpers several test modules share (imported as ``helpers``; conftest puts tests/ on the path)."""

import numpy as np
from hypothesis import strategies as st


def cli_status(argv) -> int:
    """Exit status of the ``memorize`` CLI on ``argv``, whether it returns or exits (argparse
    errors and ``--help`` exit)."""
    from memorize.cli import main

    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@st.composite
def clustered(draw):
    """A few tight clusters far apart: tiny separation (down to 2^-30) beside a large spread."""
    k, per, d = draw(st.integers(1, 4)), draw(st.integers(1, 12)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scale = 2.0 ** -draw(st.integers(8, 30))
    X = np.repeat(rng.standard_normal((k, d)), per, axis=0)
    X = np.unique(X + rng.integers(-50, 50, X.shape) * scale, axis=0)
    return X, rng.integers(0, draw(st.integers(1, 6)), len(X))
