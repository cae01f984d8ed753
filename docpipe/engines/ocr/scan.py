"""A scanned page's ink and skew, before Tesseract: Otsu's threshold and the skew angle.

Pure numpy over a grayscale page (2-D uint8, 0 = black, 255 = white); no OpenCV or scipy.
The methods are Leptonica's (Tesseract, OCRmyPDF): skew from the sharpness of row
projection profiles. Table rulings are found and erased in `rulings`.
"""

from __future__ import annotations

import math

import numpy as np

MIN_CONTRAST = 40  # Otsu class means closer than this: paper and noise only, no ink

# Skew. Points are bottom edges of ink in cells of 1 row x 8 columns: rows stay sharp for
# the profile, columns only carry the shear.
SKEW_CELL = 8
COARSE_STEP = 0.25  # degrees, over +-max_angle
FINE_RANGE, FINE_STEP = 0.5, 0.05  # the coarse peak can sit 0.35 degrees off on multi-column pages
MIN_SKEW_POINTS = 200  # fewer edges cannot give a direction
MIN_SKEW_CONFIDENCE = 1.5  # best / worst score of the coarse sweep; text scores 3-9
MIN_GUTTER, GUTTER_BIN = 32, 8  # pixels of blank between text columns; bins to find them

def otsu(gray: np.ndarray) -> int | None:
    """Otsu's threshold (ink is <= it), or None when the page has no ink/paper contrast."""
    step = max(1, int(math.sqrt(gray.size / 5e5)))  # a half-Mpixel sample is as good and cheaper
    sample = gray[::step, ::step].ravel()
    p = np.bincount(sample, minlength=256)[:256] / max(sample.size, 1)
    omega, mu = np.cumsum(p), np.cumsum(p * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.nan_to_num((mu[-1] * omega - mu) ** 2 / (omega * (1.0 - omega)), nan=-1, posinf=-1)
    t = int(np.argmax(between))
    if between[t] <= 0:
        return None
    dark, light = mu[t] / omega[t], (mu[-1] - mu[t]) / (1.0 - omega[t])
    return t if light - dark >= MIN_CONTRAST else None


def as_gray(gray) -> np.ndarray:
    gray = np.asarray(gray)
    return gray if gray.dtype == np.uint8 else np.clip(gray, 0, 255).astype(np.uint8)


def dark_mask(gray: np.ndarray) -> np.ndarray:
    """Boolean ink mask by Otsu's threshold on the histogram (robust to grey paper, noise)."""
    gray = as_gray(gray)
    t = otsu(gray)
    return gray <= t if t is not None else np.zeros(gray.shape, bool)


def _ink_bottoms(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) of ink cells whose cell below is paper: mostly baselines, a sharper profile than whole
    glyphs from a tenth of the points. A cell is dark when its darkest pixel is."""
    t, w = otsu(gray), gray.shape[1] // SKEW_CELL * SKEW_CELL
    if t is None or w == 0:
        return np.zeros(0), np.zeros(0)
    cells = gray[:, :w:SKEW_CELL]
    for j in range(1, SKEW_CELL):
        cells = np.minimum(cells, gray[:, j:w:SKEW_CELL])
    ink = cells <= t
    ink[:-1] &= ~ink[1:]
    ink[-1] = False  # the page's last row is no edge
    ys, xs = np.nonzero(ink)
    return ys.astype(np.float64), xs * float(SKEW_CELL)


def _scores(ys, xs, strips, n_strips, dither, angles) -> np.ndarray:
    """Per angle (degrees): sum over strips of the squared row profile of the sheared points.

    Points are split between their two nearest rows, so the score is smooth in the angle; the
    dither stops angle 0 (every point exactly on a row) scoring sharper than it is (by 0.1 deg)."""
    slopes = np.tan(np.radians(angles))
    pad = int(np.ceil(np.abs(slopes).max() * (xs.max() + 1))) + 2
    length = int(ys.max()) + 2 * pad + 3
    pos = (ys + dither)[None, :] - slopes[:, None] * xs[None, :] + pad
    base = np.floor(pos)
    frac = (pos - base).ravel()
    index = (base.astype(np.intp) + strips * length + (np.arange(len(angles)) * n_strips * length)[:, None]).ravel()
    size = len(angles) * n_strips * length
    hist = np.bincount(index, 1.0 - frac, size) + np.bincount(index + 1, frac, size)
    return (hist.reshape(len(angles), -1) ** 2).sum(axis=1)


def _column_strips(ys, xs, angle) -> tuple[np.ndarray, int]:
    """Strip of each point: text columns, split at blank gutters. Columns are scored apart, as
    their baselines need not line up: a whole-page profile tilts to line them up (0.1-0.35 deg)."""
    across = np.round((xs + math.tan(math.radians(angle)) * ys) / GUTTER_BIN).astype(np.intp)
    across -= across.min()
    counts = np.bincount(across)
    empty = counts <= 0.05 * np.percentile(counts[counts > 0], 90)
    flips = np.flatnonzero(np.diff(np.concatenate(([0], empty.view(np.int8), [0]))))
    starts, ends = flips[0::2], flips[1::2]
    inner = (starts > 0) & (ends < len(counts)) & (ends - starts >= MIN_GUTTER / GUTTER_BIN)
    return np.searchsorted((starts[inner] + ends[inner]) / 2.0, across), int(inner.sum()) + 1


def estimate_skew(gray: np.ndarray, max_angle: float = 3.0) -> float:
    """Degrees to pass to PIL's Image.rotate(angle, ...) (counter-clockwise positive) to make text lines horizontal.

    Returns 0.0 when the page has too little ink to tell. A page that PIL rotated by +a
    (its lines rising to the right) gives -a.
    """
    ys, xs = _ink_bottoms(as_gray(gray))
    if len(ys) < MIN_SKEW_POINTS:
        return 0.0
    dither = np.random.default_rng(0).random(len(ys))
    coarse = np.arange(-max_angle, max_angle + COARSE_STEP / 2, COARSE_STEP)
    scores = _scores(ys, xs, np.zeros(len(ys), np.intp), 1, dither, coarse)
    if scores.max() < MIN_SKEW_CONFIDENCE * scores.min():
        return 0.0  # no direction stands out: noise, or a picture
    best = float(coarse[int(np.argmax(scores))])
    fine = best + np.arange(-FINE_RANGE, FINE_RANGE + FINE_STEP / 2, FINE_STEP)
    scores = _scores(ys, xs, *_column_strips(ys, xs, best), dither, fine)
    i = int(np.clip(np.argmax(scores), 1, len(fine) - 2))
    a, b, c = scores[i - 1:i + 2]  # a parabola through the peak and its neighbours
    angle = fine[i] + (np.clip(0.5 * (a - c) / (a - 2 * b + c), -1, 1) * FINE_STEP if a - 2 * b + c < 0 else 0)
    # Lines y = y0 + s x (rows grow downwards) score best at atan(s), and PIL's
    # rotate(atan(s)) turns them level: the best angle is the answer.
    return float(np.clip(angle, -max_angle, max_angle))
