"""Cover points group by group, splitting a group in two when its gadget cannot be built.

Baum's slabs and Bubeck et al.'s hyperplane gadgets both take ``d`` points at a
time and need them in general position; where a group is not (its gadget fails
an exact check), each half gets a gadget of its own. A single point always has
one (the caller says what went wrong otherwise).
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterable, Iterator


def split_until_found(groups: Iterable, find: Callable, single_failed: Callable, *,
                      depth_first: bool = False) -> Iterator[tuple]:
    """Yield ``(tag, members, found)`` for ``(tag, members)`` in ``groups``, where
    ``found = find(tag, members)``; when it is None the group is split into its two halves
    (same tag), which are tried in its place. ``single_failed(tag, members)`` raises when a
    group of one point fails.

    ``depth_first``: the halves are tried at once (the order of points is kept);
    otherwise after the groups already waiting. Each split yields one group more, so
    the splits are the groups yielded minus the groups given.

    >>> found = split_until_found([("a", [1, 2, 3])], lambda t, m: m if len(m) < 2 else None,
    ...                           lambda t, m: None, depth_first=True)
    >>> [m for _, m, _ in found]
    [[1], [2], [3]]
    """
    todo = deque(groups)
    while todo:
        tag, members = todo.popleft()
        found = find(tag, members)
        if found is not None:
            yield tag, members, found
            continue
        if len(members) <= 1:
            single_failed(tag, members)
            raise RuntimeError("single_failed must raise")
        half = len(members) // 2
        halves = [(tag, members[:half]), (tag, members[half:])]
        if depth_first:
            todo.extendleft(reversed(halves))
        else:
            todo.extend(halves)
