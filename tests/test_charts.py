"""The server-side SVG charts: well-formed, escaped, accessible, proportional, and honest about gaps."""
import re
import xml.etree.ElementTree as ET

import pytest

from portal.platform import charts
from portal.platform.charts import bar_chart, line_chart, number_text, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def texts(root) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    return 1.05 / (luminance(colour) + 0.05)


def assert_accessible(root):
    assert root.get("role") == "img"
    labelled = root.get("aria-labelledby").split()
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert labelled and set(labelled) <= ids
    assert root.find(f"{SVG}title").text
    assert root.get("viewBox").startswith("0 0 ")
    assert root.get("width") == "100%"


def test_bar_chart_is_well_formed_accessible_and_proportional():
    root = parse(bar_chart([("臺北市政府社會局", 300), ("新北市政府衛生局", 150), ("內政部", 0)],
                           title="線上申請人數", unit="人"))
    assert_accessible(root)
    assert root.find(f"{SVG}title").text == "線上申請人數"
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    widths = [float(bar.get("width")) for bar in bars]
    assert widths[0] == pytest.approx(2 * widths[1], rel=1e-3)
    assert widths[2] == 0
    # Values are printed as text, not told by colour alone; labels in Chinese as given.
    assert {"300 人", "150 人", "0 人"} <= set(texts(root))
    assert "臺北市政府社會局" in texts(root)
    assert "300 人" in root.find(f"{SVG}desc").text


def test_bar_chart_target_line_sits_at_the_target_value():
    root = parse(bar_chart([("A", 50.0), ("B", 100.0)], title="完整度", unit="%", target=90))
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    line = root.find(f".//{SVG}line[@class='target']")
    left = float(bars[1].get("x"))
    full = float(bars[1].get("width"))
    assert float(line.get("x1")) - left == pytest.approx(0.9 * full, rel=1e-3)
    assert any("90%" in t for t in texts(root))
    # A target above every value still fits: the scale reaches it.
    root = parse(bar_chart([("A", 10)], title="t", target=20))
    bar = root.find(f".//{SVG}rect[@class='bar']")
    line = root.find(f".//{SVG}line[@class='target']")
    assert float(line.get("x1")) - float(bar.get("x")) == pytest.approx(2 * float(bar.get("width")), rel=1e-3)
    assert float(line.get("x1")) < charts.WIDTH


def test_text_is_escaped_and_stays_text():
    hostile = '<script>alert("x")</script> & "q"'
    for markup in (bar_chart([(hostile, 1)], title=hostile, unit="<b>"),
                   line_chart([(hostile, 1), ("b", 2)], title=hostile),
                   stacked_bar_chart([(hostile, [1, 2])], [hostile, "紙本"], title=hostile)):
        assert "<script>" not in str(markup)
        root = parse(markup)
        assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))
        assert root.find(f"{SVG}title").text == hostile
        assert any(hostile in t for t in texts(root))


@pytest.mark.parametrize("draw", [
    lambda: bar_chart([], title="空的"),
    lambda: line_chart([], title="空的"),
    lambda: line_chart([("1月", None), ("2月", None)], title="空的"),
    lambda: stacked_bar_chart([], ["線上", "紙本"], title="空的"),
])
def test_empty_input_renders_a_no_data_chart(draw):
    root = parse(draw())
    assert_accessible(root)
    assert "No data" in texts(root)
    assert not root.findall(f".//{SVG}rect[@class='bar']")


def test_none_in_a_bar_chart_prints_na_instead_of_a_bar():
    root = parse(bar_chart([("有值", 5.0), ("無值", None)], title="成長率", unit="%"))
    assert len(root.findall(f".//{SVG}rect[@class='bar']")) == 1
    assert "n/a" in texts(root)


def test_negative_values_draw_left_of_zero():
    root = parse(bar_chart([("up", 2.0), ("down", -1.0)], title="growth", unit="%"))
    up, down = root.findall(f".//{SVG}rect[@class='bar']")
    assert float(down.get("x")) + float(down.get("width")) == pytest.approx(float(up.get("x")), abs=0.02)
    assert float(up.get("width")) == pytest.approx(2 * float(down.get("width")), rel=1e-3)


