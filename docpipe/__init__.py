"""docpipe: folders or buckets of PDFs and page images to Parquet, on Ray Data.

    import docpipe
    summary = docpipe.run(docpipe.RunConfig(input="scans/", out="out/"))

`import docpipe` loads pydantic and nothing heavier: Ray, PyMuPDF and the
engines load when a run starts.
"""

from docpipe.config import Limits, OcrConfig, RenderConfig, RunConfig, VlmConfig
from docpipe.errors import RunError
from docpipe.records import DOCPIPE_VERSION, Block, Cell, DocumentResult, Line, PageResult, Table

__version__ = DOCPIPE_VERSION


def run(config: RunConfig):
    """Run the pipeline on `config`; returns a `runner.pipeline.RunSummary`.

    Raises `RunError` for run-level problems only: a bad input file is a documents row.
    """
    from docpipe.runner.pipeline import run as run_pipeline

    return run_pipeline(config)


__all__ = [
    "Block", "Cell", "DocumentResult", "Limits", "Line", "OcrConfig", "PageResult", "RenderConfig", "RunConfig",
    "RunError", "Table", "VlmConfig", "__version__", "run",
]
