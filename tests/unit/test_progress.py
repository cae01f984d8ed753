"""The progress report: counts and rate, one line per report in a log."""

import io

from docpipe.runner.progress import Progress


def test_reports_pages_done_and_rate_on_separate_lines_in_a_log():
    stream = io.StringIO()
    progress = Progress(stream=stream, every_s=0.0)
    progress.start(documents=2, pages=3)
    for _ in range(3):
        progress.page_done({})
    progress.finish()
    lines = stream.getvalue().strip().splitlines()
    assert lines[0].startswith("docpipe: 2 documents, pages 0/3")
    assert "pages 3/3" in lines[-1] and "pages/s" in lines[-1]
