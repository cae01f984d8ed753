"""The page as displayed upright: PyMuPDF's unrotated coordinates turned by /Rotate and a further quarter turn."""

from __future__ import annotations

from docpipe.io.pdf_library import pymupdf_module
from docpipe.layout.boxes import fraction


class UprightFrame:
    """Maps unrotated PDF coordinates to the page shown upright.

    PyMuPDF reports glyphs in the unrotated page space; `/Rotate` is applied
    first, then a further quarter turn when most text still runs sideways
    (a table printed across a portrait page).
    """

    def __init__(self, page, extra_cw: int):
        pymupdf = pymupdf_module()

        display = page.rect  # after /Rotate
        self.rotation = (page.rotation + extra_cw) % 360
        w, h = display.width, display.height
        if extra_cw == 90:
            turn = pymupdf.Matrix(0, 1, -1, 0, h, 0)
            w, h = h, w
        elif extra_cw == 180:
            turn = pymupdf.Matrix(-1, 0, 0, -1, w, h)
        elif extra_cw == 270:
            turn = pymupdf.Matrix(0, -1, 1, 0, 0, w)
            w, h = h, w
        else:
            turn = pymupdf.Matrix(1, 0, 0, 1, 0, 0)
        self.turn = turn
        self.matrix = page.rotation_matrix * turn
        self.width, self.height = w, h
        # Most pages are neither rotated nor turned: their boxes need no arithmetic at all.
        self.identity = tuple(self.matrix) == (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

    def box(self, rect) -> tuple[float, float, float, float]:
        # Plain arithmetic: this runs once per glyph, pymupdf.Rect * Matrix is 20x slower.
        if self.identity:
            x0, y0, x1, y1 = rect
            return (x0, y0, x1, y1) if x0 <= x1 and y0 <= y1 else (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        m = self.matrix
        x0, y0, x1, y1 = rect
        xa, xb = m.a * x0 + m.c * y0 + m.e, m.a * x1 + m.c * y1 + m.e
        ya, yb = m.b * x0 + m.d * y0 + m.f, m.b * x1 + m.d * y1 + m.f
        return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))

    def box_displayed(self, rect) -> tuple[float, float, float, float]:
        """For boxes already in the /Rotate-applied space (PyMuPDF's table finder)."""
        pymupdf = pymupdf_module()

        r = pymupdf.Rect(rect) * self.turn
        return (r.x0, r.y0, r.x1, r.y1)

    def fraction(self, box) -> list[float]:
        return fraction(box, self.width, self.height)
