"""The SVG charts as a browser reads them: parsed as XML, one bar per grid on the data's own axis, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from yinhui.export.charts import GridBar, grid_bars_svg, rate_line_svg, ticks, trend_svg

SVG = "{http://www.w3.org/2000/svg}"
BARS = [
    GridBar("老干部局（合计）", 0.95, "95% (+4)", before=0.91, total=True),
    GridBar("河底镇", 0.92, "92% (+2)", before=0.90),
    GridBar("城关镇", 1.0, "100% (+8)", before=0.92),
    GridBar("新社区", None, "无数据"),
]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything a browser would refuse as an image


def _of(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if e.get("class") == cls]


def test_one_bar_per_grid_in_order_with_widths_on_the_floor_to_full_axis():
    root = _parse(grid_bars_svg(BARS, floor=0.9, title="2026-10", legend=["2026-10", "2026-09"]))
    bars = _of(root, "rect", "bar")
    assert [b.find(SVG + "title").text for b in bars] == ["老干部局（合计） 95%", "河底镇 92%", "城关镇 100%"]
    widths = [float(b.get("width")) for b in bars]
    # 90% is the empty end, 100% the full one: 92% is a fifth of 100%'s bar, 95% a half.
    assert abs(widths[1] / widths[2] - 0.2) < 0.01 and abs(widths[0] / widths[2] - 0.5) < 0.01
    assert len({b.get("x") for b in bars}) == 1  # all start on the axis
    assert bars[0].get("fill") != bars[1].get("fill") == bars[2].get("fill")  # the total stands out
    names = _of(root, "text", "grid")
    assert [n.text for n in names] == ["老干部局（合计）", "河底镇", "城关镇", "新社区"]
    assert names[0].get("font-weight") == "bold" and names[1].get("font-weight") is None
    assert [f.text for f in _of(root, "text", "figure")] == ["95% (+4)", "92% (+2)", "100% (+8)"]
    figure_x = [float(f.get("x")) for f in _of(root, "text", "figure")]
    assert all(x > float(bars[0].get("x")) + w for x, w in zip(figure_x, widths, strict=True))  # at the bar's end


def test_a_grid_without_data_says_so_and_gets_no_bar():
    root = _parse(grid_bars_svg(BARS, floor=0.9, title="t"))
    assert [t.text for t in _of(root, "text", "no-data")] == ["无数据"]
    assert "新社区" not in "".join(b.find(SVG + "title").text for b in _of(root, "rect", "bar"))


def test_the_month_before_is_a_mark_placed_on_the_same_axis():
    root = _parse(grid_bars_svg(BARS, floor=0.9, title="t", legend=["2026-10", "2026-09"]))
    marks = [m for m in _of(root, "polygon", "before") if m.find(SVG + "title").text != "2026-09"]  # the legend's own
    assert [m.find(SVG + "title").text for m in marks] == ["老干部局（合计） 91%", "河底镇 90%", "城关镇 92%"]
    bar_left = float(_of(root, "rect", "bar")[0].get("x"))
    assert float(marks[1].get("points").split(",")[0]) == round(bar_left, 1)  # 90%: the empty end of the axis
    legend = [t.text for t in _of(root, "text", "legend")]
    assert legend == ["2026-10", "2026-09"]


def test_the_axis_is_labelled_in_round_percent_steps_from_its_floor():
    root = _parse(grid_bars_svg(BARS, floor=0.9, title="t"))
    assert [t.text for t in _of(root, "text", "tick-label")] == ["90%", "92%", "94%", "96%", "98%", "100%"]
    assert ticks(0.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] and ticks(0.5) == [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert ticks(0.8) == [0.8, 0.85, 0.9, 0.95, 1.0]


def test_text_is_escaped_there_is_no_script_and_chinese_fonts_are_named():
    svg = grid_bars_svg([GridBar("<script>alert(1)</script>&村", 0.5, "50%")], floor=0.4, title='"t" <b>')
    root = _parse(svg)
    assert "<script" not in svg and not list(root.iter(SVG + "script"))
    assert _of(root, "text", "grid")[0].text == "<script>alert(1)</script>&村"  # shown as text, not markup
    assert root.get("aria-label") == '"t" <b>'
    assert "WenQuanYi Micro Hei" in root.get("font-family") and "Noto Sans CJK SC" in root.get("font-family")
    assert int(root.get("width")) > 0 and int(root.get("height")) > 0  # an <img> gets a size of its own


def test_the_overview_trend_draws_a_bar_per_month_with_figures():
    root = _parse(trend_svg([("2026-09", 0.5), ("2026-10", None), ("2026-11", 0.95)], label="近12个月覆盖率"))
    bars = list(root.iter(SVG + "rect"))
    assert [b.find(SVG + "title").text for b in bars] == ["2026-09 50%", "2026-11 95%"]
    assert [b.get("fill") for b in bars] == ["#c62828", "#2e7d32"]  # poor, good
    assert root.find(SVG + "title").text == "近12个月覆盖率"


def test_the_county_line_has_a_point_per_month_with_data_and_a_gap_that_says_no_data():
    points = [("2026-07", 0.6), ("2026-08", 0.7), ("2026-09", None), ("2026-10", 0.95)]
    root = _parse(rate_line_svg(points, floor=0.5, title="全县覆盖率逐月", name="老干部局（合计）", no_data="无数据"))
    assert [t.text for t in _of(root, "text", "legend")] == ["老干部局（合计）"]
    assert [t.text for t in _of(root, "text", "month")] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert [t.text for t in _of(root, "text", "figure")] == ["60%", "70%", "95%"]
    assert [t.text for t in _of(root, "text", "no-data")] == ["无数据"]
    heights = [float(c.get("cy")) for c in _of(root, "circle", "point")]
    assert heights[0] > heights[1] > heights[2]  # higher rates are drawn higher
    lines = _of(root, "polyline", "line")
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # July to August; October stands alone
    assert [t.text for t in _of(root, "text", "tick-label")] == ["50%", "60%", "70%", "80%", "90%", "100%"]
