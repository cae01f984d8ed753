"""Thin adapter over Tesseract 5, in process through tesserocr (its C++ API).

Why tesserocr rather than the `tesseract` command: one engine per worker keeps
the models loaded (the command reloads them for every page) and pages go in
as memory rather than temporary files. The language data comes from the
system's Tesseract install (Debian `tesseract-ocr`, Homebrew `tesseract`),
found the way the `tesseract` command finds it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from typing import Optional

from docpipe.config import OcrConfig
from docpipe.engines.ocr.recognizer import OcrLine, OcrWord
from docpipe.errors import PageTimeout, TesseractUnavailable

INSTALL_HINT = (
    "install Tesseract 5 and its language data: `sudo apt-get install tesseract-ocr tesseract-ocr-osd` "
    "(Debian/Ubuntu; add tesseract-ocr-LANG per language), `brew install tesseract tesseract-lang` (macOS), "
    "or run `make setup`; or point TESSDATA_PREFIX at a tessdata folder"
)

_COMMON_TESSDATA = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)


# Words the main model reads below this confidence are read again by the re-read model (measured on
# generated scans, dev seeds: eng alone 0.72% mean page CER; re-reading below 0.85 with Latin 0.50%
# for 6% more CPU; below 0.93, 26% more CPU).
REREAD_BELOW = 0.85
REREAD_HINT = "`sudo apt-get install tesseract-ocr-script-latn` (Debian/Ubuntu), `brew install tesseract-lang` (macOS)"


SCRIPT_HINT = "`sudo apt-get install tesseract-ocr-script-frak` (Debian/Ubuntu), `brew install tesseract-lang` (macOS)"


def create(ocr: OcrConfig) -> TesseractEngine:
    """The registry's factory: one loaded Tesseract for this worker."""
    return TesseractEngine(ocr.lang, reread=ocr.reread, script=ocr.script)


def preflight(ocr: OcrConfig) -> None:
    """Before any work: every language, the re-read and the script model are installed; raises TesseractUnavailable."""
    tessdata = check_languages(ocr.lang)
    if ocr.reread:
        check_reread(ocr.reread, tessdata)  # the same folder: no second search for it
    if ocr.script:
        try:
            check_languages(ocr.script, tessdata)
        except TesseractUnavailable as exc:
            hint = f"; for Fraktur: {SCRIPT_HINT}" if ocr.script == "Fraktur" else ""
            raise TesseractUnavailable(f"{exc}{hint}; or pass --ocr-script none (pages are then read with "
                                       "--ocr-lang only)") from exc


def find_tessdata() -> Optional[str]:
    """The tessdata folder: $TESSDATA_PREFIX, else where `tesseract` looks, else the usual places."""
    candidates = []
    if os.environ.get("TESSDATA_PREFIX"):
        prefix = os.environ["TESSDATA_PREFIX"]
        candidates += [prefix, os.path.join(prefix, "tessdata")]
    if shutil.which("tesseract"):
        try:
            listing = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
            found = re.search(r'"([^"]+)"', listing.stdout + listing.stderr)
            if found:
                candidates.append(found.group(1))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += _COMMON_TESSDATA
    for folder in candidates:
        if folder and os.path.isdir(folder) and any(f.endswith(".traineddata") for f in os.listdir(folder)):
            return folder
    return None


def check_languages(lang: str, tessdata: Optional[str] = None) -> str:
    """The tessdata folder holding every language of `lang` ('eng+deu'); raises TesseractUnavailable."""
    try:
        import tesserocr  # noqa: F401
    except ImportError as exc:
        raise TesseractUnavailable(f"the tesserocr package is missing ({exc}); reinstall docpipe") from exc
    folder = tessdata or find_tessdata()
    if folder is None:
        raise TesseractUnavailable(f"Tesseract language data not found; {INSTALL_HINT}")
    available = {f[: -len(".traineddata")] for f in os.listdir(folder) if f.endswith(".traineddata")}
    missing = [code for code in lang.split("+") if code and code not in available]
    if missing:
        raise TesseractUnavailable(
            f"no Tesseract data for language(s) {', '.join(missing)} in {folder} "
            f"(have: {', '.join(sorted(available - {'osd'})) or 'none'}); "
            f"install them, e.g. `sudo apt-get install "
            f"{' '.join('tesseract-ocr-' + m.lower().replace('_', '-') for m in missing)}`"
        )
    return folder


