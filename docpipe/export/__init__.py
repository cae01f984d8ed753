"""Reading the output back (DESIGN.md section 5): readable exports and the static page viewer, from the Parquet only."""
