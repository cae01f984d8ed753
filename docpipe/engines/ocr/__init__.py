"""The OCR engine: a page image -> upright, deskewed, rulings erased -> a `Recognizer`'s words -> lines,
blocks, tables (Tesseract is the recognizer docpipe ships)."""
