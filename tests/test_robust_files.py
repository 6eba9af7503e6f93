"""Files and the command line under hostile input (issue 13): bounded reads, the format
enforced as documented, atomic saves, and exit codes that mean one thing each."""

import io
import json
import os
import zipfile
from fractions import Fraction

import numpy as np
import pytest

from memorize import ConstructionError, DataError, FormatError, Layer, Network, NetworkError, build, cli, data, formats
from memorize.cli import main
from memorize.datafile import load_data


def run(argv, capsys):
    """(exit status, stdout, stderr) of the CLI, whether it returns or exits."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def files(tmp_path):
    """A small data set and a network memorizing it, on disk."""
    X, y = data.random_separated(30, 2, 0.1, num_classes=3, seed=1)
    d = tmp_path / "d.npz"
    np.savez(d, X=X, y=y)
    net = tmp_path / "net.json"
    formats.save(build("relu_two_layer", X, y), net)
    return d, net


def small_doc() -> dict:
    return formats.to_dict(Network(2, (Layer.from_dense([[1, 2]], [3], "identity"),)))


def write(tmp_path, text: str, name="n.json"):
    path = tmp_path / name
    path.write_text(text)
    return path


# -- wrong verdicts through the CLI ---------------------------------------------------

def step_file(tmp_path, t):
    net = Network(1, (Layer.from_entries(1, 1, [(0, 0, 1)], [-t], "step"),
                      Layer.from_entries(1, 1, [(0, 0, 1)], [0], "identity")))
    path = tmp_path / "step.json"
    formats.save(net, path)
    return path


@pytest.mark.parametrize("X, t", [
    (np.array([[2**53 + 1]], dtype=np.int64), 2**53 + 1),
    (np.array([[np.longdouble(1) + np.longdouble(2) ** -60]]), Fraction(2**60 + 1, 2**60)),
])
def test_cli_verdict_on_points_float64_would_round_is_failed(tmp_path, capsys, X, t):
    path = tmp_path / "x.npz"
    np.savez(path, X=X, y=np.array([0]))
    code, out, _ = run(["verify", str(step_file(tmp_path, t)), "--data", str(path)], capsys)
    assert code == 1 and "FAILED" in out


@pytest.mark.parametrize("X", [np.array([["9007199254740993"]]), np.array([[1 + 1j]])])
def test_cli_refuses_strings_and_complex(tmp_path, capsys, X):
    path = tmp_path / "x.npz"
    np.savez(path, X=X, y=np.array([0]))
    code, _, err = run(["verify", str(step_file(tmp_path, 1)), "--data", str(path)], capsys)
    assert code == 2 and "does not denote real numbers" in one_line(err)


# -- network files: bounded reads --------------------------------------------------------

def test_network_path_that_is_not_a_regular_file(tmp_path, capsys, files):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it would block forever: it must be refused before
    for path, kind in ((tmp_path, "directory"), (fifo, "FIFO"), ("/dev/zero", "device")):
        with pytest.raises(FormatError, match=kind):
            formats.load(path)
        code, _, err = run(["verify", str(path), "--data", str(files[0])], capsys)
        assert code == 2 and kind in one_line(err)


def test_sparse_file_above_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "sparse.json"
    with open(path, "wb") as fh:
        fh.truncate(2 << 30)  # 2 GiB of holes: costs nothing unless read
    with pytest.raises(FormatError, match="above the limit"):
        formats.load(path)
    with pytest.raises(FormatError, match="above the limit"):
        formats.load(tmp_path / "sparse.json", max_bytes=1 << 20)


@pytest.mark.parametrize("depth", [2000, 100_000])
def test_deeply_nested_json_is_a_format_error(tmp_path, depth):
    with pytest.raises(FormatError, match="deep"):
        formats.load(write(tmp_path, "[" * depth + "]" * depth))
    doc = json.dumps(small_doc(), separators=(",", ":"))[:-1] + ',"meta":' + "[" * depth + "]" * depth + "}"
    with pytest.raises(FormatError, match="deep"):
        formats.load(write(tmp_path, doc.replace(',"meta":{}', "")))


def test_meta_nesting_is_capped_on_load_and_save(tmp_path):
    doc = small_doc()
    doc["meta"] = {"a": json.loads("[" * 40 + "]" * 40)}
    with pytest.raises(FormatError, match="nested deeper"):
        formats.from_dict(doc)
    deep = []
    for _ in range(100):
        deep = [deep]
    net = Network(1, (Layer.from_dense([[1]], [0], "identity"),), {"deep": deep})
    with pytest.raises(NetworkError, match="nested deeper"):
        formats.save(net, tmp_path / "deep.json")


def test_big_fractions_load_in_linear_time(tmp_path):
    n = 1 << 20  # hex digits in each part: Fraction's own gcd took 28 s here
    doc = small_doc()
    doc["layers"][0]["bias"] = ["0x" + "f" * n + "/0x" + "f" * (n - 1) + "e"]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    net = formats.load(path)
    assert net.layers[0].bias[0].denominator == 16**n - 2


# -- network files: the format exactly as documented -------------------------------------

@pytest.mark.parametrize("mutate, match", [
    (lambda d: d["layers"][0]["bias"].__setitem__(0, "0x1\n"), "not a number"),
    (lambda d: d["layers"][0]["bias"].__setitem__(0, " 0x1"), "not a number"),
    (lambda d: d["layers"][0]["bias"].__setitem__(0, "0x٣"), "not a number"),
    (lambda d: d["layers"][0]["bias"].__setitem__(0, "0x3/0x1"), "denominator 1"),
    (lambda d: d.__setitem__("version", True), "version"),
    (lambda d: d.__setitem__("version", 1.0), "version"),
    (lambda d: d["layers"][0]["weights"].append([0, 0, "0x0"]), "twice"),
    (lambda d: d.__setitem__("extra", 1), "unknown field"),
    (lambda d: d["layers"][0].__setitem__("extra", 1), "unknown field"),
    (lambda d: d["layers"][0].__setitem__("out_dim", 1 << 30), "out_dim"),
])
def test_loader_enforces_the_documented_format(mutate, match):
    doc = small_doc()
    mutate(doc)
    with pytest.raises(FormatError, match=match):
        formats.from_dict(doc)


def test_duplicate_keys_and_non_json_constants_are_refused(tmp_path):
    text = json.dumps(small_doc(), separators=(",", ":"))
    with pytest.raises(FormatError, match="twice"):
        formats.load(write(tmp_path, text[:-1] + ',"input_dim":2}'))
    with pytest.raises(FormatError, match="NaN is not a JSON value"):
        formats.load(write(tmp_path, text.replace('"meta":{}', '"meta":{"r":NaN}')))
    with pytest.raises(FormatError, match="Infinity is not a JSON value"):
        formats.load(write(tmp_path, text.replace('"meta":{}', '"meta":{"r":-Infinity}')))


# -- saving is atomic ----------------------------------------------------------------------

def test_failed_save_leaves_no_file_and_keeps_the_old_one(tmp_path):
    bad = Network(1, (Layer.from_dense([[1]], [0], "identity"),), {"tags": {1, 2}})
    with pytest.raises(NetworkError, match="set"):
        formats.save(bad, tmp_path / "new.json")
    assert list(tmp_path.iterdir()) == []
    good = Network(1, (Layer.from_dense([[2]], [0], "identity"),))
    formats.save(good, tmp_path / "old.json")
    with pytest.raises(NetworkError):
        formats.save(bad, tmp_path / "old.json")
    assert formats.load(tmp_path / "old.json") == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json"]


def test_save_to_a_directory_or_a_missing_folder(tmp_path):
    net = Network(1, (Layer.from_dense([[1]], [0], "identity"),))
    with pytest.raises(FormatError, match="directory"):
        formats.save(net, tmp_path)
    with pytest.raises(FormatError, match="does not exist"):
        formats.save(net, tmp_path / "no" / "net.json")


# -- data files ------------------------------------------------------------------------------

def npy_header(shape, dtype="<f8") -> bytes:
    """The magic and header of an .npy array, without its data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def zip_with(path, members: dict):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, raw in members.items():
            z.writestr(name, raw)
    return path


