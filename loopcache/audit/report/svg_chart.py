"""Bar charts as inline SVG strings (no library, no network): grouped or stacked vertical bars.

Every chart is `<svg class="chart" data-chart=NAME>` with one `<rect class="bar">` per drawn value, so the
HTML page's self-check (and a test) can count what rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 56
PALETTE = ("#2f6fb3", "#e08a2c", "#4a9a5b", "#b84a4a", "#7d5ba6", "#8c8c8c", "#3aa6a6", "#c2a300")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{100 * value:.0f}%"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    if value >= 10 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.3g}"


def bar_chart(name: str, title: str, labels: tuple[str, ...], series: tuple[Series, ...], stacked: bool = False, percent: bool = False) -> str:
    """An SVG bar chart. `labels` name the x positions; each series gives one value per label."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))] if stacked else [max((s.values[i] for s in series), default=0) for i in range(len(labels))]
    top = 1.0 if percent else max(totals + [0.0]) or 1.0
    slot = plot_w / max(1, len(labels))
    bar_w = slot * 0.8 if stacked else slot * 0.8 / max(1, len(series))
    parts = [
        f'<svg class="chart" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#444"/>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{_fmt(value, percent)}</text>')
    every = max(1, len(labels) // 25)
    for i, label in enumerate(labels):
        x0 = LEFT + slot * i + slot * 0.1
        base = TOP + plot_h
        for k, s in enumerate(series):
            value = max(0.0, s.values[i])
            h = plot_h * min(value, top) / top
            x = x0 if stacked else x0 + bar_w * k
            y = base - h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bar_w, 1):.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)} {escape(s.name)}: {_fmt(value, percent)}</title></rect>'
            )
            if stacked:
                base = y
        if i % every == 0:
            parts.append(
                f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{TOP + plot_h + 14}" font-size="10" text-anchor="middle">{escape(label)}</text>'
            )
    for k, s in enumerate(series):
        x = LEFT + 150 * k
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 9}" font-size="11">{escape(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
