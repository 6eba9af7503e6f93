"""Memorization in trained networks: scores, random-label capacity, losses, gradient norms.

* :func:`memorization_scores`: Feldman and Zhang's per-example memorization
  score (and the counterfactual variant on a continuous score), with many
  small MLPs trained at once on stacked parameters;
* :func:`capacity`: the smallest MLP that SGD or Adam trains to 100% training
  accuracy, confirmed exactly (``from_torch`` + ``verify(output="argmax")``),
  beside every construction's size on the same data;
* :mod:`~memorize.empirical.losses`: cross-entropy, squared and absolute error
  and the (symmetric) robust log loss, by name;
* :func:`sobolev_seminorm`: the exact gradient of a ReLU network at each point
  from its exact activation pattern, with the RMS and maximum of its norm.

torch (``pip install 'memorize[torch]'``) is imported only when a function
that trains runs (``import memorize.empirical`` does not import it);
:func:`sobolev_seminorm` needs no torch. See docs/empirical.md.
"""

from memorize.empirical.capacity_search import CapacityResult, capacity
from memorize.empirical.losses import LOSSES, SYMMETRIC
from memorize.empirical.scores import (
           MemorizationScores,
           memorization_scores,
           noisy_labels,
)
from memorize.empirical.seminorm import SeminormResult, sobolev_seminorm

__all__ = ["LOSSES", "SYMMETRIC", "CapacityResult", "MemorizationScores", "SeminormResult",
           "capacity", "memorization_scores", "noisy_labels", "sobolev_seminorm"]
