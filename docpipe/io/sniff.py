"""A file's type from its first bytes, never from its name."""

from __future__ import annotations

from typing import Optional

PDF = "application/pdf"
IMAGE_MIMES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "gif": "image/gif",
}


def sniff(head: bytes) -> Optional[str]:
    """MIME type from the first bytes of a file, or None when unsupported."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return IMAGE_MIMES["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return IMAGE_MIMES["jpeg"]
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return IMAGE_MIMES["tiff"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return IMAGE_MIMES["webp"]
    if head[:2] == b"BM" and len(head) >= 26:
        return IMAGE_MIMES["bmp"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return IMAGE_MIMES["gif"]
    # Readers accept junk before the header (PDF 1.7 §7.5.2 allows it within 1 KB).
    if b"%PDF-" in head[:1024]:
        return PDF
    return None


def describe_unsupported(head: bytes) -> str:
    text = head[:512].lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        return "HTML, not a PDF or image"
    if text.startswith(b"pk\x03\x04"):
        return "a ZIP container (Office document?), not a PDF or image"
    if text.startswith(b"{") or text.startswith(b"["):
        return "JSON text, not a PDF or image"
    return "unrecognised bytes: neither a PDF nor a supported image (PNG, JPEG, TIFF, WEBP, BMP, GIF)"
