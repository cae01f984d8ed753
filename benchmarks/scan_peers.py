"""Shared helpers of quality_scans.py and speed_scans.py: page images, the peers, docpipe.

Peers:
  tesseract   the CLI as is: `tesseract IMAGE stdout --psm 3 -l LANG` on each page image,
              no rotation or deskew (PDF pages are rendered to PNG at 300 dpi first,
              TIFF frames are written out as PNG, PNG/JPEG/WebP go in as given);
  ocrmypdf    `ocrmypdf --rotate-pages --deskew -O0 --output-type pdf --jobs J
              --sidecar TXT [--image-dpi D] IN OUT.pdf`, its sidecar split at form feeds;
  docpipe     `docpipe run IN --out OUT` (the venv's console script), then OUT/pages.
A missing peer is reported by missing_peers() with how to install it.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path

import pymupdf
from PIL import Image

from _common import run_docpipe, tool_path  # noqa: F401  (run_docpipe: peers.run_docpipe for the scripts)

DPI = 300
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif"}
INSTALL = {
    "tesseract": "tesseract not found: apt-get install tesseract-ocr (eng data: tesseract-ocr-eng)",
    "ocrmypdf": "ocrmypdf not found: pip install 'ocrmypdf>=17' into the venv (make bench-deps)",
    "docpipe": "docpipe console script not found: pip install -e . into the venv (make setup)",
}


# ------------------------------------------------------------------ tools


def missing_peers(names) -> dict[str, str]:
    """{peer: message} for every peer in names that cannot run here."""
    return {n: INSTALL[n] for n in names if tool_path(n) is None}


def versions() -> dict[str, str]:
    out = {}
    for name, args in (("tesseract", ["--version"]), ("ocrmypdf", ["--version"])):
        exe = tool_path(name)
        if exe:
            p = subprocess.run([exe, *args], capture_output=True, text=True)
            out[name] = (p.stdout or p.stderr).strip().splitlines()[0]
    try:  # docpipe's engine runs the libtesseract bundled with tesserocr, not the CLI above
        import tesserocr

        out["docpipe tesserocr"] = f"{tesserocr.__version__}, {tesserocr.tesseract_version().splitlines()[0]}"
    except ImportError:
        pass
    return out


def env_threads(limit: int | None) -> dict:
    env = dict(os.environ)
    if limit:
        env["OMP_THREAD_LIMIT"] = str(limit)
    return env


# ------------------------------------------------------------------ page images


def image_dpi(path: Path) -> float | None:
    """The DPI an image claims, or None when it claims none or a silly one (1 x 1)."""
    with Image.open(path) as im:
        dpi = im.info.get("dpi")
    if dpi and 50 <= float(dpi[0]) <= 2400:
        return float(dpi[0])
    return None


def page_images(path: Path, folder: Path) -> list[Path]:
    """One image per page, as a plain OCR tool would get them.

    PDF pages are rendered (as displayed, /Rotate applied) to grayscale PNG at 300 dpi;
    every frame of a multi-frame TIFF becomes a PNG (dpi kept); single images are used
    as given.
    """
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        with pymupdf.open(path) as doc:
            for i, page in enumerate(doc, 1):
                target = folder / f"{path.stem}.page{i:03d}.png"
                if not target.exists():
                    page.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY, alpha=False).save(target)
                out.append(target)
        return out
    with Image.open(path) as im:
        n = getattr(im, "n_frames", 1)
        if n == 1:
            return [path]
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for i in range(n):
            target = folder / f"{path.stem}.page{i + 1:03d}.png"
            if not target.exists():
                im.seek(i)
                dpi = im.info.get("dpi")
                im.save(target, "PNG", **({"dpi": dpi} if dpi else {}))
            out.append(target)
        return out


def n_pages(path: Path) -> int:
    if path.suffix.lower() == ".pdf":
        with pymupdf.open(path) as doc:
            return doc.page_count
    with Image.open(path) as im:
        return getattr(im, "n_frames", 1)


# ------------------------------------------------------------------ peers


def run_tesseract(image: Path, lang: str = "eng", psm: int = 3, threads: int | None = 1) -> str:
    """Plain `tesseract IMAGE stdout --psm 3`; threads=1 sets OMP_THREAD_LIMIT=1."""
    p = subprocess.run([tool_path("tesseract"), str(image), "stdout", "--psm", str(psm), "-l", lang],
                       capture_output=True, text=True, env=env_threads(threads))
    if p.returncode != 0:
        raise RuntimeError(f"tesseract {image.name} exited {p.returncode}: {p.stderr.strip()[-300:]}")
    return p.stdout


def ocrmypdf_cmd(src: Path, out_pdf: Path, sidecar: Path | None, jobs: int = 1, lang: str = "eng",
                 image_dpi_value: float | None = None, extra: list[str] = (), quiet: bool = True) -> list[str]:
    cmd = [tool_path("ocrmypdf"), "--rotate-pages", "--deskew", "-O0", "--output-type", "pdf",
           "--jobs", str(jobs), "-l", lang, *(["--quiet"] if quiet else []), *extra]
    if sidecar is not None:
        cmd += ["--sidecar", str(sidecar)]
    if src.suffix.lower() != ".pdf":
        cmd += ["--image-dpi", str(round(image_dpi_value or DPI))]
    return cmd + [str(src), str(out_pdf)]


def run_ocrmypdf(src: Path, folder: Path, jobs: int = 1, lang: str = "eng",
                 extra: list[str] = ()) -> tuple[list[str], str, list[str]]:
    """OCRmyPDF on one file; returns (text per page, note, its page-rotation log lines).

    Images go in directly with --image-dpi (the DPI they claim, else 300). Formats
    OCRmyPDF's img2pdf step refuses (WebP, say) are converted to PNG first, noted.
    """
    folder.mkdir(parents=True, exist_ok=True)
    note = ""
    sidecar, out_pdf = folder / f"{src.name}.txt", folder / f"{src.name}.ocr.pdf"
    dpi = image_dpi(src) if src.suffix.lower() != ".pdf" else None
    p = subprocess.run(ocrmypdf_cmd(src, out_pdf, sidecar, jobs, lang, dpi, extra, quiet=False),
                       capture_output=True, text=True, env=env_threads(1 if jobs == 1 else None))
    if p.returncode != 0 and src.suffix.lower() not in (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"):
        png = folder / f"{src.stem}.png"
        with Image.open(src) as im:
            im.save(png, "PNG", dpi=(dpi or DPI,) * 2)
        note = f"converted {src.suffix} to PNG for OCRmyPDF"
        p = subprocess.run(ocrmypdf_cmd(png, out_pdf, sidecar, jobs, lang, dpi, extra, quiet=False),
                           capture_output=True, text=True, env=env_threads(1 if jobs == 1 else None))
    if p.returncode != 0:
        raise RuntimeError(f"ocrmypdf {src.name} exited {p.returncode}: {p.stderr.strip()[-400:]}")
    # "   3 page is facing ⇦, confidence 9.42 - confidence too low to rotate"
    rotation_log = [" ".join(line.split()) for line in p.stderr.splitlines() if "facing" in line]
    return sidecar.read_text(encoding="utf-8").split("\f"), note, rotation_log


# ------------------------------------------------------------------ docpipe


def docpipe_eval(out: Path, truth: Path) -> dict:
    """`docpipe eval OUT --truth TRUTH --json` as a dict (or {"error": ...})."""
    import json

    p = subprocess.run([tool_path("docpipe"), "eval", str(out), "--truth", str(truth), "--json", "--worst", "0"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": f"docpipe eval exited {p.returncode}: {p.stderr.strip()[-400:]}"}
    return json.loads(p.stdout)


def docpipe_rows(out: Path) -> dict[tuple[str, int], dict]:
    """(file stem, page) -> row of OUT/pages (doc_id, source, page, text, engine, rotation, status, error...)."""
    import pyarrow.parquet as pq

    rows: dict[tuple[str, int], dict] = {}
    wanted = ["doc_id", "source", "page", "text", "engine", "rotation", "status", "error_kind", "error",
              "elapsed_ms"]
    for part in sorted((out / "pages").glob("*.parquet")):
        table = pq.read_table(part)
        cols = [c for c in wanted if c in table.column_names]
        for row in table.select(cols).to_pylist():
            name = posixpath.basename(row["source"].rstrip("/"))
            stem = name.rsplit(".", 1)[0] if "." in name else name
            rows.setdefault((stem, row["page"]), row)
    return rows
