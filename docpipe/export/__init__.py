"""Reading the output back, from OUT's Parquet only: Markdown, HTML, JSON, retrieval chunks, the page viewer.

read.py (OUT -> documents with their pages) -> structure.py (a page's blocks in reading order,
with tables, figures, footnotes placed) -> markdown.py | html.py | files.py (JSON, file names) | chunks.py.
view.py, view_data.py, view_images.py and viewer/ (static files): `docpipe view`.
Nothing here extracts again: what is not in OUT/pages is not in an export.
"""
