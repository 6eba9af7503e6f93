"""Docs you can trust: every code example in README.md and docs/**/*.md is run here.

One test per Markdown file; its examples run in document order, in a fresh
temporary working directory, so a page reads as one session:

* ```python blocks run with ``exec`` in one namespace per file (a page's blocks
  build on each other: docs/digits.md's second block uses the network of its
  first), fresh for every file.
* ``>>>`` examples anywhere in a page run with :mod:`doctest`.
* ```bash / ```shell / ```sh blocks: each command line (``&&`` chains split into
  commands, ``# ...`` comments dropped) that starts with ``memorize`` is parsed by
  the CLI's own parser and run through :func:`memorize.cli.main`, in process.
  Square-bracketed optional arguments (``[--seed S]``) are dropped. Its exit status
  must be 0, or the ``N`` of an ``# exit N`` comment on the line. Placeholder
  files the docs name but do not create are made by the test (:data:`PLACEHOLDERS`).
  Every other line, and the ``memorize`` lines that cannot run here, are skipped
  only by a rule of :data:`SKIP_RULES` (a line no rule covers fails the test), and
  each skip is printed with its rule.
* ```json blocks of a network file (``"format": "memorize-network"``) must load
  with :func:`memorize.formats.from_dict`.
* Relative links and images (the committed figures) must exist inside the repository.
* A plain ``` block that starts with the first line a command printed earlier
  in the page is that command's output: it must equal the output, with times
  (numbers with two decimals, such as ``0.37``) masked.

Other fences (plain text layouts, tables) are not code.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import json
import re
import shlex
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from memorize import formats
from memorize.cli import main, make_parser
from memorize.network import Layer, Network

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("**/*.md"))

#: Lines that are not run, each with its reason: ``(regex on the command, reason)``.
#: ``memorize`` commands matched here are still parsed by the CLI's parser.
SKIP_RULES = [
    (r"^python3? -m venv\b|^\. \S+/activate$", "creates a virtual environment"),
    (r"^pip install\b", "installs packages (the tests run in an installed environment)"),
    (r"^python3? -m pytest\b", "runs the test suite, which contains this test"),
    (r"^(PYTHONPATH=\S+ )?python3? benchmarks/", "a benchmark: timings over minutes, run by hand"),
    (r"^dask (scheduler|worker)\b", "starts a Dask service (needs machines to run on)"),
    (r"--scheduler tcp://HOST", "needs a running Dask cluster (HOST is a placeholder)"),
    (r"^memorize reproduce\b",
     "full or quick sweeps take minutes; tests/test_reproduce.py runs the quick sweeps"),
]


def _classifier(path: Path) -> None:
    """``classifier.json``: a classifier with one output per class for DATA.npz.

    The label-memorizing network f (f(x_i) = y_i exactly) gets a ReLU layer
    computing relu(f - c) and relu(c - f) and an output -|f - c| per class c:
    the label's output is 0 and every other at most -1, so argmax = label.
    """
    with np.load(path.parent / "DATA.npz") as data:
        classes = int(data["y"].max()) + 1
    if not (path.parent / "net.json").exists():
        assert main(["build", "relu_two_layer", "--data", str(path.parent / "DATA.npz"),
                     "--out", str(path.parent / "net.json"), "--quiet"]) == 0
    net = formats.load(path.parent / "net.json")
    split = Layer.from_dense([[1], [-1]] * classes,
                             [v for c in range(classes) for v in (-c, c)], "relu")
    readout = Layer.from_dense([[-1 if j // 2 == c else 0 for j in range(2 * classes)]
                                for c in range(classes)], [0] * classes, "identity")
    formats.save(Network(net.input_dim, net.layers + (split, readout)), path)


def _data(path: Path) -> None:
    assert main(["data", "ball", "--n", "300", "--d", "5", "--classes", "3",
                 "--out", str(path), "--quiet"]) == 0


def _net(path: Path) -> None:
    if not (path.parent / "DATA.npz").exists():
        _data(path.parent / "DATA.npz")
    assert main(["build", "relu_two_layer", "--data", str(path.parent / "DATA.npz"),
                 "--out", str(path), "--quiet"]) == 0


#: Files the docs name but do not create, made when a command needs them and they are missing.
PLACEHOLDERS = {"DATA.npz": _data, "d.npz": _data, "net.json": _net, "classifier.json": _classifier}


@dataclass
class Block:
    lang: str
    text: str
    line: int


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown page, in order."""
    out, lang, body, start = [], None, [], 0
    for number, line in enumerate(text.splitlines(), 1):
        fence = re.match(r"^\s*```(\S*)\s*$", line)
        if fence and lang is None:
            lang, body, start = fence.group(1).lower(), [], number
        elif fence and line.strip() == "```":
            out.append(Block(lang, "\n".join(body) + "\n", start))
            lang = None
        elif lang is not None:
            body.append(line)
    assert lang is None, f"unclosed fence at line {start}"
    return out