@pytest.mark.parametrize("shape", [(10**9, 10), (10**18,)])
def test_array_headers_are_checked_before_reading(tmp_path, capsys, shape, files):
    path = zip_with(tmp_path / "bomb.npz", {"X.npy": npy_header(shape), "y.npy": npy_header((1,), "<i8")})
    code, _, err = run(["verify", str(files[1]), "--data", str(path)], capsys)
    assert code == 2 and "above the limit" in one_line(err)


def test_compressed_array_above_the_limit(tmp_path, capsys, files):
    path = tmp_path / "z.npz"
    np.savez_compressed(path, X=np.zeros((1 << 18, 2)), y=np.zeros(1 << 18, dtype=np.int64))
    assert path.stat().st_size < 1 << 16  # 4 MiB of zeros compress to a few KiB
    code, _, err = run(["verify", str(files[1]), "--data", str(path), "--max-bytes", str(1 << 20)], capsys)
    assert code == 2 and "above the limit" in one_line(err)


def test_pickled_arrays_are_never_loaded(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, X=np.array([[1.0]], dtype=object), y=np.array([0]))
    with pytest.raises(DataError, match="pickle"):
        load_data(path)


@pytest.mark.parametrize("make, match", [
    (lambda p: zip_with(p, {}), "missing array(s) X, y"),
    (lambda p: np.save(p, np.zeros((2, 2))) or p.with_suffix(".npz.npy").rename(p), "single .npy"),
    (lambda p: p.write_bytes(b"hello world"), "not an .npz archive"),
    (lambda p: np.savez(p, X=np.zeros((2, 1))), "missing array(s) y"),
])
def test_bad_data_files_one_clear_line(tmp_path, capsys, files, make, match):
    path = tmp_path / "bad.npz"
    make(path)
    code, _, err = run(["verify", str(files[1]), "--data", str(path)], capsys)
    line = one_line(err)
    assert code == 2 and match in line
    assert "pickle" not in line and line.count("np.savez") <= 1


