"""Table rulings on a scanned page: found as long thin runs of ink along rows and columns, and erased.

Pure numpy over a grayscale page (2-D uint8, 0 = black, 255 = white); no OpenCV or scipy.
The method is Leptonica's (Tesseract, OCRmyPDF). They are erased before
recognition so that Tesseract does not read them as '|' or '_'.

Coordinates are continuous pixel coordinates: pixel (row i, column j) covers
[j, j + 1) x [i, i + 1), so a line drawn on rows 100-101 has y = 101.0, and one over
columns 10..209 has x0 = 10, x1 = 210.
"""

from __future__ import annotations

import math

import numpy as np

from docpipe.engines.ocr.scan import as_gray, dark_mask, otsu

Line = tuple[float, float, float]  # (y, x0, x1) of a horizontal ruling, (x, y0, y1) of a vertical one

# In pixels (tuned at 300 dpi, checked on 100-200 dpi scans).
GAP = 4  # a break this short in a ruling is noise or JPEG, not an end
MIN_PIECE = 20  # a ruling's run in one row is at least this long (a residual slope cuts it in steps)
MAX_THICKNESS = 10  # rulings are 1-8 px; thicker is a bar, a photo or a block of text
MAX_SLOPE = math.tan(math.radians(0.5))  # residual skew after deskewing
MIN_SOLID = 0.85  # ink / length of its runs, mean (a faint 1 px line 0.9; bridged dots, words 0.5-0.8)
TOUCH, NEAR = 2, 4  # ink 1..TOUCH px off an edge: a stroke touches it; 2..NEAR px off both: a texture
CLEAR_STRETCH, MIN_CLEAR = 40, 0.5  # untouched over half its length in stretches this long (serifs
# along a baseline are touched by a stem every few pixels; text merely near a ruling is fine)



def _runs(mask: np.ndarray, gap: int):
    """Runs of True along each row, breaks of up to `gap` bridged: (row, start, end, ink), end exclusive."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), bool)
    padded[:, 1:-1] = mask
    flips = np.flatnonzero(padded[:, 1:] != padded[:, :-1])  # start, end, start, end... row by row
    rows, starts, ends = flips[0::2] // (w + 1), flips[0::2] % (w + 1), flips[1::2] % (w + 1)
    new = np.ones(len(rows), bool)
    new[1:] = (rows[1:] != rows[:-1]) | (starts[1:] - ends[:-1] > gap)
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(rows))[:len(first)] - 1
    ink = np.add.reduceat(ends - starts, first) if len(first) else first
    return rows[first], starts[first], ends[last], ink


def _components(rows, starts, ends, width) -> np.ndarray:
    """Label of each run (sorted by row, then start): runs in adjacent rows with overlapping extents join."""
    stride = width + 2 * GAP + 2
    below = (rows + 1) * stride
    lo = np.searchsorted(rows * stride + ends, below + starts - GAP, "right")
    hi = np.searchsorted(rows * stride + starts, below + ends + GAP, "left")
    counts = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(len(rows)), counts)
    b = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    labels = np.arange(len(rows))
    while True:  # hook each pair's roots to the smaller one, then jump pointers to the roots
        la, lb = labels[a], labels[b]
        if np.array_equal(la, lb):
            return labels
        np.minimum.at(labels, la, np.minimum(la, lb))
        np.minimum.at(labels, lb, np.minimum(la, lb))
        while not np.array_equal(labels[labels], labels):
            labels = labels[labels]


def _within(runs, line: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Whether each (line, pos) lies in one of `runs` (sorted by line, then start)."""
    lines, starts, ends = runs[:3]
    if len(lines) == 0:
        return np.zeros(len(pos), bool)
    stride = int(ends.max()) + 1
    i = np.searchsorted(lines * stride + starts, line * stride + pos, "right") - 1
    return (i >= 0) & (lines[i] == line) & (ends[i] > pos)


def _lines(mask: np.ndarray, runs, across, min_length: int) -> list[Line]:
    """Horizontal rulings (y, x0, x1) of an ink mask, from its runs along rows and `across` them.
    The transposed mask, runs swapped, gives the vertical ones."""
    crossing = [a[across[2] - across[1] >= min_length] for a in across]  # rulings across these
    keep = runs[2] - runs[1] >= MIN_PIECE
    rows, starts, ends, ink = (a[keep] for a in runs)
    if len(rows) == 0:
        return []
    _, group = np.unique(_components(rows, starts, ends, mask.shape[1]), return_inverse=True)
    n = group.max() + 1
    x0, x1, top = np.full(n, mask.shape[1]), np.zeros(n, np.intp), np.full(n, mask.shape[0])
    np.minimum.at(x0, group, starts)
    np.maximum.at(x1, group, ends)
    np.minimum.at(top, group, rows)
    area = np.bincount(group, ink, n)
    solid = np.bincount(group, ink * ink / (ends - starts), n) / area  # run density, mean by ink
    found = []
    for g in np.flatnonzero((x1 - x0 >= min_length) & (area <= MAX_THICKNESS * (x1 - x0)) & (solid >= MIN_SOLID)):
        mine = group == g
        found += _ruling(mask, crossing, rows[mine] - top[g], starts[mine] - x0[g], ends[mine] - x0[g],
                         top[g], x0[g], x1[g])
    return sorted(found)


