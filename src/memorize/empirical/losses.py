"""Classification losses by name, on logits, per example (torch).

Every loss takes logits of shape ``(..., C)`` and integer labels of shape
``(...)`` and returns the per-example loss of shape ``(...)``; ``p`` below is
``softmax(logits)`` and ``e_y`` the one-hot vector of the label.

========== ======================================================= =========
name       per-example loss                                         symmetric
========== ======================================================= =========
``ce``     cross-entropy ``-log p_y``                               no
``mse``    squared error on the softmax ``sum_k (p_k - e_y,k)^2``   no
``mae``    absolute error on the softmax ``sum_k |p_k - e_y,k|``    yes
           ``= 2 (1 - p_y)``
``rll``    robust log loss ``log((a+1)/a) - log(a + p_y)            yes
           + (1/(C-1)) sum_{j != y} log(a + p_j)``, ``a = 0.1``
========== ======================================================= =========

A loss ``L`` is *symmetric* (Ghosh, Kumar and Sastry 2017) when
``sum_j L(f(x), j)`` is the same constant for every output ``f(x)``: for MAE
the sum is ``2 (C - 1)``, for RLL ``C log((a+1)/a)``. Under symmetric label
noise the risk minimizer of a symmetric loss is that of the clean labels, and
Patel and Sastry (2021) report that such a loss resists memorizing random
labels where cross-entropy and squared error do not. See docs/empirical.md for
what of their definitions could be checked.

References
----------
A. Ghosh, H. Kumar, P. S. Sastry, "Robust loss functions under label noise for
deep neural networks", AAAI 2017.
D. Patel, P. S. Sastry, "Memorization in deep neural networks: does the loss
function matter?", PAKDD 2021, arXiv:2107.09957.
"""

from __future__ import annotations

import math

from memorize.errors import ArgumentError

#: The loss names accepted by :func:`memorization_scores` and :func:`capacity`.
LOSSES = ("ce", "mse", "mae", "rll")
#: The losses that are symmetric in the sense above.
SYMMETRIC = ("mae", "rll")
#: ``a`` of the robust log loss.
RLL_ALPHA = 0.1

_ALIASES = {"cross_entropy": "ce", "cross-entropy": "ce", "l2": "mse", "l1": "mae",
            "robust_log": "rll"}


def check_loss(name) -> str:
    """The canonical name of a loss, or :class:`ArgumentError` listing the names."""
    key = _ALIASES.get(name, name) if isinstance(name, str) else None
    if key not in LOSSES:
        raise ArgumentError(f"unknown loss {name!r}; use one of {', '.join(LOSSES)} "
                            "(ce: cross-entropy, mse/mae: squared/absolute error on the softmax, "
                            "rll: robust log loss, symmetric)")
    return key


def per_example(name: str, logits, labels):
    """Per-example loss ``name`` of ``logits`` (..., C) against ``labels`` (...).

    Parameters
    ----------
    name : one of :data:`LOSSES` (see the module docstring for the formulas)
    logits : torch tensor (..., C)
    labels : torch integer tensor (...), values in ``0 .. C-1``

    Returns
    -------
    torch tensor (...), the loss of each example (not reduced)

    Raises
    ------
    ArgumentError
        for an unknown name.

    Examples
    --------
    >>> import torch
    >>> logits = torch.zeros(1, 2)                 # p = (1/2, 1/2)
    >>> [per_example(n, logits, torch.tensor([1])).item() for n in ("mae", "mse")]
    [1.0, 0.5]
    """
    import torch
    import torch.nn.functional as F

    name = check_loss(name)
    C = logits.shape[-1]
    if name == "ce":
        logp = torch.log_softmax(logits, dim=-1)
        return -logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    p = torch.softmax(logits, dim=-1)
    onehot = F.one_hot(labels, C).to(p.dtype)
    if name == "mse":
        return ((p - onehot) ** 2).sum(-1)
    if name == "mae":
        return (p - onehot).abs().sum(-1)
    a = RLL_ALPHA
    logs = torch.log(a + p)
    own = logs.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    others = (logs.sum(-1) - own) / max(C - 1, 1)
    return math.log((a + 1) / a) - own + others
