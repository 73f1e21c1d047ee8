"""The SVG charts: escaped labels, no inline styles, empty data, negative values, accessible text."""

import pytest
from defusedxml import ElementTree as ET  # noqa: N817
from markupsafe import Markup

from portal.core import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert(1)</script>" onload="x'


def parse(markup):
    """The chart as an XML tree (which also proves it is well-formed)."""
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def bars(root):
    return [el for el in root.iter(f"{SVG}rect") if el.get("class") == "chart-bar"]


def assert_safe(markup):
    text = str(markup)
    assert "<script" not in text  # the hostile label's quote cannot close an attribute either: see below
    assert " style=" not in text and "<style" not in text
    root = parse(markup)
    assert all(el.get("style") is None for el in root.iter())
    assert not [el for el in root.iter() if el.tag.endswith("script") or el.tag.endswith("foreignObject")]
    for el in root.iter():
        assert not any(name.startswith("on") for name in el.attrib), el.attrib


@pytest.mark.parametrize("draw", [
    lambda: charts.bar_chart([HOSTILE, "综采一队党支部"], [3, 5], HOSTILE, HOSTILE),
    lambda: charts.line_chart([HOSTILE, "2月"], [1, 2], HOSTILE, HOSTILE),
    lambda: charts.histogram([1, 2, 3], HOSTILE, HOSTILE, HOSTILE),
])
def test_every_label_is_escaped(draw):
    markup = draw()
    assert_safe(markup)
    assert "&lt;script&gt;" in str(markup)
    root = parse(markup)
    # The hostile text survives as text (title/desc/tooltips), never as markup.
    texts = " ".join(el.text or "" for el in root.iter())
    assert "<script>alert(1)</script>" in texts


def test_bar_chart_has_one_bar_per_label_a_title_and_a_text_alternative():
    labels = ["综采一队党支部", "掘进二队党支部", "机电运输管理科第二党支部"]
    markup = charts.bar_chart(labels, [5.0, 1.5, 12.25], " 分", "各党支部人均积分")
    root = parse(markup)
    assert_safe(markup)
    assert len(bars(root)) == 3
    assert root.get("role") == "img" and root.get("width") == "100%" and root.get("viewBox").startswith("0 0 360 ")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "各党支部人均积分"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "综采一队党支部 5 分" in desc.text and "机电运输管理科第二党支部 12.2 分" in desc.text
    # A long name is shortened on the chart but kept whole in its tooltip.
    shown = [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "chart-label"]
    assert "机电运输管理科第…" in shown
    tips = [el.text for el in root.iter(f"{SVG}title")]
    assert "机电运输管理科第二党支部：12.2 分" in tips
    widths = [float(b.get("width")) for b in bars(root)]
    assert widths[2] > widths[0] > widths[1] > 0


def test_bar_chart_draws_negative_values_left_of_zero():
    root = parse(charts.bar_chart(["加分", "扣分"], [10, -5], " 分"))
    zero = float(next(el for el in root.iter(f"{SVG}line") if el.get("class") == "chart-axis").get("x1"))
    plus, minus = bars(root)
    assert float(plus.get("x")) == pytest.approx(zero)
    assert float(minus.get("x")) + float(minus.get("width")) == pytest.approx(zero, abs=0.2)
    assert float(minus.get("width")) == pytest.approx(float(plus.get("width")) / 2, abs=0.2)
    assert minus.get("fill") != plus.get("fill")
    values = [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "chart-value"]
    assert values == ["10 分", "-5 分"]


@pytest.mark.parametrize("draw", [
    lambda: charts.bar_chart([], [], " 分", "空"),
    lambda: charts.line_chart([], [], " 分", "空"),
    lambda: charts.histogram([], " 分", "空"),
])
def test_empty_data_says_so(draw):
    markup = draw()
    root = parse(markup)
    assert_safe(markup)
    assert "暂无数据" in str(markup) and not bars(root)
    assert root.find(f"{SVG}title").text == "空"


def test_line_chart_has_a_point_per_value_and_a_zero_line_with_negatives():
    labels = [f"{m}月" for m in range(1, 13)]
    values = [0, 3, 5, -2, 8, 0, 1, 2, 3, 4, 5, 6]
    root = parse(charts.line_chart(labels, values, " 分", "近 12 个月"))
    points = root.find(f"{SVG}polyline").get("points").split()
    assert len(points) == 12 and len(list(root.iter(f"{SVG}circle"))) == 12
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[3] > ys[0] > ys[4]  # -2 is drawn below 0, 8 above
    ticks = [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "chart-tick"]
    assert "0" in ticks and ticks[0].startswith("-")
    shown = [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "chart-label"]
    assert shown[-1] == "12月" and len(shown) <= 6


