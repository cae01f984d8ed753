"""Page images for the viewer: the run's saved image (OUT/images) or one rendered from the source.

Boxes are fractions of the page *as displayed upright*: the image must be
turned the way the engine turned the page. `pages.rotation` is the whole
turn; a PDF page's image (saved or rendered here) already has its /Rotate
applied, so only the rest is applied here (an OCR engine's or the text
engine's further quarter turns). An image source's frame is turned by all of it.
"""

from __future__ import annotations

import io
import posixpath
from pathlib import Path
from typing import Optional

from docpipe.config import Limits, RenderConfig
from docpipe.io.documents import open_image, open_pdf
from docpipe.io.render import render_image_frame, render_pdf_page
from docpipe.io.sniff import PDF
from docpipe.io.storage import join, local_path, read_bytes, resolve_filesystem


class PageImages:
    """Writes the images of one document's pages into `folder`; opens the source only when it is needed."""

    def __init__(self, out: str, document: dict, folder: Path, dpi: int, password: Optional[str] = None):
        self.out, self.document, self.folder = out, document, folder
        self.render = RenderConfig(dpi=dpi, image_format="jpeg")  # JPEG: a viewer's pages, not OCR input
        self.limits, self.password = Limits(), password
        self._source = None  # the opened PDF or image, once a page needs it

    def write(self, page: dict) -> dict:
        """The page's image written into `folder`: {"name", "size": [w, h]}, or {"error": why there is none}."""
        from PIL import Image

        try:
            data, extension = self._image(page)
            size = list(Image.open(io.BytesIO(data)).size)  # the header only
        except Exception as exc:  # an unreadable source or page is shown as such, never stops the viewer
            return {"error": f"no image: {type(exc).__name__}: {exc}"}
        name = f"p{page['page']:05d}.{extension}"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)
        return {"name": name, "size": size}

    def close(self) -> None:
        if self._source is not None and hasattr(self._source, "close"):
            self._source.close()

    def _image(self, page: dict) -> tuple[bytes, str]:
        index, rotation = page["page"] - 1, page["rotation"] or 0
        is_pdf = self.document.get("mime") == PDF
        if page.get("image_path"):
            data = _read_output_file(self.out, page["image_path"])
            extension = posixpath.splitext(page["image_path"])[1].lstrip(".") or "png"
            shown = self._pdf_rotate(index) if is_pdf and rotation else 0
        elif is_pdf:
            pdf_page = self._opened().load_page(index)
            data, _ = render_pdf_page(pdf_page, self.render, self.limits, dpi=self.render.dpi)
            extension, shown = "jpg", pdf_page.rotation
        else:  # a scan's frame at its own resolution: 600 DPI would make a heavy viewer
            data, extension, shown = render_image_frame(self._opened(), index, self.render, self.limits), "jpg", 0
            data = _shrunk(data, max(page["width"] or 0, page["height"] or 0) * self.render.dpi / 72)
        turn = (rotation - shown) % 360
        return (_turned(data, turn, extension), extension) if turn else (data, extension)

    def _pdf_rotate(self, index: int) -> int:
        return self._opened().load_page(index).rotation

    def _opened(self):
        if self._source is None:
            source = self.document["source"]
            if self.document.get("mime") == PDF:  # a local PDF by its path: MuPDF reads only the pages shown
                self._source = open_pdf(local_path(source) or read_bytes(source), self.password)
            else:
                self._source = open_image(read_bytes(source), self.limits)
        return self._source


def _read_output_file(out: str, relative: str) -> bytes:
    fs, root = resolve_filesystem(out)
    with fs.open_input_file(join(root, relative)) as handle:
        return handle.read()


def _turned(data: bytes, clockwise: int, extension: str) -> bytes:
    """The encoded image turned `clockwise` degrees (PIL turns counter-clockwise)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    buffer = io.BytesIO()
    image.rotate(-clockwise, expand=True).save(buffer, "JPEG" if extension in ("jpg", "jpeg") else "PNG")
    return buffer.getvalue()


def _shrunk(data: bytes, longest: float) -> bytes:
    """The encoded JPEG at most `longest` pixels on its longer side (as is when it is smaller, or unknown)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    if longest < 1 or max(image.size) <= longest:
        return data
    image.thumbnail((int(longest), int(longest)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
