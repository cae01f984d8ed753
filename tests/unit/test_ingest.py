"""Discovery, sniffing, hashing and probing: every bad input becomes a specific error kind."""

from __future__ import annotations

import hashlib
import io

import pymupdf
import pytest
from PIL import Image

from docpipe.config import Limits
from docpipe.errors import InputError
from docpipe.io.discover import discover
from docpipe.io.probe import probe
from docpipe.io.sniff import sniff
from docpipe.runner.plan import split_units


def _pdf_bytes(pages: int = 1, text: str = "hello", **save) -> bytes:
    doc = pymupdf.open()
    for i in range(pages):
        doc.new_page().insert_text((72, 72), f"{text} {i + 1}")
    return doc.tobytes(**save)


def _png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 255).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("head,mime", [
    (b"%PDF-1.7\n", "application/pdf"),
    (b"garbage before the header %PDF-1.4\n", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image/png"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 20, "image/jpeg"),
    (b"II*\x00" + b"\0" * 20, "image/tiff"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
    (b"BM" + b"\0" * 30, "image/bmp"),
    (b"<!DOCTYPE html><html><body>%PDF-1.4 in html</body></html>"[:14], None),
    (b"\x00\x01\x02random", None),
])
def test_sniff_decides_from_bytes(head, mime):
    assert sniff(head) == mime


def test_discover_folder_recursive_skips_non_documents(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.pdf").write_bytes(_pdf_bytes())
    (tmp_path / "b.PNG").write_bytes(_png_bytes())
    (tmp_path / "notes.txt").write_text("not a document")
    (tmp_path / ".hidden.pdf").write_bytes(b"%PDF-1.4")
    found = discover(str(tmp_path))
    assert found == sorted(found)
    assert {p.rsplit("/", 1)[1] for p in found} == {"x.pdf", "b.PNG"}


def test_discover_glob_and_single_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "one.pdf").write_bytes(_pdf_bytes())
    (tmp_path / "two.pdf").write_bytes(_pdf_bytes())
    (tmp_path / "odd.bin").write_bytes(b"x")
    assert [p.rsplit("/", 1)[1] for p in discover(str(tmp_path / "*.pdf"))] == ["two.pdf"]
    assert {p.rsplit("/", 1)[1] for p in discover(str(tmp_path / "**" / "*.pdf"))} == {"one.pdf", "two.pdf"}
    # A file named explicitly is taken whatever its name.
    assert discover(str(tmp_path / "odd.bin")) == [str(tmp_path / "odd.bin")]


def test_discover_missing_input_is_a_run_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        discover(str(tmp_path / "nope"))


def test_probe_good_pdf_hashes_and_counts(tmp_path):
    data = _pdf_bytes(pages=3)
    path = tmp_path / "good.pdf"
    path.write_bytes(data)
    result = probe(str(path), Limits())
    assert result.error_kind is None
    assert result.doc_id == hashlib.sha256(data).hexdigest()
    assert (result.mime, result.n_pages, result.bytes) == ("application/pdf", 3, len(data))


def _probe_bytes(tmp_path, name, data, **kwargs):
    path = tmp_path / name
    path.write_bytes(data)
    return probe(str(path), kwargs.pop("limits", Limits()), **kwargs)


def test_probe_bad_inputs_get_specific_kinds(tmp_path):
    good = _pdf_bytes(pages=2)
    cases = {
        "empty.pdf": (b"", "empty"),
        "html.pdf": (b"<!DOCTYPE html><html><body>hi</body></html>", "unsupported_format"),
        "random.pdf": (bytes(range(256)) * 8, "unsupported_format"),
        "truncated.pdf": (good[:60], "corrupt"),
        "header_only.pdf": (b"%PDF-1.7\n" + b"\x00garbage" * 50, "corrupt"),
    }
    for name, (data, kind) in cases.items():
        result = _probe_bytes(tmp_path, name, data)
        assert result.error_kind == kind, (name, result)
        assert result.error


def test_probe_encrypted_pdf_needs_password(tmp_path):
    data = _pdf_bytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    locked = _probe_bytes(tmp_path, "locked.pdf", data)
    assert locked.error_kind == "encrypted" and "--password" in locked.error
    wrong = _probe_bytes(tmp_path, "locked.pdf", data, password="wrong")
    assert wrong.error_kind == "encrypted"
    opened = _probe_bytes(tmp_path, "locked.pdf", data, password="secret")
    assert opened.error_kind is None and opened.n_pages == 1


def test_probe_limits(tmp_path):
    big = _probe_bytes(tmp_path, "big.png", _png_bytes((400, 300)), limits=Limits(max_pixels=100_000))
    assert big.error_kind == "too_large" and "pixels" in big.error
    many = _probe_bytes(tmp_path, "many.pdf", _pdf_bytes(pages=5), limits=Limits(max_pages=4))
    assert many.error_kind == "too_large"
    heavy = _probe_bytes(tmp_path, "heavy.pdf", _pdf_bytes(), limits=Limits(max_file_bytes=100))
    assert heavy.error_kind == "too_large"


def test_probe_decompression_bomb_header_only(tmp_path):
    # A PNG whose header claims 50,000 x 50,000 pixels: rejected before decoding.
    import struct
    import zlib

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")
    result = _probe_bytes(tmp_path, "bomb.png", bomb)
    assert result.error_kind == "too_large"


def test_multipage_tiff_counts_frames(tmp_path):
    frames = [Image.new("L", (50, 60), 255) for _ in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    result = _probe_bytes(tmp_path, "scan.tif", buffer.getvalue())
    assert (result.mime, result.n_pages) == ("image/tiff", 3)


def test_split_units_covers_every_page_once(tmp_path):
    result = _probe_bytes(tmp_path, "long.pdf", _pdf_bytes(pages=21))
    units = list(split_units(result, pages_per_unit=8))
    assert [(u.page_start, u.page_stop) for u in units] == [(0, 8), (8, 16), (16, 21)]
    bad = _probe_bytes(tmp_path, "bad.pdf", b"")
    assert list(split_units(bad, 8)) == []


def test_broken_page_tree_is_rebuilt_from_page_objects(tmp_path):
    doc = pymupdf.open()
    for i in range(2):
        doc.new_page().insert_text((72, 72), f"recovered page {i + 1}")
    import re

    data = doc.tobytes(expand=True)
    # Empty the page tree in the file's bytes (PyMuPDF will not save such a file).
    broken = re.sub(rb"/Kids\s*\[[^\]]*\]", b"/Kids[]", data)
    broken = re.sub(rb"/Count\s+2", b"/Count 0", broken)
    assert pymupdf.open(stream=broken, filetype="pdf").page_count == 0
    result = _probe_bytes(tmp_path, "broken.pdf", broken)
    assert result.error_kind is None and result.n_pages == 2
    assert "page tree" in result.repaired


def test_task_size_follows_the_run():
    from docpipe.runner.plan import task_pages

    assert task_pages(20, 2) == 8  # small runs keep small tasks, so both CPUs get work
    assert task_pages(285, 2) == 64  # a long book: few, large tasks
    assert task_pages(200, 2) == 50
    assert task_pages(1_000_000, 64) == 64  # no task holds more than 64 pages


def test_bundles_shrink_toward_the_end_so_workers_finish_together():
    from docpipe.records import WorkUnit
    from docpipe.runner.plan import OCR_PAGE_COST, bundle_units

    scans = [WorkUnit(source=f"s{i}.png", doc_id=f"d{i}", mime="image/png", page_start=0, page_stop=1,
                      likely_scan=True) for i in range(24)]
    bundles = bundle_units(scans, 3 * OCR_PAGE_COST, workers=2)
    sizes = [len(b) for b in bundles]
    assert sum(sizes) == 24 and sorted({json for b in bundles for json in b}) == sorted(
        u.model_dump_json() for u in scans)
    assert sizes[0] == 3 and sizes == sorted(sizes, reverse=True)  # large first
    assert sizes[-4:] == [1, 1, 1, 1]  # the last one per worker and the one behind it: one page each
    # A long run keeps its full-size bundles (few part files) until its end.
    long_run = bundle_units(scans * 100, 3 * OCR_PAGE_COST, workers=2)
    assert sum(len(b) == 3 for b in long_run) >= 0.95 * len(long_run)
