"""Open PDFs and images from bytes, turning every failure into an error kind.

The thin adapter over PyMuPDF and Pillow for *opening*; extraction lives in
`engines/`. Nothing here raises for bad input except `DocumentError` (from
`docpipe.errors`), which carries the `error_kind` the documents row will show.
"""

from __future__ import annotations

import warnings
from typing import Optional

from pydantic import BaseModel

from docpipe.config import Limits
from docpipe.errors import DocumentError
from docpipe.io.pdf_library import pymupdf_module
from docpipe.io.sniff import PDF
from docpipe.records import ErrorKind


class PageCount(BaseModel):
    n_pages: Optional[int] = None
    error_kind: Optional[ErrorKind] = None
    error: Optional[str] = None
    repaired: Optional[str] = None  # how a damaged file was made readable
    likely_scan: bool = False  # first page has no text layer: its pages will most likely need OCR


def _quiet_mupdf():
    pymupdf = pymupdf_module()

    # MuPDF prints repair warnings for every damaged file; they become error rows instead.
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    return pymupdf


def open_pdf(data: bytes | str, password: Optional[str] = None):
    """A pymupdf.Document (from the file's bytes, or a local path), authenticated; raises DocumentError(corrupt|encrypted)."""
    pymupdf = _quiet_mupdf()
    try:
        if isinstance(data, str):  # MuPDF then reads only what each page needs
            doc = pymupdf.open(data, filetype="pdf")
        else:
            doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises FileDataError, RuntimeError, ValueError...
        raise DocumentError("corrupt", f"cannot open PDF: {exc}") from exc
    if doc.needs_pass:
        if password is None:
            doc.close()
            raise DocumentError("encrypted", "PDF is encrypted; pass --password to open it")
        if not doc.authenticate(password):
            doc.close()
            raise DocumentError("encrypted", "PDF is encrypted and the password given does not open it")
    try:
        n_pages = doc.page_count
    except Exception:  # e.g. "Invalid number of pages": a /Count that lies
        n_pages = 0
    if n_pages == 0:
        rebuilt = _rebuild_page_tree(doc)
        doc.close()
        if rebuilt is None:
            raise DocumentError("corrupt", "PDF has no readable pages (broken page tree, no page objects)")
        return rebuilt
    return doc


PAGE_TREE_REBUILT = "page tree was broken; pages recovered from the page objects found in the file"


def _rebuild_page_tree(doc):
    """A new page tree over every /Type /Page object, as pdf.js and poppler do when the tree is broken.

    Returns a reopened document (with `.docpipe_repaired` set) or None.
    """
    pymupdf = pymupdf_module()

    pages = []
    for xref in range(1, doc.xref_length()):
        try:
            if doc.xref_get_key(xref, "Type") == ("name", "/Page"):
                pages.append(xref)
        except Exception:  # unreadable object: skip it, keep scanning
            continue
    if not pages:
        return None
    try:
        tree = doc.get_new_xref()
        kids = " ".join(f"{xref} 0 R" for xref in pages)
        doc.update_object(tree, f"<</Type/Pages/Kids[{kids}]/Count {len(pages)}>>")
        for xref in pages:
            doc.xref_set_key(xref, "Parent", f"{tree} 0 R")
        catalog = doc.pdf_catalog()
        if catalog <= 0:
            catalog = doc.get_new_xref()
            doc.update_object(catalog, "<</Type/Catalog>>")
            doc.xref_set_key(-1, "Root", f"{catalog} 0 R")
        doc.xref_set_key(catalog, "Pages", f"{tree} 0 R")
        rebuilt = pymupdf.open(stream=doc.tobytes(), filetype="pdf")
    except Exception:
        return None
    if rebuilt.page_count == 0:
        return None
    rebuilt.docpipe_repaired = PAGE_TREE_REBUILT
    return rebuilt


def open_image(data: bytes, limits: Limits):
    """A lazily decoded PIL image, checked against the pixel limit before decoding."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # We enforce our own pixel limit below; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # lazy: only the header is read here
    except Image.DecompressionBombError as exc:
        raise DocumentError("too_large", f"image pixel count over the limit: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise DocumentError("corrupt", f"cannot open image: {exc}") from exc
    check_pixels(image.width, image.height, limits)
    return image


def check_pixels(width: int, height: int, limits: Limits) -> None:
    if width <= 0 or height <= 0:
        raise DocumentError("corrupt", f"image has no pixels ({width}x{height})")
    if width * height > limits.max_pixels:
        raise DocumentError(
            "too_large",
            f"{width}x{height} = {width * height} pixels, over the limit of "
            f"{limits.max_pixels} (--max-pixels); a decompression bomb or an oversized scan",
        )


def image_frame_count(image) -> int:
    return max(1, int(getattr(image, "n_frames", 1)))


def _first_page_has_text(doc) -> bool:
    try:
        return bool(doc.load_page(0).get_text("text").strip())
    except Exception:  # a damaged first page is the extract stage's to report
        return True


def count_pages(data: bytes | str, mime: str, limits: Limits, password: Optional[str]) -> PageCount:
    try:
        repaired = None
        if mime == PDF:
            doc = open_pdf(data, password)
            try:
                n_pages = doc.page_count
                repaired = getattr(doc, "docpipe_repaired", None)
                likely_scan = n_pages > 0 and not _first_page_has_text(doc)
            finally:
                doc.close()
        else:
            n_pages = image_frame_count(open_image(data, limits))
            likely_scan = True
    except DocumentError as exc:
        return PageCount(error_kind=exc.kind, error=exc.message)
    except Exception as exc:  # a library bug on hostile bytes is still just a bad file
        return PageCount(error_kind="corrupt", error=f"{type(exc).__name__}: {exc}")
    if n_pages > limits.max_pages:
        return PageCount(
            n_pages=n_pages, error_kind="too_large",
            error=f"{n_pages} pages, over the limit of {limits.max_pages} (--max-pages)",
        )
    return PageCount(n_pages=n_pages, repaired=repaired, likely_scan=likely_scan)