def test_line_chart_leaves_a_gap_for_none():
    root = parse(line_chart([("1月", 80), ("2月", 85), ("3月", None), ("4月", 90), ("5月", 95)],
                            title="完整度", unit="%", target=90))
    assert_accessible(root)
    lines = root.findall(f".//{SVG}polyline[@class='line']")
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    assert len(root.findall(f".//{SVG}circle[@class='point']")) == 4
    # Higher values sit higher (smaller y); the target line crosses at the 90 point's height.
    ys = {c.get("data-value"): float(c.get("cy")) for c in root.findall(f".//{SVG}circle[@class='point']")}
    assert ys["95"] < ys["90"] < ys["85"] < ys["80"]
    target = root.find(f".//{SVG}line[@class='target']")
    assert float(target.get("y1")) == pytest.approx(ys["90"], abs=0.02)


def test_line_chart_with_one_point_and_many_points():
    root = parse(line_chart([("113年", 7.0)], title="一點"))
    assert len(root.findall(f".//{SVG}circle[@class='point']")) == 1
    many = [(f"{m}月", m) for m in range(1, 61)]
    root = parse(line_chart(many, title="多點"))
    assert len(root.findall(f".//{SVG}circle[@class='point']")) == 60
    shown = [t for t in texts(root) if t.endswith("月")]
    assert "60月" in shown and len(shown) < 60  # thinned so labels do not overlap, the last always shown


def test_stacked_bar_chart_parts_are_proportional_with_a_legend():
    root = parse(stacked_bar_chart([("甲局", [3425, 1935]), ("乙局", [10, 0])], ["線上", "紙本"],
                                   title="申請管道", unit="人"))
    assert_accessible(root)
    legend = [t for g in root.iter(f"{SVG}g") if g.get("class") == "legend" for t in texts(g)]
    assert legend == ["線上", "紙本"]
    segments = root.findall(f".//{SVG}rect[@class='segment']")
    assert len(segments) == 3  # a zero part draws nothing
    online, paper, small = (float(s.get("width")) for s in segments)
    assert online / paper == pytest.approx(3425 / 1935, rel=1e-3)
    assert online / small == pytest.approx(342.5, rel=2e-2)  # widths are printed to 0.01
    assert float(segments[1].get("x")) == pytest.approx(float(segments[0].get("x")) + online, abs=0.02)
    assert "3,425 人 / 1,935 人" in texts(root)
    # The second series is patterned as well as coloured (not colour alone).
    assert segments[1].get("fill").startswith("url(#")
    pattern_id = re.search(r"#([^)]+)", segments[1].get("fill")).group(1)
    assert any(p.get("id") == pattern_id for p in root.iter(f"{SVG}pattern"))


def test_ids_are_unique_between_charts_on_one_page():
    first, second = parse(bar_chart([("a", 1)], title="a")), parse(bar_chart([("a", 1)], title="a"))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


def test_palette_contrast_against_white():
    for colour in (*charts.PALETTE, charts.TARGET_COLOUR, charts.MUTED, charts.INK):
        assert contrast_with_white(colour) >= 3, colour


def test_number_text():
    assert number_text(1234) == "1,234"
    assert number_text(36.1, "%") == "36.1%"
    assert number_text(5.0, "人") == "5 人"
    assert number_text(None) == "n/a"


def test_long_titles_wrap_and_long_labels_are_shortened_within_the_width():
    title = "各申請單位符合獎勵規定人數（線上與紙本）以及各縣市目標達成情形之比較"
    label = "Units without a sector authority of their own in the central field list of the ministry"
    root = parse(bar_chart([(label, 3)], title=title))
    heading = [t for t in texts(root) if t and t[0] in title]
    assert len(heading) == 2 and "".join(heading) == title
    shown = [t for t in texts(root) if t.startswith("Units")]
    assert shown[0].endswith("…") and len(shown[0]) < len(label)
    assert label in root.find(f".//{SVG}rect[@class='bar']/{SVG}title").text   # the whole label stays readable
    for text in texts(root):
        assert charts._text_width(text, charts.FONT) <= charts.WIDTH


@pytest.mark.parametrize("labels", [[f"{m}月" for m in range(1, 13)], [f"115年{m}月" for m in range(1, 13)],
                                    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]])
def test_line_chart_axis_labels_never_overlap(labels):
    """The first label is drawn from its point rightwards and the last leftwards: the labels beside them
    must leave room for that, not only for centred neighbours (Jan and Feb were printed as "JanFeb")."""
    svg = str(charts.line_chart([(label, float(i)) for i, label in enumerate(labels)], title="t"))
    root = ET.fromstring(svg)
    spans = []
    for text in root.iter("{http://www.w3.org/2000/svg}text"):
        if text.text in labels:
            x, width = float(text.get("x")), charts._text_width(text.text, float(text.get("font-size")))
            anchor = text.get("text-anchor")
            left = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
            spans.append((left, left + width))
    spans.sort()
    assert len(spans) >= 2 and spans[0][0] >= 0
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), spans
