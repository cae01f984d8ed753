"""docpipe: folders or buckets of PDFs and page images to Parquet, on Ray Data."""

__version__ = "0.1.0"