def commands(block: Block) -> list[tuple[str, int | None]]:
    """``(command, expected exit status or None)`` for each command of a shell block."""
    out = []
    for line in block.text.splitlines():
        command, _, comment = line.partition(" #")
        if command.lstrip().startswith("#") or not command.strip():
            continue
        exit_ = re.match(r"\s*exit (\d+)", comment)
        for part in command.split("&&"):
            out.append((part.strip(), int(exit_.group(1)) if exit_ else None))
    return out


def _skip_reason(command: str) -> str | None:
    return next((why for rule, why in SKIP_RULES if re.search(rule, command)), None)


def _mask(text: str) -> str:
    """Times vary from run to run: numbers with two decimals become ``#``."""
    return re.sub(r"\b\d+\.\d\d\b", "#", text)


def run_memorize(command: str, cwd: Path) -> tuple[int, str]:
    argv = shlex.split(re.sub(r"\s\[[^\]]*\]", "", command))[1:]
    for arg in argv:
        if arg in PLACEHOLDERS and not (cwd / arg).exists() and not _writes(argv, arg):
            PLACEHOLDERS[arg](cwd / arg)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse errors and --help exit
            status = exc.code
    return status, out.getvalue()


def _writes(argv: list[str], arg: str) -> bool:
    """Whether ``arg`` is the file the command writes (``--out arg``)."""
    return any(a == "--out" and b == arg for a, b in zip(argv, argv[1:]))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = page.read_text()
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    outputs: dict[str, str] = {}  # a command's first printed line -> its output
    skipped = []
    for block in blocks(text):
        where = f"{page.relative_to(ROOT)}:{block.line}"
        if block.lang == "python":
            needs = re.findall(r"^\s*(?:from|import) (torch|sklearn|hypothesis|matplotlib)\b", block.text, re.M)
            for module in needs:  # an extra that is not installed: skipped with a reason
                pytest.importorskip(module, reason=f"{where} needs the {module} extra")
            if "from memorize.datasets import digits" in block.text:
                pytest.importorskip("sklearn", reason=f"{where} needs the examples extra")
            exec(compile(block.text, where, "exec"), namespace)  # noqa: S102 - the docs' own code
        elif block.lang in ("bash", "shell", "sh", "console"):
            for command, expected in commands(block):
                reason = _skip_reason(command)
                if command.startswith("memorize "):
                    argv = shlex.split(re.sub(r"\s\[[^\]]*\]", "", command))[1:]
                    make_parser().parse_args(argv)  # every documented command line parses
                    if reason is None:
                        status, output = run_memorize(command, tmp_path)
                        assert status == (expected or 0), f"{where}: `{command}` exited {status}"
                        if output.strip():
                            outputs[output.splitlines()[0]] = output
                        continue
                assert reason is not None, f"{where}: no rule runs or skips `{command}`"
                skipped.append((command, reason))
        elif block.lang == "json" and '"memorize-network"' in block.text:
            net = formats.from_dict(json.loads(block.text))
            assert isinstance(net, Network), where
        elif block.lang == "" and block.text.splitlines()[0] in outputs:
            shown = outputs[block.text.splitlines()[0]]
            assert _mask(block.text.rstrip()) == _mask(shown.rstrip()), (
                f"{where}: the output shown is not what the command prints now; run it and paste "
                "its output into the block")
    examples = doctest.DocTestParser().get_doctest(text, {"Fraction": Fraction}, page.name,
                                                  str(page), 0)
    if examples.examples:
        result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(examples)
        assert result.failed == 0, f"{page.name}: {result.failed} doctest example(s) failed"
    for command, reason in skipped:
        print(f"skipped by rule: {command!r}: {reason}")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_links_and_images_exist(page):
    """Every relative link and image of a page (the committed figures) is in the repository."""
    targets = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", page.read_text())
    for target in targets:
        if re.match(r"[a-z]+://|#|mailto:", target):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.relative_to(ROOT)} links to missing {target}"
        assert ROOT in path.parents or path == ROOT, f"{page.relative_to(ROOT)} links outside the repository"


def test_every_rule_is_used():
    """A rule that no documented line matches any more is dead: remove it."""
    lines = [c for page in PAGES for b in blocks(page.read_text())
             if b.lang in ("bash", "shell", "sh", "console") for c, _ in commands(b)]
    for rule, why in SKIP_RULES:
        assert any(re.search(rule, c) for c in lines), f"unused rule {rule!r} ({why})"


def test_block_parser_and_command_rules():
    page = "text\n```bash\nmemorize verify n.json --data d.npz  # exit 1: a tie\npip install x && memorize list\n```\n"
    (block,) = blocks(page)
    assert commands(block) == [("memorize verify n.json --data d.npz", 1),
                               ("pip install x", None), ("memorize list", None)]
    assert _skip_reason("pip install x") and _skip_reason("memorize list") is None
    assert _mask("build 0.37 s, N=400 r=1") == "build # s, N=400 r=1"
