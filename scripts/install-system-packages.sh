#!/usr/bin/env bash
# System packages docpipe needs beside its Python dependencies:
#   tesseract-ocr      Tesseract 5 and its English data (the OCR engine; tesserocr uses the data)
#   tesseract-ocr-osd  page orientation detection (pages scanned sideways or upside down)
#   tesseract-ocr-script-latn  Tesseract's Latin-script model: re-reads the words eng reads unsure
#                      (accented letters, dashes, superscripts; docpipe's --ocr-reread, default Latin)
#   tesseract-ocr-script-frak  Tesseract's Fraktur model: reads again the pages eng reads unsure, for
#                      German blackletter (docpipe's --ocr-script, default Fraktur)
#   poppler-utils      the optional `--renderer poppler` (pdf2image calls pdftoppm)
#   chromium, chromium-driver  headless Chromium and its matching WebDriver, for the test of the static
#                      page viewer (`docpipe view`) in a real browser (tests/integration/test_viewer.py)
# More OCR languages: DOCPIPE_OCR_LANGS="deu fra" ./scripts/install-system-packages.sh
# Debian/Ubuntu through apt, macOS through Homebrew; skipped when already present.
set -euo pipefail

tessdata_has() {  # is LANG.traineddata where tesseract looks?
    tesseract --list-langs 2>/dev/null | grep -qx "$1"
}

need=()
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if ! command -v tesseract >/dev/null 2>&1 || ! tessdata_has osd; then need+=(tesseract-ocr-osd); fi
if ! command -v tesseract >/dev/null 2>&1 || ! tessdata_has Latin; then need+=(tesseract-ocr-script-latn); fi
if ! command -v tesseract >/dev/null 2>&1 || ! tessdata_has Fraktur; then need+=(tesseract-ocr-script-frak); fi
for lang in ${DOCPIPE_OCR_LANGS:-}; do
    tessdata_has "$lang" 2>/dev/null || need+=("tesseract-ocr-$lang")
done
[ ${#need[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
elif command -v brew >/dev/null 2>&1; then
    # Homebrew's tesseract carries eng and osd; tesseract-lang carries the rest, Latin among them.
    # No Homebrew Chromium at /usr/bin: the viewer's browser test is skipped there, saying why.
    brew install poppler tesseract tesseract-lang
else
    echo "docpipe setup: please install: ${need[*]} (no apt-get or brew found)" >&2
    exit 1
fi
