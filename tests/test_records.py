"""Every registered construction, through its record (issue 14): exact on generated data
with counts equal to its formulas, every option validated by its table, the citation and
docs page in one place."""

import inspect
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import memorize
from memorize import verify
from memorize.cli import main
from memorize.constructions import available, build, get
from memorize.errors import ConstructionError
from memorize.testing import datasets

ROOT = Path(__file__).resolve().parents[1]
NAMES = available()


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets(n=st.integers(1, 24), d=st.integers(1, 3), num_classes=st.integers(1, 3),
                   kind=st.sampled_from(["ball", "pairs"])),
       seed=st.integers(0, 2**32 - 1))
def test_memorizes_with_counts_equal_to_the_formulas(name, ds, seed):
    X, y = ds
    net = build(name, X, y, seed=seed)
    assert verify.is_memorizing(net, X, y)
    assert verify.count_mismatches(net) == {}
    assert verify.matches_counts(net)


@pytest.mark.parametrize("name", NAMES)
def test_a_changed_count_is_caught(name):
    # The same meta on a network with one more (identity) layer: depth, neurons and
    # connections no longer match the formulas.
    X, y = memorize.data.random_separated(20, 2, delta=0.05, num_classes=2, seed=1)
    net = build(name, X, y)
    extra = memorize.Layer.from_dense([[1]], [0], "identity")
    forged = memorize.Network(net.input_dim, net.layers + (extra,), net.meta)
    assert verify.is_memorizing(forged, X, y) and not verify.matches_counts(forged)
    assert set(verify.count_mismatches(forged)) >= {"depth"}


@pytest.mark.parametrize("name", NAMES)
def test_record_is_complete(name):
    rec = get(name)
    assert rec.citation and rec.theorem and rec.guarantee and rec.summary
    assert (ROOT / rec.docs).is_file()
    # The module is named after the construction and the builder after both.
    assert rec.builder.__module__ == f"memorize.constructions.{name}"
    assert rec.builder.__name__ == f"build_{name}"
    # The table lists exactly the builder's keyword options, with the same defaults.
    params = {k: p.default for k, p in inspect.signature(rec.builder).parameters.items()
              if p.kind is inspect.Parameter.KEYWORD_ONLY and k != "seed"}
    assert params == rec.defaults()
    # The bound of the same name exists and is the one bounds_for picks by default.
    assert rec.bounds().construction == name


@pytest.mark.parametrize("name,option,value", [
    (name, opt.name, bad) for name in NAMES for opt in get(name).options for bad in opt.invalid()
])
def test_bad_options_are_refused_before_building(name, option, value):
    X, y = memorize.data.random_separated(5, 2, delta=0.1, seed=0)
    with pytest.raises(ConstructionError, match=f"option {option} of {name}"):
        build(name, X, y, **{option: value})


@pytest.mark.parametrize("name", NAMES)
def test_unknown_option_names_the_known_ones(name):
    X, y = memorize.data.random_separated(5, 2, delta=0.1, seed=0)
    with pytest.raises(ConstructionError, match="has no option 'colour'"):
        build(name, X, y, colour=1)


@pytest.mark.parametrize("name", NAMES)
def test_cli_parses_every_option_through_the_table(name, capsys):
    rec = get(name)
    for opt in rec.options:
        text = "none" if opt.default is None else str(opt.default)
        assert rec.parse_option(opt.name, text) == opt.default
    assert main(["info", name]) == 0
    out = capsys.readouterr().out
    assert rec.reference in out and rec.docs in out
    for opt in rec.options:
        assert opt.name in out and opt.allowed() in out


def test_meta_theorem_is_the_records_reference():
    X, y = memorize.data.random_separated(10, 2, delta=0.1, seed=0)
    for name in NAMES:
        assert build(name, X, y).meta["theorem"] == get(name).reference


def test_matches_counts_needs_a_construction():
    net = memorize.Network(1, (memorize.Layer.from_dense([[1]], [0], "identity"),))
    with pytest.raises(memorize.DataError, match="no construction"):
        verify.matches_counts(net)


@pytest.mark.parametrize("name", NAMES)
def test_builder_docstring_follows_numpydoc(name):
    doc = inspect.getdoc(get(name).builder)
    for section in ("Parameters", "Returns", "Raises", "Examples", "See Also", "References"):
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, section
    params = doc.split("\nParameters\n")[1].split("\nReturns\n")[0]
    for key in ["X", "y", "seed"] + [o.name for o in get(name).options]:
        assert f"\n{key} : " in "\n" + params, key
    assert "matches_counts" in doc and "is_memorizing" in doc
