"""Charts drawn on the server as inline SVG: no JavaScript, every text escaped, readable by screen readers.

Each chart is an `<svg role="img">` labelled by its own `<title>` and `<desc>` (aria-labelledby), scales to
its container (a viewBox and width 100 %, no style attribute, which the CSP would refuse: the page's
`figure.chart` rule caps the width on a desktop) and stays
readable on a 360 px phone: row labels sit above their bars instead of eating the bar's width, and the
font is sized for the phone's scale. Values are printed as text at the end of every bar and at every
point, so nothing is told by colour alone; the colours have at least 3:1 contrast against white (and
white text printed on them at least 4.5:1). The pages show the numbers in a table beside each chart; the
chart is the picture, the table the record.

`None` is "no value" (a county with no volunteers last year has no growth): a bar chart prints n/a
instead of a bar, a line chart leaves a gap in the line.
"""
import itertools
import math
from collections.abc import Sequence

from flask_babel import gettext
from markupsafe import Markup, escape

WIDTH = 320
FONT = 13
SMALL = 11
# Contrast against white (WCAG relative luminance): 7.1, 4.8, 5.9, 9.6, 6.3, 5.5; white text on them the same.
PALETTE = ("#1d5c96", "#b0470a", "#2a7437", "#5b2a86", "#8a4a1c", "#a1205c")
TARGET_COLOUR = "#a40e26"
INK = "#1f2328"
MUTED = "#57606a"
# Stacked segments are told apart by pattern as well as colour: the second series is hatched, the third dotted.
PATTERNS = (None, "hatch", "dots", "cross", None, "hatch")

_ids = itertools.count(1)