def check_reread(model: str, tessdata: Optional[str] = None) -> None:
    """The re-read model's data is installed; raises TesseractUnavailable saying how to get it or skip it."""
    try:
        check_languages(model, tessdata)
    except TesseractUnavailable as exc:
        hint = f"; for Latin: {REREAD_HINT}" if model == "Latin" else ""
        raise TesseractUnavailable(f"{exc}{hint}; or pass --ocr-reread none (unsure words are then kept as read)") from exc


def _set_image(api, image) -> None:
    """Hand a PIL image to Tesseract as its raw pixels.

    tesserocr's `SetImage` encodes the image in memory and Tesseract decodes it
    again: as PNG for an image opened from a PNG (0.8 s on a 300 DPI page, half
    a Tesseract read), and as JPEG, losing detail, for one opened from a JPEG.
    """
    if image.mode not in ("L", "RGB"):
        image = image.convert("L" if image.mode in ("1", "LA", "I", "I;16", "F", "P") else "RGB")
    depth = 1 if image.mode == "L" else 3
    api.SetImageBytes(image.tobytes(), image.width, image.height, depth, depth * image.width)


class TesseractEngine:
    """One loaded Tesseract per worker: page orientation and recognition (a `Recognizer`)."""

    def __init__(self, lang: str = "eng", tessdata: Optional[str] = None, reread: Optional[str] = None,
                 script: Optional[str] = None):
        """`reread`: a second model for the words `lang` reads unsure (see `reread_unsure`);
        `script`: a model for pages in another script (see `recognize_script`)."""
        from tesserocr import OEM, PSM, PyTessBaseAPI

        self.tessdata = check_languages(lang, tessdata)
        self.lang = lang
        self.reread = reread if reread and reread != lang else None
        self.script = script if script and script != lang else None
        for model in (self.reread, self.script):
            if model:
                check_languages(model, self.tessdata)
        self._reread_api = None  # loaded on the first unsure word
        self._script_api = None  # loaded on the first page read unsure
        self._api = PyTessBaseAPI(path=self.tessdata, lang=lang, psm=PSM.AUTO, oem=OEM.LSTM_ONLY)
        self._osd = None
        self._deadline: Optional[float] = None  # time.monotonic() by which this page must be read
        if os.path.exists(os.path.join(self.tessdata, "osd.traineddata")):
            self._osd = PyTessBaseAPI(path=self.tessdata, lang="osd", psm=PSM.OSD_ONLY)

    def close(self) -> None:
        for api in (self._api, self._osd, self._reread_api, self._script_api):
            if api is not None:
                api.End()

    def orientation(self, image) -> tuple[int, float]:
        """(clockwise degrees that turn the page upright, confidence); (0, 0.0) when unknown."""
        if self._osd is None:
            return 0, 0.0
        _set_image(self._osd, image)
        try:
            found = self._osd.DetectOrientationScript()
        except RuntimeError:  # too few characters to tell
            return 0, 0.0
        if not found:
            return 0, 0.0
        # Tesseract reports the counter-clockwise turn the content has undergone.
        return (360 - int(found["orient_deg"])) % 360, float(found["orient_conf"])

    def until(self, deadline: Optional[float]) -> "TesseractEngine":
        """This engine, with recognition cut off at `deadline` (the page's time limit; None: none)."""
        self._deadline = deadline
        return self

    def read_word(self, image) -> str:
        """The text of an image holding one word (a crop)."""
        from tesserocr import PSM

        self._api.SetPageSegMode(PSM.SINGLE_WORD)
        try:
            _set_image(self._api, image)
            return (self._api.GetUTF8Text() or "").strip()
        finally:
            self._api.SetPageSegMode(PSM.AUTO)

    def recognize(self, image, dpi: Optional[float]) -> list[OcrLine]:
        """Words with boxes and confidences, grouped in Tesseract's text lines (as `lang` read them:
        see `reread_unsure`)."""
        return self._recognize(self._api, image, dpi)

    def recognize_script(self, image, dpi: Optional[float]) -> Optional[list[OcrLine]]:
        """The page read with the `script` model (Fraktur), loaded on first use; None without one.

        Tesseract's OSD names a page's script too, but not reliably enough to choose
        a model (an italic Latin page: Fraktur, confidence 2.5); reading the page
        with both models and keeping the surer reading does (`engines.ocr.page`).
        """
        from tesserocr import OEM, PSM, PyTessBaseAPI

        if not self.script:
            return None
        if self._script_api is None:
            self._script_api = PyTessBaseAPI(path=self.tessdata, lang=self.script, psm=PSM.AUTO, oem=OEM.LSTM_ONLY)
        return self._recognize(self._script_api, image, dpi)

    def _recognize(self, api, image, dpi: Optional[float]) -> list[OcrLine]:
        from tesserocr import RIL, iterate_level

        _set_image(api, image)
        if dpi:
            api.SetSourceResolution(int(round(dpi)))
        # Tesseract itself stops at the deadline (its ETEXT_DESC monitor); False means it did.
        finished = api.Recognize(timeout=remaining_ms(self._deadline))
        if not finished and self._deadline is not None and remaining_ms(self._deadline) <= 1:
            raise PageTimeout("Tesseract recognition ran over the page's time limit")
        iterator = api.GetIterator()
        lines: list[OcrLine] = []
        if iterator is None:
            return lines
        for word in iterate_level(iterator, RIL.WORD):
            try:
                text = (word.GetUTF8Text(RIL.WORD) or "").strip()
            except RuntimeError:  # an empty page still yields one position, without text
                continue
            box = word.BoundingBox(RIL.WORD)
            if word.IsAtBeginningOf(RIL.TEXTLINE) or not lines:
                line_box = word.BoundingBox(RIL.TEXTLINE) or box
                attributes = word.RowAttributes() or {}
                # row_height is x-height plus ascenders; descenders are negative.
                font_px = float(attributes.get("row_height", 0.0)) - float(attributes.get("descenders", 0.0))
                if font_px <= 0 and line_box:
                    font_px = float(line_box[3] - line_box[1])
                lines.append(OcrLine([], line_box, font_px))
            if text and box:
                lines[-1].words.append(OcrWord(text, box, max(0.0, word.Confidence(RIL.WORD)) / 100.0))
        return [line for line in lines if line.words]

    def reread_unsure(self, lines: list[OcrLine], image, dpi: Optional[float]) -> None:
        """Words read with low confidence are read again, alone, by the re-read model; the surer reading wins.

        Only on the reading that is kept: a page read the wrong way up is all unsure words.

        The eng model (tessdata_fast) has no ü, ł, ñ, ã, –, ²: it writes the nearest
        letter it has, unsure. Tesseract's Latin-script model has them but reads a
        page 1.4x slower, so only the unsure words (a few percent) go to it.
        """
        from tesserocr import OEM, PSM, PyTessBaseAPI

        if not self.reread:
            return
        for line in lines:
            top, bottom = line.box[1], line.box[3]
            pad = max(3, (bottom - top) // 5)
            for i, word in enumerate(line.words):
                if word.confidence >= REREAD_BELOW:
                    continue
                if self._reread_api is None:
                    self._reread_api = PyTessBaseAPI(path=self.tessdata, lang=self.reread, psm=PSM.SINGLE_WORD,
                                                     oem=OEM.LSTM_ONLY)
                x0, x1 = word.box[0], word.box[2]
                # The line's height, not the word's: a word's box without ascenders cuts accents off.
                _set_image(self._reread_api, image.crop((max(0, x0 - pad), max(0, top - pad),
                                                      min(image.width, x1 + pad), min(image.height, bottom + pad))))
                if dpi:
                    self._reread_api.SetSourceResolution(int(round(dpi)))
                text = (self._reread_api.GetUTF8Text() or "").strip()
                confidence = self._reread_api.MeanTextConf() / 100.0
                if text and " " not in text and confidence > word.confidence:
                    line.words[i] = OcrWord(text, word.box, confidence)


def remaining_ms(deadline: Optional[float]) -> int:
    """Milliseconds left before `deadline` (at least 1), or 0 for no limit (tesserocr's convention)."""
    if deadline is None:
        return 0
    return max(1, int((deadline - time.monotonic()) * 1000))
