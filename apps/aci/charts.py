"""Server-rendered inline SVG charts (no JavaScript, no external asset). Each chart carries a
text alternative (role="img", <title>, <desc>) so screen readers get the figures too."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _num(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


def progress_bar(value: Decimal | None, target: Decimal | None, *, label: str, unit: str = "") -> SafeString:
    """A horizontal bar: the value against the target (the bar is full at 100 %, capped at 120 %)."""
    width, height = 300, 28
    ratio = float(value / target) if value is not None and target else 0.0
    shown = max(0.0, min(ratio, 1.2))
    fill = 250 * shown / 1.2
    target_x = 250 / 1.2
    colour = "var(--ok, #1e7b34)" if ratio >= 1 else ("#b26a00" if ratio >= 0.5 else "var(--err, #b3261e)")
    percent = f"{round(ratio * 100)} %" if value is not None and target else "—"
    title = (
        f"{label} : {_num(value)} sur une cible de {_num(target)} {unit}".strip()
        if target is not None
        else f"{label} : {_num(value)} {unit} (aucune cible fixée)".replace("  ", " ")
    )
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above or numeric
        f'<svg class="chart chart-progress" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMid meet">'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="6" width="250" height="16" rx="8" fill="#e3e8ee"/>'
        f'<rect x="0" y="6" width="{fill:.1f}" height="16" rx="8" fill="{colour}"/>'
        + (
            f'<line x1="{target_x:.1f}" x2="{target_x:.1f}" y1="2" y2="26" stroke="#1c2430" stroke-width="2"/>'
            if target
            else ""
        )
        + f'<text x="258" y="19" font-size="12" fill="#1c2430">{escape(percent)}</text>'
        f"</svg>"
    )


def history_chart(
    history: list[tuple[int, Decimal | None, Decimal | None]], *, label: str, unit: str = ""
) -> SafeString:
    """Bars of the yearly values with the yearly target drawn as a dash over each bar."""
    width, height, top, bottom, left = 320, 150, 12, 24, 8
    plot_h = height - top - bottom
    values = [float(v) for _, v, _ in history if v is not None] + [
        float(t) for _, _, t in history if t is not None
    ]
    peak = max(values) if values else 1.0
    peak = peak if peak > 0 else 1.0
    slot = (width - left * 2) / max(1, len(history))
    bar_w = slot * 0.55
    parts = []
    description = []
    for index, (year, value, target) in enumerate(history):
        x = left + index * slot + (slot - bar_w) / 2
        if value is not None:
            h = plot_h * float(value) / peak
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="var(--brand, #0b5fa5)" rx="3"/>'
                f'<text x="{x + bar_w / 2:.1f}" y="{max(top + 10, top + plot_h - h - 3):.1f}" font-size="10" '
                f'text-anchor="middle" fill="#1c2430">{escape(_num(value))}</text>'
            )
        if target is not None:
            ty = top + plot_h - plot_h * float(target) / peak
            parts.append(
                f'<line x1="{x - 4:.1f}" x2="{x + bar_w + 4:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
                f'stroke="#b26a00" stroke-width="3" stroke-dasharray="5 3"/>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
            f'fill="#5b6573">{year}</text>'
        )
        description.append(f"{year} : {_num(value)} (cible {_num(target)})")
    title = f"{label} par année, en {unit}" if unit else f"{label} par année"
    return mark_safe(  # noqa: S308 - every interpolated text is escaped or numeric
        f'<svg class="chart chart-history" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{escape("; ".join(description))}</desc>'
        f'<line x1="{left}" x2="{width - left}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#9aa5b1"/>'
        + "".join(parts)
        + "</svg>"
    )
