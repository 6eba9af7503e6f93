"""Parallel verification gives the serial report, and fails loudly, never silently.

Chunked reports are compared with the serial one field by field (ok, failures in
order, exact step margin, float64 agreement) on hypothesis-generated networks and
data, with local processes and, when the dask extra is installed, a Dask cluster.
"""

import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from memorize import Layer, Network, build, data
from memorize.errors import MemorizeError, WorkerError
from memorize.verify import WorkerPool, verify
from memorize.verify.chunks import ChunkResult, merge
from memorize.verify.exact import evaluate
from reference import reference_outputs
from test_exact import networks
from helpers import cli_status as _cli

FIELDS = ("ok", "n_points", "n_failed", "failed", "failures", "min_margin", "float64_agrees",
          "float64_failed")


def _same(a, b):
    for f in FIELDS:
        assert getattr(a, f) == getattr(b, f), f


@st.composite
def cases(draw):
    """A random network and points, labelled by the network itself on most points:
    the report then has both passing and failing points."""
    net = draw(networks())
    point = st.tuples(*[st.floats(-4, 4, allow_nan=False, allow_subnormal=False)] * net.input_dim)
    X = np.array(draw(st.lists(point, min_size=1, max_size=30, unique_by=lambda p: tuple(v + 0.0 for v in p))))
    out = evaluate(net, X).output(0)
    y = np.array([int(v) if v.denominator == 1 and 0 <= v < 50 else draw(st.integers(0, 3))
                  for v in out])
    return net, X, y


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(2) as ex:
        yield ex


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases(), st.integers(1, 7))
def test_process_pool_report_equals_serial(pool, case, chunk):
    net, X, y = case
    serial = verify(net, X, y, max_failures=5)
    _same(verify(net, X, y, max_failures=5, executor=pool, chunk_size=chunk), serial)
    _same(verify(net, X, y, max_failures=5, chunk_size=chunk), serial)


def _tampered():
    """relu_sublinear, and a copy with one weight deep inside changed by one unit: the first
    weight, from the middle layer on, whose change moves some outputs but not all (the
    network's margins absorb most single-unit changes; the verifier only picks the
    candidate, the reference evaluator decides which outputs changed)."""
    X, y = data.random_separated(120, 3, 0.05, num_classes=4, seed=3)
    net = build("relu_sublinear", X, y, seed=0)
    for k in range(len(net.layers) // 2, len(net.layers)):
        layer = net.layers[k]
        for j in np.argsort([-abs(v) for v in layer.values])[:3].tolist():
            values = list(layer.values)
            values[j] += 1
            bad = Layer(layer.in_dim, layer.out_dim, layer.activation, layer.rows, layer.cols,
                        tuple(values), layer.bias)
            tampered = Network(net.input_dim, net.layers[:k] + (bad,) + net.layers[k + 1:])
            if 0 < verify(tampered, X, y, float64=False).n_failed < len(X):
                return net, tampered, X, y
    raise AssertionError("no single-unit change moved some outputs")  # pragma: no cover


def test_tampered_network_fails_exactly_where_its_output_changes():
    net, tampered, X, y = _tampered()
    assert verify(net, X, y).ok
    # the points whose output changes, by the naive Fraction evaluator
    before, _ = reference_outputs(net, X)
    after, _ = reference_outputs(tampered, X)
    changed = np.flatnonzero([a[0] != b[0] for a, b in zip(after, before)])
    assert 0 < len(changed) < len(X)
    serial = verify(tampered, X, y, max_failures=len(X))
    assert serial.failed == changed.tolist() and serial.n_failed == len(changed)
    with WorkerPool(2, tampered) as p:
        _same(verify(tampered, X, y, max_failures=len(X), executor=p, chunk_size=17), serial)
    with WorkerPool(2, net) as p:  # a pool holding the original: the tampered one is sent along
        _same(verify(tampered, X, y, max_failures=len(X), executor=p), serial)


class _Dies:
    """Unpickling this in a worker kills that worker (a stand-in for an out-of-memory kill)."""

    def __reduce__(self):
        return (os._exit, (3,))


def test_a_dying_worker_is_an_error_not_a_verdict():
    X, y = data.random_separated(40, 2, 0.05, num_classes=3, seed=0)
    net = build("relu_two_layer", X, y)
    doomed = Network(net.input_dim, net.layers, meta={"bomb": _Dies()})
    with ProcessPoolExecutor(2) as ex:
        with pytest.raises(WorkerError, match="points"):
            verify(doomed, X, y, executor=ex)
    with pytest.raises(WorkerError):
        with WorkerPool(2, doomed) as p:
            verify(doomed, X, y, executor=p)


def test_merge_refuses_missing_chunks():
    part = ChunkResult(0, 10, np.array([], dtype=np.intp), [], None, None)
    later = ChunkResult(20, 5, np.array([21]), [], Fraction(1, 3), None)
    with pytest.raises(WorkerError, match="0..9 of 25"):
        merge([part, later], 25, 20)
    merged = merge([later, part, ChunkResult(10, 10, np.array([12]), [], Fraction(1, 2), None)], 25, 20)
    assert (merged.n_failed, merged.failed, merged.min_margin) == (2, [12, 21], Fraction(1, 3))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_chunk_size(bad):
    X, y = data.random_separated(10, 2, 0.1, seed=0)
    with pytest.raises(MemorizeError, match="chunk_size"):
        verify(build("relu_two_layer", X, y), X, y, chunk_size=bad)


def test_network_pickles_for_workers():
    X, y = data.random_separated(10, 2, 0.1, seed=0)
    net = build("relu_sublinear", X, y)
    assert pickle.loads(pickle.dumps(net)) == net


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="the dask extra (memorize[dask]) is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


# the cluster's own threads use `random` while hypothesis draws: harmless here
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases(), st.integers(1, 7))
def test_dask_report_equals_serial(dask_client, case, chunk):
    net, X, y = case
    serial = verify(net, X, y, max_failures=5)
    _same(verify(net, X, y, max_failures=5, executor=dask_client, chunk_size=chunk), serial)


