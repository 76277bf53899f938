"""The SVG charts: well-formed XML, labelled for a screen reader, the figures in order and
in a table, nothing the Content-Security-Policy refuses, and empty or zero data drawn."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

from server.http.charts import Bar, Series, Stack, bar_chart, column_chart, step_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on anything that is not well-formed XML


def _svg(fig: ET.Element) -> ET.Element:
    svg = fig.find(f"{SVG}svg")
    assert svg is not None
    return svg


def _texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def _check_accessible(fig: ET.Element, title: str) -> None:
    svg = _svg(fig)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == title
    ids = svg.get("aria-labelledby").split()
    assert ids == [svg.find(f"{SVG}title").get("id"), svg.find(f"{SVG}desc").get("id")]
    assert svg.get("viewBox").startswith("0 0 ") and svg.get("width") == "100%"


def _no_inline_style(markup) -> None:
    assert "style=" not in str(markup) and "<style" not in str(markup)
    assert "<script" not in str(markup)


def test_bar_chart_draws_each_value_in_order_with_a_table():
    bars = [Bar("Drills", 12), Bar("Ladders", 3.5), Bar('Laptops <15">', 0)]
    markup = bar_chart(bars, chart_id="util", title="Utilization", desc="Share of time out")
    fig = _parse(markup)
    _check_accessible(fig, "Utilization")
    _no_inline_style(markup)
    svg = _svg(fig)
    widths = [float(r.get("width")) for r in svg.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > widths[2] == 0
    texts = _texts(svg)
    assert [t for t in texts if t in {"12", "3.5", "0"}] == ["12", "3.5", "0"]
    rows = [[c.text for c in tr] for tr in fig.iter("tr")][1:]
    assert rows == [["Drills", "12"], ["Ladders", "3.5"], ['Laptops <15">', "0"]]


def test_a_long_label_is_cut_and_kept_whole_in_its_tooltip():
    name = "Cordless hammer drill with two batteries and a case"
    svg = _svg(_parse(bar_chart([Bar(name, 1)], chart_id="x", title="t")))
    label = next(t for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end")
    assert label.text.endswith("…") and len(label.text) < len(name)
    assert label.find(f"{SVG}title").text == name


def test_a_bar_may_link_to_the_rows_behind_it():
    svg = _svg(
        _parse(
            bar_chart(
                [Bar("Tools", 2, href="/reports/value?category=Tools&x=1")],
                chart_id="v",
                title="Value",
            )
        )
    )
    link = svg.find(f"{SVG}a")
    assert link.get("href") == "/reports/value?category=Tools&x=1"


def test_all_zero_bars_draw_no_length_and_no_division_by_zero():
    svg = _svg(_parse(bar_chart([Bar("a", 0), Bar("b", 0)], chart_id="z", title="t")))
    assert [float(r.get("width")) for r in svg.iter(f"{SVG}rect")] == [0, 0]


def test_empty_data_says_so_in_the_chart():
    for markup in (
        bar_chart([], chart_id="e", title="Value"),
        step_chart([Series("out", [])], chart_id="e2", title="Out"),
        column_chart([], [Stack("lost", [])], chart_id="e3", title="Lost"),
    ):
        fig = _parse(markup)
        svg = _svg(fig)
        assert svg.get("role") == "img"
        assert any("Nothing to chart" in t for t in _texts(svg))


def test_step_chart_with_a_second_series_and_a_reference_line():
    days = [dt.date(2026, 9, 1) + dt.timedelta(days=i * 10) for i in range(9)]
    out = Series("Units out", [(d, i % 4) for i, d in enumerate(days)])
    owned = Series("Units owned", [(days[0], 5), (days[5], 6)])
    markup = step_chart(
        [out, owned], chart_id="out", title="Drills out", reference=("Reorder point", 2)
    )
    fig = _parse(markup)
    _check_accessible(fig, "Drills out")
    _no_inline_style(markup)
    svg = _svg(fig)
    paths = list(svg.iter(f"{SVG}path"))
    assert [p.find(f"{SVG}title").text for p in paths] == ["Units out", "Units owned"]
    assert paths[0].get("d").startswith("M") and " H" in paths[0].get("d")
    assert any(line.get("class") == "chart-reference" for line in svg.iter(f"{SVG}line"))
    header = [c.text for c in fig.find(".//thead/tr")]
    assert header == ["Date", "Units out", "Units owned", "Reorder point"]
    rows = [[c.text for c in tr] for tr in fig.find(".//tbody")]
    assert rows[0] == ["2026-09-01", "0", "5", "2"]
    assert rows[6] == ["2026-10-31", "2", "6", "2"]  # owned holds its last step


def test_step_chart_of_one_day_does_not_divide_by_zero():
    svg = _svg(
        _parse(step_chart([Series("out", [(dt.date(2026, 1, 1), 0)])], chart_id="one", title="t"))
    )
    assert re.match(r"M[\d.]+ [\d.]+", next(svg.iter(f"{SVG}path")).get("d"))


def test_column_chart_stacks_layers_and_totals_them():
    months = ["Sep 2026", "Oct 2026", "Nov 2026"]
    markup = column_chart(
        months,
        [Stack("Adjusted down", [3, 0, 5]), Stack("Lost", [1, 0, 0])],
        chart_id="shrink",
        title="Shrinkage by month",
    )
    fig = _parse(markup)
    _check_accessible(fig, "Shrinkage by month")
    _no_inline_style(markup)
    rects = list(_svg(fig).iter(f"{SVG}rect"))
    assert len(rects) == 3  # zero values draw nothing
    heights = [float(r.get("height")) for r in rects]
    assert abs(heights[0] / heights[1] - 3) < 0.02 and abs(heights[2] / heights[1] - 5) < 0.02
    rows = [[c.text for c in tr] for tr in fig.find(".//tbody")]
    assert rows == [
        ["Sep 2026", "3", "1", "4"],
        ["Oct 2026", "0", "0", "0"],
        ["Nov 2026", "5", "0", "5"],
    ]


def test_column_chart_refuses_layers_of_the_wrong_length():
    import pytest

    with pytest.raises(ValueError, match="2 values for 3"):
        column_chart(["a", "b", "c"], [Stack("x", [1, 2])], chart_id="w", title="t")


def test_text_from_data_is_escaped():
    markup = bar_chart([Bar("<script>alert(1)</script>", 1)], chart_id="s", title="a & b")
    assert "<script>" not in str(markup)
    assert _svg(_parse(markup)).find(f"{SVG}title").text == "a & b"