def _text_width(text: str, size: float) -> float:
    """Rough printed width: CJK and full-width characters take a whole em, others about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def number_text(value: float | None, unit: str = "") -> str:
    """1234 -> "1,234", 36.1 -> "36.1", with the unit ("%" close up, others after a space); None -> n/a."""
    if value is None:
        return gettext("n/a")
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.1f}"
    else:
        text = f"{int(value):,}"
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {unit}"


def _chart_id() -> str:
    return f"chart-{next(_ids)}"


def _lines(text: str, size: float, width: float) -> list[str]:
    """The text broken into lines no wider than `width` (at spaces when there are any, else anywhere)."""
    lines, line = [], ""
    for word in text.split(" ") if " " in text else list(text):
        joined = f"{line} {word}" if line and " " in text else line + word
        if line and _text_width(joined, size) > width:
            lines.append(line)
            line = word
        else:
            line = joined
    return lines + [line]


def _fit(text: str, size: float, width: float = WIDTH) -> str:
    """One line: the text, or as much of it as fits with an ellipsis (the full text is in the <title>s)."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _svg(chart_id: str, height: float, title: str, desc: str, body: list[str], defs: str = "") -> Markup:
    """The chart's frame: the title on top (wrapped to the width), then the body moved down below it."""
    lines = _lines(str(title), FONT, WIDTH)
    shift = (len(lines) - 1) * (FONT + 4)
    height = math.ceil(height + shift)
    heading = "".join(f'<text x="0" y="{FONT + n * (FONT + 4)}" font-weight="bold">{escape(line)}</text>'
                      for n, line in enumerate(lines))
    body = [heading, f'<g transform="translate(0 {shift})">', *body, "</g>"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="{FONT}" fill="{INK}"'
        f' font-family="\'Noto Sans TC\',\'Noto Sans CJK TC\',\'Microsoft JhengHei\',sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    if defs:
        parts.append(f"<defs>{defs}</defs>")
    parts.extend(body)
    parts.append("</svg>")
    return Markup("".join(parts))


def _empty(title: str) -> Markup:
    chart_id = _chart_id()
    no_data = gettext("No data")
    body = [
        f'<rect x="0.5" y="{FONT + 14}" width="{WIDTH - 1}" height="48" fill="none" stroke="{MUTED}"'
        ' stroke-dasharray="4 3"/>',
        f'<text x="{WIDTH / 2}" y="{FONT + 14 + 29}" text-anchor="middle" fill="{MUTED}">{escape(no_data)}</text>',
    ]
    return _svg(chart_id, FONT + 14 + 52, title, no_data, body)


def _domain(values: Sequence[float], target: float | None) -> tuple[float, float]:
    """Zero is always in the scale (bars start there); the target too, so its line is on the chart."""
    known = [v for v in values if v is not None]
    if target is not None:
        known.append(target)
    low, high = min([0.0, *known]), max([0.0, *known])
    if high == low:
        high = low + 1
    return low, high


def _summary(rows, unit: str) -> str:
    """The desc line a screen reader reads: every label with its value, so the chart alone is complete."""
    return "; ".join(f"{label}: {number_text(value, unit)}" for label, value in rows)


def bar_chart(rows: Sequence[tuple[str, float | None]], *, title: str, unit: str = "",
              target: float | None = None) -> Markup:
    """Horizontal bars, one per row, label above its bar, value printed at the bar's end; a dashed
    target line across all rows when `target` is given."""
    rows = [(str(label), value) for label, value in rows]
    if not rows:
        return _empty(title)
    chart_id = _chart_id()
    values = [value for _, value in rows]
    longest = max(_text_width(number_text(v, unit), SMALL) for v in values)
    plot_left, plot_right = 1.0, WIDTH - longest - 8
    low, high = _domain(values, target)

    def x(value: float) -> float:
        return plot_left + (value - low) / (high - low) * (plot_right - plot_left)

    zero = x(0)
    top = FONT + 6
    body: list[str] = []
    if target is not None:
        top += SMALL + 4
    row_height, bar_height = FONT + 22, 14
    for index, (label, value) in enumerate(rows):
        y = top + index * row_height
        body.append(f'<text x="0" y="{y + FONT}">{escape(_fit(label, FONT))}</text>')
        bar_y = y + FONT + 4
        value_text = escape(number_text(value, unit))
        if value is None:
            body.append(f'<text x="{zero + 2:.1f}" y="{bar_y + 11}" font-size="{SMALL}" fill="{MUTED}">'
                        f'{value_text}</text>')
            continue
        left, right = sorted((zero, x(value)))
        body.append(f'<rect class="bar" x="{left:.2f}" y="{bar_y}" width="{right - left:.2f}"'
                    f' height="{bar_height}" fill="{PALETTE[0]}" data-value="{value}">'
                    f'<title>{escape(label)}: {value_text}</title></rect>')
        body.append(f'<text x="{max(right, zero) + 4:.1f}" y="{bar_y + 11}" font-size="{SMALL}">'
                    f'{value_text}</text>')
    bottom = top + len(rows) * row_height
    if low < 0:
        body.append(f'<line x1="{zero:.2f}" x2="{zero:.2f}" y1="{top}" y2="{bottom}" stroke="{MUTED}"/>')
    desc = _summary(rows, unit)
    if target is not None:
        tx = x(target)
        target_text = gettext("Target %(value)s", value=number_text(target, unit))
        anchor = "end" if tx > WIDTH / 2 else "start"
        body.append(f'<line class="target" x1="{tx:.2f}" x2="{tx:.2f}" y1="{top - 2}" y2="{bottom}"'
                    f' stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="5 3"/>')
        body.append(f'<text x="{tx:.1f}" y="{top - 5}" text-anchor="{anchor}" font-size="{SMALL}"'
                    f' fill="{TARGET_COLOUR}">{escape(target_text)}</text>')
        desc = f"{target_text}. {desc}"
    return _svg(chart_id, bottom + 4, title, desc, body)


def line_chart(points: Sequence[tuple[str, float | None]], *, title: str, unit: str = "",
               target: float | None = None) -> Markup:
    """A line over labelled points (months, years); None leaves a gap. Every point is marked and its value
    printed above it when there is room, otherwise every n-th and the last."""
    points = [(str(label), value) for label, value in points]
    if not points or all(value is None for _, value in points):
        return _empty(title)
    chart_id = _chart_id()
    values = [value for _, value in points]
    low, high = _domain(values, target)
    plot_top, plot_bottom = FONT + 14 + SMALL, 190.0
    plot_left, plot_right = 8.0, WIDTH - 8.0
    step = (plot_right - plot_left) / max(len(points) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        x = plot_left + index * step if len(points) > 1 else WIDTH / 2
        return x, plot_bottom - (value - low) / (high - low) * (plot_bottom - plot_top)

    widest = max(max(_text_width(label, SMALL), _text_width(number_text(v, unit), SMALL)) for label, v in points)
    # The first label starts at its point and the last ends at its own (they stay inside the frame), so a
    # centred label beside either needs one and a half widths of room, not one.
    room = 1.5 * widest + 6
    every = max(1, math.ceil(room / step)) if len(points) > 1 else 1
    body = [f'<line x1="{plot_left}" x2="{plot_right}" y1="{plot_bottom}" y2="{plot_bottom}" stroke="{MUTED}"/>']
    if target is not None:
        _, ty = xy(0, target)
        target_text = gettext("Target %(value)s", value=number_text(target, unit))
        body.append(f'<line class="target" x1="{plot_left}" x2="{plot_right}" y1="{ty:.2f}" y2="{ty:.2f}"'
                    f' stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="5 3"/>')
        body.append(f'<text x="{plot_right}" y="{ty - 4:.1f}" text-anchor="end" font-size="{SMALL}"'
                    f' fill="{TARGET_COLOUR}">{escape(target_text)}</text>')
    segment: list[str] = []
    segments: list[list[str]] = []
    for index, (_, value) in enumerate(points):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = xy(index, value)
        segment.append(f"{x:.2f},{y:.2f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            body.append(f'<polyline class="line" points="{" ".join(seg)}" fill="none" stroke="{PALETTE[0]}"'
                        ' stroke-width="2.5"/>')
    last = len(points) - 1
    for index, (label, value) in enumerate(points):
        shown = (index % every == 0 and (index == 0 or (last - index) * step >= room)) or index == last
        x = plot_left + index * step if len(points) > 1 else WIDTH / 2
        if shown:
            anchor = "start" if index == 0 and len(points) > 1 else "end" if index == last and len(points) > 1 \
                else "middle"
            body.append(f'<text x="{x:.1f}" y="{plot_bottom + SMALL + 5}" text-anchor="{anchor}"'
                        f' font-size="{SMALL}" fill="{MUTED}">{escape(label)}</text>')
        value_text = escape(number_text(value, unit))
        if value is None:
            continue
        _, y = xy(index, value)
        body.append(f'<circle class="point" cx="{x:.2f}" cy="{y:.2f}" r="3.5" fill="{PALETTE[0]}"'
                    f' data-value="{value}"><title>{escape(label)}: {value_text}</title></circle>')
        if shown:
            anchor = "start" if index == 0 and len(points) > 1 else "end" if index == last and len(points) > 1 \
                else "middle"
            body.append(f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="{anchor}" font-size="{SMALL}">'
                        f'{value_text}</text>')
    desc = _summary(points, unit)
    if target is not None:
        desc = f"{gettext('Target %(value)s', value=number_text(target, unit))}. {desc}"
    return _svg(chart_id, plot_bottom + SMALL + 10, title, desc, body)


def _pattern_defs(chart_id: str, count: int) -> str:
    defs = []
    for index in range(count):
        kind, colour = PATTERNS[index % len(PATTERNS)], PALETTE[index % len(PALETTE)]
        if kind is None:
            continue
        marks = {
            "hatch": '<path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" stroke="#fff" stroke-width="1.4"/>',
            "dots": '<circle cx="3" cy="3" r="1.2" fill="#fff"/>',
            "cross": '<path d="M0,3 H6 M3,0 V6" stroke="#fff" stroke-width="1"/>',
        }[kind]
        defs.append(f'<pattern id="{chart_id}-p{index}" width="6" height="6" patternUnits="userSpaceOnUse">'
                    f'<rect width="6" height="6" fill="{colour}"/>{marks}</pattern>')
    return "".join(defs)


def _fill(chart_id: str, index: int) -> str:
    if PATTERNS[index % len(PATTERNS)] is None:
        return PALETTE[index % len(PALETTE)]
    return f"url(#{chart_id}-p{index})"


def stacked_bar_chart(rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[str], *, title: str,
                      unit: str = "") -> Markup:
    """Horizontal bars split into the series' parts (e.g. online and paper applications per body), a legend
    on top; each row prints its parts as text ("3,425 / 1,935") at the bar's end, in legend order."""
    series = [str(name) for name in series]
    rows = [(str(label), [float(v or 0) for v in parts]) for label, parts in rows]
    if not rows or not series:
        return _empty(title)
    chart_id = _chart_id()
    totals = [sum(parts) for _, parts in rows]
    texts = [" / ".join(number_text(v if not float(v).is_integer() else int(v), unit) for v in parts)
             for _, parts in rows]
    longest = max(_text_width(text, SMALL) for text in texts)
    plot_left, plot_right = 1.0, WIDTH - longest - 8
    high = max([*totals, 0.0]) or 1.0
    scale = (plot_right - plot_left) / high
    body: list[str] = []
    # Legend: swatch and name, wrapping to a new line when the next would pass the right edge.
    lx, ly = 0.0, FONT + 8
    for index, name in enumerate(series):
        width = 16 + _text_width(name, SMALL) + 14
        if lx > 0 and lx + width > WIDTH:
            lx, ly = 0.0, ly + SMALL + 8
        body.append(f'<g class="legend"><rect x="{lx:.1f}" y="{ly}" width="12" height="12"'
                    f' fill="{_fill(chart_id, index)}" stroke="{INK}" stroke-width="0.5"/>'
                    f'<text x="{lx + 16:.1f}" y="{ly + 10}" font-size="{SMALL}">{escape(name)}</text></g>')
        lx += width
    top = ly + SMALL + 10
    row_height, bar_height = FONT + 22, 14
    for row_index, ((label, parts), text) in enumerate(zip(rows, texts, strict=True)):
        y = top + row_index * row_height
        body.append(f'<text x="0" y="{y + FONT}">{escape(_fit(label, FONT))}</text>')
        bar_y, x = y + FONT + 4, plot_left
        for index, value in enumerate(parts):
            width = value * scale
            if width > 0:
                name = series[index] if index < len(series) else ""
                body.append(f'<rect class="segment" x="{x:.2f}" y="{bar_y}" width="{width:.2f}"'
                            f' height="{bar_height}" fill="{_fill(chart_id, index)}" stroke="#fff"'
                            f' stroke-width="1" data-value="{value:g}"><title>{escape(label)} · {escape(name)}:'
                            f' {escape(number_text(value if not value.is_integer() else int(value), unit))}'
                            '</title></rect>')
            x += width
        body.append(f'<text x="{x + 4:.1f}" y="{bar_y + 11}" font-size="{SMALL}">{escape(text)}</text>')
    bottom = top + len(rows) * row_height
    desc = f"{' / '.join(series)}. " + "; ".join(f"{label}: {text}" for (label, _), text in zip(rows, texts,
                                                                                                 strict=True))
    return _svg(chart_id, bottom + 4, title, desc, body, _pattern_defs(chart_id, len(series)))
