"""The engines, one folder each with its library adapter (`text/` PyMuPDF, `ocr/` Tesseract, `vlm/` vLLM),
the per-page choice between them (`route`) and the only list of them (`registry`)."""
