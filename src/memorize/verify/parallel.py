"""Verification over contiguous point chunks on an executor: local processes or a Dask cluster.

The points are cut into contiguous chunks (contiguous, so each worker meets only
its own points' blocks of the big shared values), every chunk is checked by
:func:`~memorize.verify.chunks.check_chunk` on a worker, and the results are merged
into the report a serial run gives. The network travels to each worker once:

* :class:`WorkerPool` (``--workers N``): local processes that receive it in their
  initializer;
* a Dask ``distributed.Client`` (``--scheduler ADDRESS``, the extra
  ``memorize[dask]``): it is scattered to every worker;
* any other ``concurrent.futures.Executor``: it goes with each chunk (one chunk per
  worker by default) and each worker unpickles it once.

    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(60, 2, delta=0.05, num_classes=3, seed=1)
    >>> net = build("relu_two_layer", X, y)
    >>> with WorkerPool(2, net) as pool:
    ...     report = verify.verify(net, X, y, executor=pool)
    >>> report.ok
    True
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import math
import pickle
import socket
from contextlib import contextmanager

import numpy as np

from memorize.errors import MemorizeError, WorkerError
from memorize.extras import require
from memorize.network import Network
from memorize.verify.chunks import ChunkResult, check_chunk
from memorize.verify.exact import points_per_chunk

CONNECT_TIMEOUT_S = 3.0
_NETWORKS: dict[str, Network] = {}  # in a worker: the networks it holds, by key
_KEEP = 4  # networks a worker keeps (reproduce sends one per construction and size)


def network_key(net: Network) -> str:
    """A digest of the network's weights: equal for equal networks, whatever they have cached."""
    canonical = (net.input_dim, tuple(
        (L.in_dim, L.out_dim, L.activation, L.rows.tobytes(), L.cols.tobytes(), L.values, L.bias)
        for L in net.layers))
    return hashlib.sha256(pickle.dumps(canonical, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


def _install(key: str, blob: bytes) -> None:
    if len(_NETWORKS) >= _KEEP:
        _NETWORKS.pop(next(iter(_NETWORKS)))
    _NETWORKS[key] = pickle.loads(blob)


def _chunk_task(key: str, blob: bytes | None, X, y, start: int, output: str, float64: bool,
                max_failures: int) -> ChunkResult:
    """Worker side: the network by its key (unpickled once per worker), then one chunk."""
    if key not in _NETWORKS:
        if blob is None:
            raise WorkerError("a worker lost its copy of the network; run the verification again")
        _install(key, blob)
    return check_chunk(_NETWORKS[key], X, y, start, output=output, float64=float64,
                       max_failures=max_failures)


class WorkerPool(concurrent.futures.ProcessPoolExecutor):
    """``workers`` local processes, each given ``net`` once, when it starts.

    Pass it as ``executor`` to :func:`memorize.verify.verify` for that network; another
    network (or ``net=None``, a plain pool) still works, sent with each chunk.
    """

    def __init__(self, workers: int, net: Network | None = None):
        self.workers = workers
        self.key = None
        if net is None:
            super().__init__(max_workers=workers)
            return
        self.key = network_key(net)
        super().__init__(max_workers=workers, initializer=_install,
                         initargs=(self.key, pickle.dumps(net, protocol=pickle.HIGHEST_PROTOCOL)))


def _is_dask(executor) -> bool:
    return all(hasattr(executor, a) for a in ("scatter", "submit", "scheduler_info"))


def _worker_count(executor) -> int:
    if _is_dask(executor):
        return max(1, len(executor.scheduler_info().get("workers", {})))
    return getattr(executor, "workers", None) or getattr(executor, "_max_workers", None) or 1


def plan(n: int, workers: int, budget: int, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` chunks of ``n`` points.

    With ``chunk_size`` None: the fewest equal chunks, a multiple of ``workers`` in
    number, of at most ``budget`` points (the evaluator's memory bound), so every
    worker gets the same work and pays the per-layer overhead as few times as it can.

        >>> plan(10, 2, 100)
        [(0, 5), (5, 10)]
        >>> plan(10, 2, 3)
        [(0, 3), (3, 6), (6, 9), (9, 10)]
    """
    if chunk_size is None:
        count = workers * math.ceil(n / (workers * budget))
        chunk_size = math.ceil(n / count)
    return [(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]


def run_chunks(net: Network, X: np.ndarray, y: np.ndarray, *, executor=None,
               chunk_size: int | None = None, output: str = "label", float64: bool = False,
               max_failures: int = 20, progress=None) -> list[ChunkResult]:
    """Check every point of ``(X, y)`` in chunks, on ``executor`` or in this process."""
    n = len(X)
    if executor is None:
        if chunk_size is None:
            return [check_chunk(net, X, y, 0, output=output, float64=float64,
                                max_failures=max_failures, progress=progress)]
        parts = []
        for s, e in plan(n, 1, n, chunk_size):
            parts.append(check_chunk(net, X[s:e], y[s:e], s, output=output, float64=float64,
                                     max_failures=max_failures))
            if progress is not None:
                progress(e, n)
        return parts

    chunks = plan(n, _worker_count(executor), points_per_chunk(net, n), chunk_size)
    key = network_key(net)
    blob = pickle.dumps(net, protocol=pickle.HIGHEST_PROTOCOL)
    if _is_dask(executor):
        payload = executor.scatter(blob, broadcast=True)
        submit = lambda *args: executor.submit(*args, pure=False)  # noqa: E731
        distributed = require("distributed", "dask", "verification on a Dask cluster")
        completed = lambda fs: distributed.as_completed(fs, loop=executor.loop)  # noqa: E731
    else:
        payload = None if getattr(executor, "key", None) == key else blob
        submit, completed = executor.submit, concurrent.futures.as_completed
    futures = {}
    for s, e in chunks:
        job = lambda: submit(_chunk_task, key, payload, X[s:e], y[s:e], s, output, float64,  # noqa: E731
                             max_failures)
        futures[_guarded(job, f"points {s}..{e - 1}", futures)] = (s, e)
    parts, done = [], 0
    try:
        for fut in completed(list(futures)):
            s, e = futures[fut]
            parts.append(_result(fut, f"points {s}..{e - 1}"))
            done += e - s
            if progress is not None:
                progress(done, n)
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()
    return parts


def run_tasks(executor, fn, jobs: list[tuple], on_done=None) -> list:
    """``[fn(*job) for job in jobs]`` on ``executor`` (an Executor or a Dask client), in order.

    ``on_done(job)`` is called as each finishes; a failed worker is a :class:`WorkerError`.
    """
    submit = (lambda *a: executor.submit(*a, pure=False)) if _is_dask(executor) else executor.submit
    futures: list = []
    for job in jobs:
        futures.append(_guarded(lambda: submit(fn, *job), f"the job {job!r}", futures))
    results = []
    try:
        for job, fut in zip(jobs, futures):
            results.append(_result(fut, f"the job {job!r}"))
            if on_done is not None:
                on_done(job)
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()
    return results


def _result(fut, what: str):
    """``fut.result()``; anything but a memorize error means the worker failed: WorkerError."""
    return _guarded(fut.result, what, ())


def _guarded(call, what: str, submitted):
    """``call()``, with any failure but a memorize error turned into a WorkerError.

    A pool whose worker died is broken at the next submit as well as at the next
    result; on failure the futures already ``submitted`` are cancelled.
    """
    try:
        return call()
    except MemorizeError:
        raise
    except Exception as exc:
        for fut in submitted:
            fut.cancel()
        raise WorkerError(
            f"a worker failed on {what} ({type(exc).__name__}: {str(exc) or 'no message'}); "
            "no verdict: run again, with fewer workers or more memory per worker"
        ) from None


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S):
    """A Dask ``distributed.Client`` for the scheduler at ``address`` with at least one worker.

    Raises :class:`WorkerError` within about ``timeout`` seconds when the address is
    malformed, the scheduler cannot be reached or it has no worker, and
    :class:`~memorize.extras.MissingExtraError` without the ``dask`` extra.
    """
    distributed = require("distributed", "dask", "verification on a Dask cluster (--scheduler)")
    hint = "start one with `dask scheduler` and pass the address it prints (tcp://HOST:PORT)"
    try:
        scheme, location = distributed.comm.parse_address(address)
        host, port = distributed.comm.parse_host_port(location)
    except ValueError as exc:
        raise WorkerError(f"{address!r} is not a scheduler address ({exc}); {hint}") from None
    if scheme in ("tcp", "tls"):
        # a plain connection first: a refused or unroutable address fails fast and quietly
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            raise WorkerError(f"cannot reach a Dask scheduler at {address!r} ({exc}); {hint}") from None
    class Client(distributed.Client):
        # A client that failed to connect is garbage: its finalizer would spend seconds
        # closing it and print a traceback; the error below says all there is to say.
        def __del__(self):
            if self.status == "running":
                super().__del__()

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError or ValueError, version-dependent
        raise WorkerError(
            f"cannot talk to a Dask scheduler at {address!r} within {timeout:g} s "
            f"({type(exc).__name__}: {exc}); {hint}"
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception:
        client.close()
        raise WorkerError(
            f"the Dask scheduler at {address!r} has no worker; start some with `dask worker {address}`"
        ) from None
    return client


@contextmanager
def executor_for(net: Network | None, workers: int = 1, scheduler: str | None = None):
    """The executor ``--workers``/``--scheduler`` ask for (None for one local process), closed after."""
    if scheduler is not None:
        client = connect(scheduler)
        try:
            yield client
        finally:
            client.close()
    elif workers > 1:
        with WorkerPool(workers, net) as pool:
            yield pool
    else:
        yield None
