"""The statistics page's chart, drawn on the server as SVG: per month, faxes sent, faxes
stopped and near misses (ヒヤリハット) side by side, with Japanese (or English) labels, readable
without scripts and printable. Presentation attributes only (the pages' CSP allows no inline style)."""

from __future__ import annotations

from xml.sax.saxutils import escape

# (counter, label, colour): colours told apart also in greyscale print.
SERIES = (("sent", "Sent", "#0b4f9c"), ("blocked", "Stopped", "#8a1c00"), ("near_misses", "Near misses", "#e0a100"))
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 300, 48, 48, 36


def chart(months: list[str], values: dict[str, dict[str, int]], gettext, title: str, japanese: bool) -> str:
    """`values`: month → counter → count. Each bar carries its number; the axis counts up to the largest."""
    top = max([1] + [values[m][name] for m in months for name, _, _ in SERIES])
    step = _step(top)
    scale_top = -(-top // step) * step
    plot_w, plot_h = WIDTH - LEFT - 12, HEIGHT - TOP - BOTTOM
    group = plot_w / max(1, len(months))
    bar = min(28.0, group * 0.8 / len(SERIES))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="chart-title chart-desc" id="stats-chart" class="chart" '
             f'font-family="IPAexGothic, Noto Sans CJK JP, sans-serif" font-size="14">',
             f'<title id="chart-title">{escape(title)}</title>',
             '<desc id="chart-desc">' + escape("; ".join(
                 f"{m}: " + ", ".join(f"{gettext(label)} {values[m][name]}" for name, label, _ in SERIES)
                 for m in months)) + '</desc>']
    for tick in range(0, scale_top + 1, step):
        y = TOP + plot_h - plot_h * tick / scale_top
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 12}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#333">{tick}</text>')
    for index, month in enumerate(months):
        x0 = LEFT + group * index + (group - bar * len(SERIES)) / 2
        for offset, (name, label, colour) in enumerate(SERIES):
            value = values[month][name]
            h = plot_h * value / scale_top
            x, y = x0 + bar * offset, TOP + plot_h - h
            parts.append(f'<rect class="bar-{name}" x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(f"{month} {gettext(label)}: {value}")}</title></rect>')
            if value:  # zeros are the axis; numbers only where there is a bar
                parts.append(f'<text x="{x + (bar - 2) / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="12" '
                             f'fill="#111">{value}</text>')
        label = f"{int(month[5:])}月" if japanese else month
        parts.append(f'<text x="{LEFT + group * index + group / 2:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" '
                     f'fill="#111">{escape(label)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 12}" y2="{TOP + plot_h}" stroke="#111"/>')
    x = LEFT
    for name, label, colour in SERIES:  # the legend, in words
        parts.append(f'<rect x="{x}" y="8" width="16" height="16" fill="{colour}"/>')
        parts.append(f'<text x="{x + 22}" y="22" fill="#111" class="legend">{escape(gettext(label))}</text>')
        x += 30 + 15 * len(gettext(label))
    parts.append("</svg>")
    return "".join(parts)


def _step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if top / step <= 6:
            return step
    return 10 ** len(str(top))
