"""Reading the output back: Markdown, HTML, JSON and retrieval chunks from OUT's Parquet only.

read.py (OUT -> documents with their pages) -> structure.py (a page's blocks in reading order,
with tables, figures, footnotes placed) -> markdown.py | html.py | files.py (JSON, file names) | chunks.py.
Nothing here extracts again: what is not in OUT/pages is not in an export.
"""