def test_dask_tampered(dask_client):
    net, tampered, X, y = _tampered()
    serial = verify(tampered, X, y, max_failures=len(X))
    assert not serial.ok
    _same(verify(tampered, X, y, max_failures=len(X), executor=dask_client), serial)


# -- the command line -------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from memorize import formats

    tmp = tmp_path_factory.mktemp("cli")
    X, y = data.random_separated(80, 3, 0.05, num_classes=3, seed=4)
    np.savez(tmp / "d.npz", X=X, y=y)
    formats.save(build("relu_sublinear", X, y), tmp / "net.json")
    bad = y.copy()
    bad[[5, 60]] = (bad[[5, 60]] + 1) % 3
    np.savez(tmp / "bad.npz", X=X, y=bad)
    return str(tmp / "net.json"), str(tmp / "d.npz"), str(tmp / "bad.npz")


def test_cli_workers(files, capsys):
    net, good, bad = files
    assert _cli(["verify", net, "--data", good, "--workers", "2", "--quiet"]) == 0
    assert _cli(["verify", net, "--data", bad, "--workers", "2", "--json"]) == 1
    assert '"failed": [5, 60]' in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--workers", "0"], ["--workers", "1.5"], ["--workers", "two"],
                                    ["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"]])
def test_cli_bad_parallel_options(files, capsys, option):
    net, good, _ = files
    assert _cli(["verify", net, "--data", good, *option]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "error" in err


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "no-port-here"])
def test_cli_unreachable_scheduler(files, capsys, address):
    pytest.importorskip("distributed", reason="the dask extra (memorize[dask]) is not installed")
    net, good, _ = files
    assert _cli(["verify", net, "--data", good, "--scheduler", address]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scheduler" in err[0] and "dask scheduler" in err[0]


def test_missing_dask_extra_is_named(monkeypatch):
    from memorize.extras import MissingExtraError
    from memorize.verify.parallel import connect

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    with pytest.raises(MissingExtraError, match=r"memorize\[dask\]"):
        connect("tcp://127.0.0.1:8786")


def test_reproduce_series_run_on_workers(pool):
    from memorize.reproduce import _size_series
    from memorize.verify.parallel import run_tasks

    keys = ("construction", "N", "params", "nonzero_params", "depth", "verified")
    (rows, skipped), = run_tasks(pool, _size_series, [("relu_two_layer", 0)])
    serial, _ = _size_series("relu_two_layer", 0)
    n = min(len(rows), len(serial))  # each series stops on its own time budget
    assert n >= 3 and not skipped
    assert [[r[k] for k in keys] for r in rows[:n]] == [[r[k] for k in keys] for r in serial[:n]]
    assert all(r["verified"] for r in rows)