def test_line_chart_with_one_point_and_all_zero():
    root = parse(charts.line_chart(["11月"], [0], " 分"))
    assert len(list(root.iter(f"{SVG}circle"))) == 1


def test_histogram_bins_cover_every_value():
    values = [0, 1, 2, 3, 3, 10, 100, -4]
    bins = charts.histogram_bins(values)
    assert sum(count for _, _, count in bins) == len(values)
    assert bins[0][0] <= -4 and bins[-1][1] > 100
    widths = {high - low for low, high, _ in bins}
    assert len(widths) == 1  # equal bins
    root = parse(charts.histogram(values, " 分", "分布"))
    assert len(bars(root)) == len(bins)
    counts = [int(el.text) for el in root.iter(f"{SVG}text") if el.get("class") == "chart-value"]
    assert counts == [count for _, _, count in bins]


def test_histogram_of_identical_values_is_one_bar():
    assert charts.histogram_bins([7, 7, 7]) == [(7, 7, 3)]
    root = parse(charts.histogram([7, 7, 7], " 分"))
    assert len(bars(root)) == 1 and "7 分 3人" in root.find(f"{SVG}desc").text.replace("：", " ")


def test_small_integer_ranges_get_one_bin_per_value():
    bins = charts.histogram_bins([0, 1, 2, 3])
    assert [(low, high) for low, high, _ in bins] == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_mismatched_lengths_are_a_programming_error():
    with pytest.raises(ValueError):
        charts.bar_chart(["a", "b"], [1])
    with pytest.raises(ValueError):
        charts.line_chart(["a"], [1, 2])


def test_format_number_and_text_width():
    assert charts.format_number(1432) == "1,432" and charts.format_number(2.5) == "2.5"
    assert charts.format_number(3.0) == "3" and charts.format_number(-7) == "-7"
    assert charts.text_width("党支部") == 3 * charts.FONT
    assert charts.text_width("ab") == pytest.approx(2 * 0.6 * charts.FONT)


def test_histogram_labels_stay_inside_the_chart_on_a_phone():
    values = [-20, -2, 0, 3, 14, 150, 1200, 1437]
    root = parse(charts.histogram(values, " 分", "分布"))
    labels = [el for el in root.iter(f"{SVG}text") if el.get("class") == "chart-label"]
    assert labels and all("分" not in el.text for el in labels)  # the unit is in the title, not every bin
    for el in labels:
        reach = charts.text_width(el.text, int(el.get("font-size")))
        left_end = float(el.get("x")) - (0.87 * reach if el.get("transform") else reach / 2)
        assert left_end >= -1, el.text
    assert "分" in root.find(f"{SVG}desc").text


@pytest.mark.parametrize("values", [
    [0, 1, 2, 3, 3, 10, 100, -4], [7, 7, 7], [0, 1, 2, 3], [-20, -2, 0, 3, 14, 150, 1200, 1437],
    [1.5, 2.5, 2.5, 9.0], [],
])
def test_a_histogram_of_counted_values_is_the_histogram_of_the_values(values):
    counted = sorted({v: values.count(v) for v in values}.items(), reverse=True)  # as a GROUP BY gives them
    assert charts.count_bins(counted) == charts.histogram_bins(values)
    assert charts.histogram_of_counts(counted, " 分", "分布") == charts.histogram(values, " 分", "分布")
    assert charts.histogram_of_counts([*counted, (5, 0)], " 分", "分布") == charts.histogram(values, " 分", "分布")


# portal.css's page background, and the white of a card.
BACKGROUNDS = ("#f6f6f4", "#ffffff")


def _luminance(colour):
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one, other):
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("draw", [
    lambda: charts.bar_chart(["综采一队党支部", "掘进二队党支部"], [3, -2], "分"),
    lambda: charts.line_chart(["1月", "2月", "3月"], [4, -1, 6], "分"),
    lambda: charts.histogram([1, 2, 2, 3, 8], "分"),
    lambda: charts.bar_chart([], []),
])
def test_every_text_reads_at_4_5_to_1_on_the_page_and_on_a_card(draw):
    """axe-core leaves SVG text out of its contrast check, so the charts' text colours are checked here."""
    texts = list(parse(draw()).iter(f"{SVG}text"))
    assert texts
    for text in texts:
        for background in BACKGROUNDS:
            assert _contrast(text.get("fill"), background) >= 4.5, (text.text, text.get("fill"), background)
