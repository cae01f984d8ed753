"""Box geometry shared by every layout step: boxes are (x0, y0, x1, y1) in upright page points."""

from __future__ import annotations

from typing import Sequence

from docpipe.layout.glyphs import Glyph, Segment

Box = tuple[float, float, float, float]


def cluster_edges(values: Sequence[float], tolerance: float = 2.0) -> list[float]:
    """Merge coordinates closer than `tolerance` (rulings drawn twice, rounding)."""
    merged: list[list[float]] = []
    for value in sorted(values):
        if merged and value - merged[-1][-1] <= tolerance:
            merged[-1].append(value)
        else:
            merged.append([value])
    return [sum(group) / len(group) for group in merged]


def encloses(outer: Box, inner: Box, tol: float = 1.0, min_ratio: float = 1.2) -> bool:
    """True when `outer` holds `inner` and is larger by `min_ratio` in area: a frame around it."""
    holds = (outer[0] - tol <= inner[0] and outer[1] - tol <= inner[1]
             and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)
    larger = (outer[2] - outer[0]) * (outer[3] - outer[1]) > (inner[2] - inner[0]) * (inner[3] - inner[1]) * min_ratio
    return holds and larger


def boxes_overlap(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def overlap_fraction(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller > 0 else 0.0


def centre_in(seg: Segment, box: Box, margin: float = 0.0) -> bool:
    """True when the centre of a line segment lies in `box` grown by `margin`."""
    cx, cy = (seg.x0 + seg.x1) / 2, seg.center_y
    return box[0] - margin <= cx <= box[2] + margin and box[1] - margin <= cy <= box[3] + margin


def glyphs_inside(glyphs: Sequence[Glyph], box: Box, margin: float = 1.0) -> tuple[list[Glyph], list[Glyph]]:
    """Split glyphs into (inside box, outside box) by their centres."""
    x0, y0, x1, y1 = box
    inside, outside = [], []
    for g in glyphs:
        cx, cy = (g.x0 + g.x1) / 2, (g.y0 + g.y1) / 2
        if x0 - margin <= cx <= x1 + margin and y0 - margin <= cy <= y1 + margin:
            inside.append(g)
        else:
            outside.append(g)
    return inside, outside


def merge_boxes(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Union overlapping boxes until none overlap."""
    merged = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        out: list[list[float]] = []
        for box in merged:
            for other in out:
                if min(box[2], other[2]) >= max(box[0], other[0]) and min(box[3], other[3]) >= max(box[1], other[1]):
                    other[0], other[1] = min(other[0], box[0]), min(other[1], box[1])
                    other[2], other[3] = max(other[2], box[2]), max(other[3], box[3])
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return [tuple(b) for b in merged]


def fraction(box, width: float, height: float) -> list[float]:
    x0, y0, x1, y1 = box
    w, h = width or 1.0, height or 1.0
    clamp = lambda v: min(1.0, max(0.0, v))  # noqa: E731
    return [clamp(x0 / w), clamp(y0 / h), clamp(x1 / w), clamp(y1 / h)]
