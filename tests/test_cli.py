import io
import json

import numpy as np
import pytest

import memorize
from memorize import data, formats, verify
from memorize.cli import demo, main
from memorize.progress import Progress
from helpers import cli_status as run

@pytest.fixture
def dataset(tmp_path):
    X, y = data.random_separated(120, 4, 0.05, num_classes=3, seed=2)
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=y)
    return path, X, y


@pytest.mark.parametrize("name", ["relu_two_layer", "threshold_one_hidden"])
def test_build_then_verify(tmp_path, dataset, capsys, name):
    path, X, y = dataset
    out = tmp_path / "net.json"
    assert main(["build", name, "--data", str(path), "--out", str(out), "--seed", "3"]) == 0
    assert main(["verify", str(out), "--data", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("ok", "n_points", "n_failed", "failed", "params", "nonzero_params", "neurons",
                "depth", "width", "max_bits", "total_bits", "min_margin", "float64_agrees"):
        assert key in report
    assert report["ok"] is True and report["n_points"] == 120
    # the saved network reloads and verifies identically
    again = verify.verify(formats.load(out), X, y)
    assert again.ok and again.params == report["params"] and again.max_bits == report["max_bits"]


def test_verify_exit_1_on_wrong_labels(tmp_path, dataset, capsys):
    path, X, y = dataset
    out = tmp_path / "net.json"
    main(["build", "relu_two_layer", "--data", str(path), "--out", str(out), "--quiet"])
    wrong = tmp_path / "w.npz"
    y2 = y.copy()
    y2[7] += 1
    np.savez(wrong, X=X, y=y2)
    assert main(["verify", str(out), "--data", str(wrong), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["failed"] == [7]


@pytest.mark.parametrize("argv, match", [
    (["build", "nope", "--data", "D", "--out", "x.json"], "unknown construction"),
    (["build", "relu_two_layer", "--data", "missing.npz", "--out", "x.json"], "not found"),
    (["build", "relu_two_layer", "--data", "D", "--out", "x.json", "--set", "foo=1"], "no option"),
    (["build", "relu_two_layer", "--data", "D", "--out", "x.json", "--set", "foo"], "key=value"),
    (["verify", "missing.json", "--data", "D"], "cannot read"),
    (["frobnicate"], "invalid choice"),
    (["demo", "--n", "1"], "in [2, "),  # one point has no separation to set the bounds at
])
def test_bad_input_exit_2_one_line(tmp_path, dataset, capsys, argv, match):
    argv = [str(dataset[0]) if a == "D" else a for a in argv]
    assert run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err


def test_bad_data_files(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    np.savez(bad, X=np.array([[np.nan]]), y=np.array([0]))
    assert main(["build", "relu_two_layer", "--data", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "not finite" in capsys.readouterr().err
    nokeys = tmp_path / "k.npz"
    np.savez(nokeys, A=np.zeros(1))
    assert main(["build", "relu_two_layer", "--data", str(nokeys), "--out", str(tmp_path / "x")]) == 2
    assert "missing array" in capsys.readouterr().err
    (tmp_path / "txt.npz").write_text("hello")
    assert main(["build", "relu_two_layer", "--data", str(tmp_path / "txt.npz"), "--out", "x"]) == 2


def test_list_and_demo(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("relu_two_layer ") for line in lines)
    assert main(["demo", "--n", "60", "--d", "3", "--large-n", "1500", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "verified" in out and "FAILED" not in out
    assert "theorem bound" in out and "lower" in out.splitlines()[1]
    assert any(line.startswith("* relu_sublinear") for line in out.splitlines())


def test_demo_table_headline_wins_at_the_larger_n(capsys):
    table = demo(n=60, d=3, large_n=1500)
    capsys.readouterr()
    small, large = table["parts"]
    assert [r["name"] for r in small["rows"]] == memorize.available()
    assert all(r["verified"] for p in table["parts"] for r in p["rows"])
    rows = {r["name"]: r for r in large["rows"]}
    assert large["n"] == 1500 and rows["relu_sublinear"]["headline"]
    # the headline beats the two-layer network in connections at the larger N
    assert rows["relu_sublinear"]["connections"] < rows["relu_two_layer"]["connections"]
    assert table["ratios"][1500][1] > 1
    for row in small["rows"] + large["rows"]:
        # the bound is in the row's own count, and the lower bound never exceeds the network
        assert row["bound_count"] in ("connections", "params") and row["bound"] > 0
        assert 1 <= row["lower"] <= row["connections"]
        if row["bound_exact"]:  # an exact theorem bound holds for the network built
            assert row[row["bound_count"]] <= row["bound"]
    # Zhang et al.'s exact count is the two-layer network's connections, 3N + d (its dense
    # params add the two zero biases of the linear layers)
    two = rows["relu_two_layer"]
    assert two["bound_count"] == "connections"
    assert two["bound"] == two["connections"] == 3 * 1500 + 3 == two["params"] - 2
    assert rows["relu_sublinear"]["bound_count"] == "connections"


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def test_progress_off_a_terminal_is_one_line_per_step():
    stream = _Stream(tty=False)
    bar = Progress("verifying net", stream=stream)
    for done in range(0, 101, 10):
        bar(done, 100)
    bar.close()
    built = Progress("building relu_two_layer", stream=stream)
    built.close()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert len(lines) == 2
    assert lines[0].startswith("verifying net: 100/100 done in ")
    assert lines[1].startswith("building relu_two_layer: done in ")


def test_progress_on_a_terminal_draws_a_bar_and_erases_it_when_transient():
    stream = _Stream(tty=True)
    bar = Progress("verifying", stream=stream)
    bar(100, 100)
    bar.close()
    assert stream.getvalue().startswith("\rverifying ...") and "[" + "#" * 30 + "] 100/100" in stream.getvalue()
    assert stream.getvalue().endswith("\n")
    stream = _Stream(tty=True)
    step = Progress("building relu_sublinear", stream=stream, transient=True)
    step.close()
    assert stream.getvalue() == "\rbuilding relu_sublinear ...\033[K\r\033[K"


def test_demo_progress_names_each_construction_without_carriage_returns(capsys):
    err = _Stream(tty=False)
    demo(n=30, d=3, large_n=200, out=io.StringIO(), err=err)
    text = err.getvalue()
    assert "\r" not in text
    for name in memorize.available():
        assert f"building {name}: done in " in text and f"verifying {name}: 30/30 done in " in text


def test_compare_prints_like_beside_like(tmp_path, capsys):
    X, y = data.random_separated(300, 4, 0.05, num_classes=3, seed=1)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert main(["build", "relu_sublinear", "--data", str(tmp_path / "d.npz"),
                 "--out", str(tmp_path / "n.json"), "--quiet"]) == 0
    assert main(["compare", str(tmp_path / "n.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("relu_sublinear against Vardi") and "connections" in out
    assert main(["compare", str(tmp_path / "n.json"), "--data", str(tmp_path / "d.npz"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"]["connections"] > 0 and "connections" in doc["lower"]


def test_version_and_aligned_list(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("memorize ")
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    starts = {len(line) - len(line.split(maxsplit=1)[1]) for line in lines}
    assert len(starts) == 1  # descriptions start in one column


@pytest.mark.parametrize("name", memorize.available())
def test_info_lists_every_option(name, capsys):
    assert main(["info", name]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{name}: ") and "reference: " in out
    for opt in memorize.get(name).options:
        assert f"  {opt.name} " in out


@pytest.mark.parametrize("kind,args", [("ball", ["--n", "40", "--classes", "3"]),
                                       ("sphere", ["--n", "30"]), ("pairs", ["--n", "20"]),
                                       ("circle", ["--delta", "0.5"])])
def test_data_writes_what_build_and_verify_read(tmp_path, capsys, kind, args):
    out = tmp_path / "d.npz"
    assert main(["data", kind, *args, "--d", "3", "--out", str(out), "--quiet"]) == 0
    assert main(["build", "relu_two_layer", "--data", str(out), "--out", str(tmp_path / "n.json"),
                 "--quiet"]) == 0
    assert main(["verify", str(tmp_path / "n.json"), "--data", str(out), "--quiet"]) == 0
    assert main(["data", kind, "--out", str(tmp_path / "missing" / "d.npz")]) == 2


def test_quiet_verify_prints_nothing_but_json(tmp_path, capsys):
    X, y = data.random_separated(30, 2, 0.1, num_classes=2, seed=0)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert main(["build", "relu_two_layer", "--data", str(tmp_path / "d.npz"),
                 "--out", str(tmp_path / "n.json"), "--quiet"]) == 0
    assert main(["verify", str(tmp_path / "n.json"), "--data", str(tmp_path / "d.npz"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["verify", str(tmp_path / "n.json"), "--data", str(tmp_path / "d.npz"),
                 "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
