"""The text-layer engine: PyMuPDF glyphs, drawings and images -> lines, blocks, tables in reading order."""
