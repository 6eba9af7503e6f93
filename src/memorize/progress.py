"""A small progress bar on stderr for long runs (no dependency, safe when not a terminal)."""

from __future__ import annotations

import sys
import time


class Progress:
    """``Progress(label, total)``; call ``update(done, total=None)``, then ``close()``.

    Usable directly as the ``progress(done, total)`` callback of
    :func:`memorize.verify.verify`. Redraws at most 10 times a second.
    """

    def __init__(self, label: str, total: int | None = None, stream=None, width: int = 30):
        self.label, self.total, self.width = label, total, width
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int | None = None) -> None:
        self.update(done, total)

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        now = time.perf_counter()
        if now - self._last < 0.1 and done != self.total:
            return
        self._last = now
        total = self.total or max(done, 1)
        filled = int(self.width * done / total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {now - self.start:.1f}s")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
