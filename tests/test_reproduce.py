"""The quick reproduction: figures and tables written, every built network verified."""

import csv

import pytest

from memorize.errors import MemorizeError
from memorize.reproduce import FIGURES, reproduce

pytest.importorskip("matplotlib")


def test_quick_reproduction_writes_verified_tables_and_figures(tmp_path):
    messages = []
    result = reproduce(["params", "bits", "depth"], out=tmp_path, quick=True, progress=messages.append)
    assert messages
    for name in ("params", "bits"):
        rows = result["rows"][name]
        assert rows and all(row["verified"] for row in rows)
        with open(result["tables"][name]) as fh:
            table = list(csv.DictReader(fh))
        assert len(table) == len(rows)
        for path in result["figures"][name]:
            assert path.exists() and path.stat().st_size > 1000
        assert {p.suffix for p in result["figures"][name]} == {".png", ".pdf"}
    # Every construction on the branch took part, and the two-layer net grows linearly.
    assert {"relu_two_layer", "relu_bubeck", "relu_three_layer"} <= {r["construction"] for r in result["rows"]["params"]}
    assert result["slopes"]["params"]["relu_two_layer"] == pytest.approx(1.0, abs=0.05)
    # The depth figure either ran or says why not.
    assert result["rows"]["depth"] or any(f == "depth" for f, _, _ in result["skipped"])


def test_unknown_figure_is_an_error(tmp_path):
    with pytest.raises(MemorizeError, match="unknown figure"):
        reproduce(["nope"], out=tmp_path)
    assert "params" in FIGURES


def test_depth_figure_sweeps_relu_sublinear_budgets(tmp_path):
    result = reproduce(["depth"], out=tmp_path, quick=True)
    rows = result["rows"]["depth"]
    assert all(row["verified"] for row in rows)
    budgets = [row for row in rows if row["option"] == "depth"]
    assert len(budgets) >= 3
    assert [row["value"] for row in budgets] == sorted(row["value"] for row in budgets)
    assert all(row["depth"] <= row["value"] for row in budgets)  # the budget is respected
    # The width panel: each width limit respected, and width buys depth.
    widths = [row for row in rows if row["option"] == "width"]
    assert len(widths) == 5 and all(row["width"] <= row["value"] for row in widths)
    assert widths[-1]["depth"] < widths[0]["depth"] / 4
    assert (tmp_path / "figures" / "depth.png").stat().st_size > 1000


def _committed_rows(name):
    """The rows of the committed quick run (docs/figures/tables), typed as reproduce makes them."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "docs" / "figures" / "tables" / f"{name}.csv"
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for key, text in row.items():
            for kind in (int, float):
                try:
                    row[key] = kind(text)
                    break
                except ValueError:
                    pass
        row["verified"] = row["verified"] == "True"
    return rows


@pytest.mark.parametrize("name", FIGURES)
def test_every_panel_is_labelled(name):
    """Drawn from the committed tables: each panel names both axes and has a legend off the data."""
    from memorize.reproduce import _DRAW, _figure_class

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig, _ = _DRAW[name](_figure_class(), _committed_rows(name), 0)
    FigureCanvasAgg(fig).draw()  # lay out, so the legends' extents are known
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        legend = ax.get_legend()
        assert legend is not None and legend.get_texts()
        assert not legend.get_window_extent().overlaps(ax.get_window_extent())  # off the data
    labels = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    if name == "threshold":  # the worst-case bounds say they are worst case, beside this instance
        assert sum("worst case" in label for label in labels) == 2
        assert any("first layer (this instance)" in label for label in labels)
    if name == "depth":  # the axis says which count is plotted
        assert "connections" in fig.axes[0].get_ylabel()
    if name == "params":
        assert any("sqrt N" in label for label in labels) and any("VC" in label for label in labels)
