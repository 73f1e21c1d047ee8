"""Server-rendered SVG charts: horizontal bars, a line over time, a histogram.

Each function returns Markup that is safe to embed in a page: every label is escaped, the
SVG carries only presentation attributes and classes (the CSP forbids inline styles), it
scales with its container through viewBox and width="100%", and it names itself with a
<title> and a <desc> that reads out every value for screen readers.
"""

import hashlib
import math
from collections import Counter

from markupsafe import Markup, escape

WIDTH = 360  # viewBox units; at phone width one unit is about one CSS pixel
FONT = 12
BAR_COLOUR = "#b71c1c"
NEGATIVE_COLOUR = "#6c757d"
AXIS_COLOUR = "#adb5bd"
TEXT_COLOUR = "#212529"
# The theme's secondary grey (portal.css): 5.6:1 on the page. axe-core does not check SVG text.
MUTED_COLOUR = "#5c636a"
LABEL_MAX_CHARS = 9  # longer names are cut with "…" on the chart; the full name is in the tooltip


def text_width(text, size=FONT):
    """Roughly how wide `text` is drawn: a CJK character is one em, Latin about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in str(text))


def shorten(text, max_chars=LABEL_MAX_CHARS):
    """The label cut to `max_chars` characters with an ellipsis."""
    text = str(text)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def format_number(value):
    """A value as people read it: 12, 12.5, -3, 1,432."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _chart_id(kind, title, *data):
    digest = hashlib.sha1(repr((kind, title, data)).encode(), usedforsecurity=False).hexdigest()[:10]
    return f"chart-{kind}-{digest}"


def _svg(kind, title, summary, height, body, extra_class=""):
    """Wrap chart elements in an accessible, responsive <svg>."""
    chart_id = _chart_id(kind, title, summary, height)
    classes = f"chart chart-{kind} {extra_class}".strip()
    # Every text that reaches `body`, the title and the summary went through escape(); the rest is numbers.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{classes}" viewBox="0 0 {WIDTH} {height:g}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" data-chart="{kind}" font-family="sans-serif">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(summary)}</desc>'
        f"{''.join(body)}</svg>"
    )


def _empty(kind, title, message="暂无数据"):
    body = [f'<text x="{WIDTH / 2:g}" y="34" text-anchor="middle" font-size="{FONT}" '
            f'fill="{MUTED_COLOUR}" class="chart-empty">{escape(message)}</text>']
    return _svg(kind, title, f"{title}：{message}", 60, body, "chart-is-empty")


def _describe(title, labels, values, unit):
    items = "；".join(f"{label} {format_number(value)}{unit}" for label, value in zip(labels, values, strict=True))
    return f"{title}：{items}"


