#!/usr/bin/env bash
# System packages docpipe needs beside its Python dependencies:
#   poppler-utils  the optional `--renderer poppler` (pdf2image calls pdftoppm)
# Debian/Ubuntu through apt, macOS through Homebrew; skipped when already present.
set -euo pipefail

need=()
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
elif command -v brew >/dev/null 2>&1; then
    brew install poppler
else
    echo "docpipe setup: please install: ${need[*]} (no apt-get or brew found)" >&2
    exit 1
fi
