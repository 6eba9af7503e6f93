"""Progress on stderr for long runs (no dependency).

On a terminal a ``\\r`` bar is redrawn in place; anywhere else (a log file, a pipe,
CI) a redrawn bar would leave a line of carriage returns, so one plain line is
written per finished step instead.
"""

from __future__ import annotations

import sys
import time


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or detached stream is no terminal
        return False


class Progress:
    """``Progress(label, total)``; call ``update(done, total=None)``, then ``close()``.

    Usable directly as the ``progress(done, total)`` callback of
    :func:`memorize.verify.verify`. On a terminal (``stream.isatty()``) it draws a
    bar at most 10 times a second; ``close()`` ends the bar's line, or erases it
    when ``transient`` (a table printed on stdout then continues cleanly). On any
    other stream it writes nothing while running and one line when the step
    finishes (``done`` reaches ``total``) or is closed, whichever comes first:
    ``label: done/total in 1.2 s``, or ``label: done in 1.2 s`` with no counts.
    """

    def __init__(self, label: str, total: int | None = None, stream=None, width: int = 30,
                 transient: bool = False):
        self.label, self.total, self.width, self.transient = label, total, width, transient
        self.stream = stream if stream is not None else sys.stderr
        self.tty = _is_terminal(self.stream)
        self.start = time.perf_counter()
        self.done: int | None = None
        self._last = 0.0
        self._drawn = False
        self._finished = False
        if self.tty:  # name the step at once: a build may report nothing until it ends
            self._draw(f"{self.label} ...")

    def __call__(self, done: int, total: int | None = None) -> None:
        self.update(done, total)

    def _draw(self, text: str) -> None:
        """Redraw the line in place; the ANSI erase-line clears a longer earlier draw."""
        self.stream.write(f"\r{text}\033[K")
        self.stream.flush()
        self._drawn = True

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done = done
        if not self.tty:
            if self.total is not None and done >= self.total:
                self._finish()
            return
        now = time.perf_counter()
        if now - self._last < 0.1 and done != self.total:
            return
        self._last = now
        total = self.total or max(done, 1)
        filled = min(self.width, int(self.width * done / total))
        bar = "#" * filled + "-" * (self.width - filled)
        self._draw(f"{self.label} [{bar}] {done}/{total} {now - self.start:.1f}s")

    def _finish(self) -> None:
        """The one line of a non-terminal stream."""
        if self._finished:
            return
        self._finished = True
        seconds = time.perf_counter() - self.start
        counts = f" {self.done}/{self.total}" if self.done is not None else ""
        self.stream.write(f"{self.label}:{counts} done in {seconds:.2f} s\n")
        self.stream.flush()

    def close(self) -> None:
        if not self.tty:
            self._finish()
            return
        if self._drawn and not self._finished:
            self._finished = True
            # erase the bar (ANSI erase-line) or keep it as the step's finished line
            self.stream.write("\r\033[K" if self.transient else "\n")
            self.stream.flush()
