"""Bytes in and out on any pyarrow filesystem: finding, probing, opening and rendering inputs; the OUT layout."""