def bar_chart(labels, values, unit="", title="", highlight=None):
    """Horizontal bars, one per label, the label on the left and the value at the bar's end.

    Negative values extend left of a zero line. `highlight` is a set of labels drawn in a
    stronger outline (the user's own branch, say).
    """
    labels = [str(label) for label in labels]
    values = [float(v) if isinstance(v, float) else int(v) for v in values]
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    if not labels:
        return _empty("bar", title)
    highlight = set(highlight or ())
    row, bar_height, top = 26, 16, 6
    label_width = min(max(text_width(shorten(label)) for label in labels), LABEL_MAX_CHARS * FONT) + 6
    value_texts = [f"{format_number(v)}{unit}" for v in values]
    value_width = max(text_width(t, FONT - 1) for t in value_texts) + 6
    plot_left, plot_right = label_width, WIDTH - value_width
    low, high = min(0, *values), max(0, *values)
    span = (high - low) or 1
    scale = (plot_right - plot_left - (value_width if low < 0 else 0)) / span
    zero = plot_left + (value_width if low < 0 else 0) + (0 - low) * scale
    height = top * 2 + row * len(labels)
    body = [f'<line x1="{zero:.1f}" y1="{top - 2}" x2="{zero:.1f}" y2="{height - top + 2}" '
            f'stroke="{AXIS_COLOUR}" stroke-width="1" class="chart-axis"/>']
    for index, (label, value, value_text) in enumerate(zip(labels, values, value_texts, strict=True)):
        y = top + index * row
        length = abs(value) * scale
        x = zero if value >= 0 else zero - length
        colour = BAR_COLOUR if value >= 0 else NEGATIVE_COLOUR
        outline = f' stroke="{TEXT_COLOUR}" stroke-width="1.5"' if label in highlight else ""
        text_x = x + length + 4 if value >= 0 else x - 4
        anchor = "start" if value >= 0 else "end"
        body.append(
            f'<g class="chart-row"><title>{escape(label)}：{escape(value_text)}</title>'
            f'<text x="{label_width - 6:.1f}" y="{y + bar_height - 3}" text-anchor="end" font-size="{FONT}" '
            f'fill="{TEXT_COLOUR}" class="chart-label">{escape(shorten(label))}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{max(length, 0.5):.1f}" height="{bar_height}" rx="2" '
            f'fill="{colour}"{outline} class="chart-bar"/>'
            f'<text x="{text_x:.1f}" y="{y + bar_height - 3}" text-anchor="{anchor}" font-size="{FONT - 1}" '
            f'fill="{MUTED_COLOUR}" class="chart-value">{escape(value_text)}</text></g>'
        )
    return _svg("bar", title, _describe(title, labels, values, unit), height, body)


def _nice_step(span, target=4):
    """A round step (1, 2, 5 x 10^n) that cuts `span` into about `target` pieces."""
    if span <= 0:
        return 1
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(factor * magnitude for factor in (1, 2, 5, 10) if raw <= factor * magnitude)


def _ticks(low, high, integers=True):
    step = _nice_step(high - low)
    if integers:
        step = max(1, math.ceil(step))
    start = math.floor(low / step) * step
    end = math.ceil(high / step) * step
    count = round((end - start) / step)
    return [start + i * step for i in range(count + 1)]


def line_chart(labels, values, unit="", title=""):
    """Values over time (oldest first) as a line with a dot per point and a zero line."""
    labels = [str(label) for label in labels]
    values = list(values)
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    if not labels:
        return _empty("line", title)
    height, left, right, top, bottom = 200, 34, 10, 12, 28
    ticks = _ticks(min(0, *values), max(0, *values, 1), all(float(v).is_integer() for v in values))
    low, high = ticks[0], ticks[-1]
    plot_h = height - top - bottom
    step_x = (WIDTH - left - right) / max(len(values) - 1, 1)

    def y_of(value):
        return top + plot_h - (value - low) / (high - low) * plot_h

    body = []
    for tick in ticks:
        y = y_of(tick)
        colour = TEXT_COLOUR if tick == 0 else AXIS_COLOUR
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{colour}" '
                    f'stroke-width="{1 if tick == 0 else 0.5}" class="chart-grid"/>'
                    f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT - 2}" '
                    f'fill="{MUTED_COLOUR}" class="chart-tick">{escape(format_number(tick))}</text>')
    points = [(left + i * step_x if len(values) > 1 else (left + WIDTH - right) / 2, y_of(v))
              for i, v in enumerate(values)]
    body.append('<polyline fill="none" stroke="{}" stroke-width="2" class="chart-line" points="{}"/>'.format(
        BAR_COLOUR, " ".join(f"{x:.1f},{y:.1f}" for x, y in points)))
    every = max(1, math.ceil(len(labels) / 6))  # at most about six labels along the bottom
    for index, ((x, y), label, value) in enumerate(zip(points, labels, values, strict=True)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{BAR_COLOUR}" class="chart-point">'
                    f'<title>{escape(label)}：{escape(format_number(value))}{escape(unit)}</title></circle>')
        if (len(labels) - 1 - index) % every == 0:
            body.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="{FONT - 2}" '
                        f'fill="{MUTED_COLOUR}" class="chart-label">{escape(label)}</text>')
    return _svg("line", title, _describe(title, labels, values, unit), height, body)