def test_data_path_that_is_not_a_regular_file(tmp_path, capsys, files):
    code, _, err = run(["verify", str(files[1]), "--data", "/dev/zero"], capsys)
    assert code == 2 and "device" in one_line(err)


# -- the command line ----------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["build", "relu_two_layer", "--data", "D", "--out", "OUT", "--seed", "-1"],
    ["demo", "--n", "20", "--seed", "-1"],
    ["build", "relu_two_layer", "--data", "D", "--out", "TMP"],
    ["build", "relu_two_layer", "--data", "D", "--out", "TMP/no/net.json"],
    ["reproduce", "--out", "D"],
    ["verify", "N", "--data", "D", "--max-bytes", "0"],
])
def test_cli_bad_arguments_exit_2_with_one_line(tmp_path, capsys, files, argv):
    subst = {"D": str(files[0]), "N": str(files[1]), "OUT": str(tmp_path / "o.json"), "TMP": str(tmp_path)}
    argv = [subst.get(a, a.replace("TMP", str(tmp_path))) for a in argv]
    code, _, err = run(argv, capsys)
    assert code == 2
    one_line(err)


def test_cli_json_is_strict_json(tmp_path, capsys):
    X, y = np.array([[0.5, 0.25]]), np.array([1])  # one point: separation is infinite
    d = tmp_path / "one.npz"
    np.savez(d, X=X, y=y)
    net = tmp_path / "one.json"
    assert run(["build", "relu_two_layer", "--data", str(d), "--out", str(net), "--quiet"], capsys)[0] == 0
    code, out, _ = run(["verify", str(net), "--data", str(d), "--json"], capsys)

    def refuse(name):
        raise ValueError(name)

    assert code == 0 and json.loads(out, parse_constant=refuse)["ok"] is True


def test_internal_errors_exit_3_and_say_bug(tmp_path, capsys, files, monkeypatch):
    def broken(*args, **kwargs):
        raise TypeError("simulated defect")

    monkeypatch.setattr(cli, "verify", broken)
    code, _, err = run(["verify", str(files[1]), "--data", str(files[0])], capsys)
    line = one_line(err)
    assert code == 3 and "bug" in line and "TypeError: simulated defect" in line
    code, _, err = run(["verify", str(files[1]), "--data", str(files[0]), "--debug"], capsys)
    assert code == 3 and "Traceback" in err


def test_sublinear_options_have_ranges():
    X, y = data.random_separated(10, 2, 0.1, seed=0)
    for key in ("directions", "depth", "width", "block_size"):
        with pytest.raises(ConstructionError, match=key):
            build("relu_sublinear", X, y, **{key: 10**18})


@pytest.mark.parametrize("argv", [["demo", "--n", "1000000000"], ["demo", "--d", "0"], ["demo", "--delta", "nan"]])
def test_demo_sizes_are_bounded(capsys, argv):
    code, _, err = run(argv, capsys)
    assert code == 2
    one_line(err)
