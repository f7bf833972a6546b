"""A plan of the places on the current page: their coordinates scaled into an SVG box, with no map
tiles (no outside service). Longitudes are shrunk by cos(latitude) so distances look right."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT, MARGIN = 600, 360, 20


@dataclass(frozen=True)
class PlanPoint:
    x: float
    y: float
    label: str
    entry_id: int


def plan_points(entries) -> list[PlanPoint]:
    """Points for every place with coordinates among ``entries`` (places prefetched)."""
    located = [
        (entry, place)
        for entry in entries
        for place in entry.places.all()
        if place.latitude is not None and place.longitude is not None
    ]
    if not located:
        return []
    lats = [place.latitude for _entry, place in located]
    mean_lat = math.radians(sum(lats) / len(lats))
    xs = [place.longitude * math.cos(mean_lat) for _entry, place in located]
    span_x = max(xs) - min(xs) or 1e-6
    span_y = max(lats) - min(lats) or 1e-6
    scale = min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)
    points = []
    for (entry, place), x in zip(located, xs, strict=True):
        points.append(
            PlanPoint(
                x=round(MARGIN + (x - min(xs)) * scale, 1),
                y=round(HEIGHT - MARGIN - (place.latitude - min(lats)) * scale, 1),
                label=f"{entry.name} — {place.city}",
                entry_id=entry.pk,
            )
        )
    return points