def histogram_bins(values, max_bins=8):
    """[(low, high, count), ...] covering the values with equal, whole-number-friendly bins."""
    return count_bins(Counter(values).items(), max_bins)


def count_bins(counted, max_bins=8):
    """histogram_bins() of values given as (value, how many times) pairs, e.g. from a GROUP BY."""
    counted = [(value, count) for value, count in counted if count > 0]
    if not counted:
        return []
    low, high = min(value for value, _ in counted), max(value for value, _ in counted)
    if low == high:
        return [(low, high, sum(count for _, count in counted))]
    width = _nice_step(high - low, max_bins)
    if all(float(value).is_integer() for value, _ in counted):
        width = max(1, math.ceil(width))
    start = math.floor(low / width) * width
    count = math.floor((high - start) / width) + 1
    bins = [[start + i * width, start + (i + 1) * width, 0] for i in range(count)]
    for value, times in counted:
        bins[min(int((value - start) // width), count - 1)][2] += times
    return [tuple(b) for b in bins]


def _bin_label(low, high, integers):
    if low == high:
        return format_number(low)
    if integers:
        return f"{format_number(low)}~{format_number(high - 1)}" if high - 1 > low else format_number(low)
    return f"{format_number(low)}~{format_number(high)}"


def histogram(values, unit="", title="", count_unit="人"):
    """How many values fall into each range, as vertical bars with the count on top.

    The ranges are labelled without the unit (it would crowd a phone); the title, the text
    alternative and each bar's tooltip carry it.
    """
    return histogram_of_counts(Counter(values).items(), unit, title, count_unit)


def histogram_of_counts(counted, unit="", title="", count_unit="人"):
    """histogram() of values given as (value, how many times) pairs.

    A page about thousands of people passes a few dozen pairs from a GROUP BY instead of one
    value per person.
    """
    counted = [(value, count) for value, count in counted if count > 0]
    if not counted:
        return _empty("histogram", title)
    integers = all(float(value).is_integer() for value, _ in counted)
    bins = count_bins(counted)
    labels = [_bin_label(low, high, integers) for low, high, _ in bins]
    counts = [count for _, _, count in bins]
    small = FONT - 2
    widest = max(text_width(label, small) for label in labels)
    height, left, right, top = 190, 8, 8, 18
    rotate = widest > (WIDTH - left - right) / len(bins) - 6  # side by side they would collide
    if rotate:
        # A label turned -30 degrees and ending under its bar reaches about 0.87 of its width leftwards.
        left = max(left, math.ceil(0.87 * widest - (WIDTH - right) / len(bins) / 2) + 6)
    bottom = 16 + (math.ceil(0.5 * widest) if rotate else 0)
    plot_h = height - top - bottom
    slot = (WIDTH - left - right) / len(bins)
    tallest = max(counts) or 1
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" '
            f'stroke="{AXIS_COLOUR}" stroke-width="1" class="chart-axis"/>']
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        x = left + index * slot + 2
        bar_h = count / tallest * plot_h
        y = top + plot_h - bar_h
        centre = x + (slot - 4) / 2
        label_y = top + plot_h + 13
        transform = f' transform="rotate(-30 {centre:.1f} {label_y})"' if rotate else ""
        body.append(
            f'<g class="chart-row"><title>{escape(label)}{escape(unit)}：{count}{escape(count_unit)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot - 4:.1f}" height="{max(bar_h, 0.5):.1f}" '
            f'fill="{BAR_COLOUR}" class="chart-bar"/>'
            f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="{FONT - 1}" '
            f'fill="{TEXT_COLOUR}" class="chart-value">{count}</text>'
            f'<text x="{centre:.1f}" y="{label_y}" text-anchor="{"end" if rotate else "middle"}" '
            f'font-size="{small}" fill="{MUTED_COLOUR}" class="chart-label"{transform}>{escape(label)}</text></g>'
        )
    summary = "；".join(f"{label}{unit} {count}{count_unit}" for label, count in zip(labels, counts, strict=True))
    return _svg("histogram", title, f"{title}：{summary}", height, body)