def _ruling(mask, crossing, rows, starts, ends, top, x0, x1) -> list[Line]:
    """[(y, x0, x1)] if this connected set of long runs (rows from `top`, columns from x0) is a ruling."""
    height, length = rows.max() + 1, x1 - x0
    if height > MAX_THICKNESS + length * MAX_SLOPE + 2:
        return []  # slanted, or a block
    marks = np.zeros((height, length + 1), np.int8)  # the runs painted: +1/-1 summed along rows
    np.add.at(marks, (rows, starts), 1)
    np.add.at(marks, (rows, ends), -1)
    own = np.cumsum(marks, axis=1)[:, :-1] > 0
    cols = np.flatnonzero(own.any(axis=0))
    upper, lower = own[:, cols].argmax(axis=0), height - 1 - own[::-1, cols].argmax(axis=0)
    if np.median(lower - upper + 1) > MAX_THICKNESS:
        return []
    touch, near = np.zeros(len(cols), bool), np.ones(len(cols), bool)
    for side, edge in ((-1, top + upper), (1, top + lower)):
        ink = np.zeros((max(TOUCH, NEAR), len(cols)), bool)  # ink at 1, 2, ... px off this edge
        for d in range(len(ink)):
            r = edge + side * (d + 1)
            inside = (r >= 0) & (r < mask.shape[0])
            r, c = r[inside], x0 + cols[inside]
            ink[d, inside] = mask[r, c] & ~_within(crossing, c, r)  # other rulings may cross it
        touch |= ink[:TOUCH].all(axis=0)
        near &= ink[1:NEAR].any(axis=0)
    crossed = np.zeros(length, bool)
    crossed[cols] = touch | near
    flips = np.flatnonzero(np.diff(np.concatenate(([1], crossed.view(np.int8), [1]))))
    clear = flips[1::2] - flips[0::2]
    if clear[clear >= CLEAR_STRETCH].sum() < MIN_CLEAR * length:
        return []
    return [(float(top + np.mean(upper + lower + 1) / 2.0), float(x0), float(x1))]


def find_rulings(gray: np.ndarray, min_length: int) -> tuple[list[Line], list[Line]]:
    """Table rulings drawn on the page: horizontal as (y, x0, x1), vertical as (x, y0, y1), pixel coordinates.

    At least `min_length` px long (more than the tallest glyphs: a 'p' over an 'l' in tightly
    set 12 pt text is 70 px at 300 dpi), at most MAX_THICKNESS px thick, y (x) the middle of
    the thickness, sorted. Text, specks, photos give none; an underline is a horizontal one.
    """
    mask = dark_mask(gray)
    along, down = _runs(mask, GAP), _runs(mask.T, GAP)
    return _lines(mask, along, down, min_length), _lines(mask.T, down, along, min_length)


def _erase(img: np.ndarray, threshold: int, y: float, x0: float, x1: float, thickness: int | None) -> None:
    """Paint one horizontal ruling of `img` (in place) with the paper around it."""
    c0, c1 = max(int(x0), 0), min(int(math.ceil(x1)), img.shape[1])
    limit = MAX_THICKNESS if thickness is None else thickness + 2  # blur thickens a line a little
    reach = limit / 2 + (c1 - c0) * MAX_SLOPE / 2 + 2  # the line may drift this far from its mean y
    r0 = max(int(y - reach), 0)
    band = img[r0:max(int(math.ceil(y + reach)), 0), c0:c1]
    ink = band <= threshold
    cols, tops, bottoms, _ = _runs(ink.T, 0)  # vertical runs, column after column
    middle, length = (tops + bottoms) / 2.0, bottoms - tops
    # The line's course: a straight fit through the thin run nearest to y in each column
    # (not a second rule beside it, nor a letter), refitted on the closest.
    dist = np.where(length <= limit, np.abs(middle - (y - r0)), np.inf)
    order = np.lexsort((dist, cols))
    near = np.zeros(len(cols), bool)
    near[order[np.unique(cols[order], return_index=True)[1]]] = True
    near &= dist <= reach - 2
    for tolerance in (reach, 1.5):
        if near.sum() < 2 or np.ptp(cols[near]) == 0:
            return
        slope, offset = np.polyfit(cols[near], middle[near], 1)
        near &= np.abs(middle - (slope * cols + offset)) <= tolerance
    width = np.median(length[near]) if thickness is None and near.any() else limit - 2
    course = slope * cols + offset
    lo = np.maximum(tops, np.floor(course - width / 2 - 1).astype(np.intp))  # the line's rows, +-1
    hi = np.minimum(bottoms, np.ceil(course + width / 2 + 1).astype(np.intp))
    # A run crossing the line (a descender, a vertical ruling) stays whole; one touching it
    # loses the line's rows; one ending there also the grey fringe a pixel beyond its end.
    gone = (lo < hi) & ((lo == tops) | (hi == bottoms))
    cols, lo, hi = cols[gone], lo[gone] - (lo == tops)[gone], hi[gone] + (hi == bottoms)[gone]
    marks = np.zeros((band.shape[0] + 1, band.shape[1]), np.int8)  # +1/-1 summed down each column
    np.add.at(marks, (np.maximum(lo, 0), cols), 1)
    np.add.at(marks, (np.minimum(hi, band.shape[0]), cols), -1)
    band[np.cumsum(marks, axis=0)[:-1] > 0] = np.median(band[~ink]) if (~ink).any() else 255


def erase_rulings(gray: np.ndarray, horizontal, vertical, thickness: int | None = None) -> np.ndarray:
    """A copy of `gray` with the ruling lines painted white (so Tesseract does not read them as '|' or '_').

    Painted with the paper's own grey, the line's own rows only: a letter sitting on a line
    keeps its foot, and a stroke crossing it (a descender) stays whole. `thickness` (px)
    overrides the one measured along each line. Horizontal rulings go first, so vertical
    ones no longer meet them.
    """
    out = as_gray(gray).copy()
    threshold = otsu(out)
    if threshold is not None:
        for y, x0, x1 in horizontal:
            _erase(out, threshold, y, x0, x1, thickness)
        for x, y0, y1 in vertical:
            _erase(out.T, threshold, x, y0, y1, thickness)
    return out
