"""The progress report: counts, rate and ETA; plain lines in a log, a rich bar on a terminal."""

import io

from rich.console import Console

from docpipe.runner.progress import Progress


def _run(progress: Progress) -> None:
    progress.start(documents=3, pages=3, pages_of={"a": 2, "b": 1})  # the third document: an error row
    for doc_id in ("a", "a", "b"):
        progress.page_done({"doc_id": doc_id})
    progress.finish()


def test_reports_documents_pages_rate_and_eta_on_separate_lines_in_a_log():
    stream = io.StringIO()
    _run(Progress(stream=stream, every_s=0.0))
    lines = stream.getvalue().strip().splitlines()
    assert lines[0].startswith("docpipe: documents 1/3, pages 0/3 (0.0 pages/s, ETA -:--:--)")
    assert lines[2].startswith("docpipe: documents 2/3, pages 2/3")  # a's two pages are back
    assert "documents 3/3, pages 3/3" in lines[-1] and "pages/s, ETA 0:00:00" in lines[-1]
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_a_log_gets_a_line_every_few_seconds_only():
    stream = io.StringIO()
    _run(Progress(stream=stream, every_s=3600))
    assert len(stream.getvalue().strip().splitlines()) == 2  # the start and the finish


def test_draws_a_rich_bar_on_a_terminal():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system="standard")
    _run(Progress(console=console))
    out = buffer.getvalue()
    assert "\x1b[" in out and "━" in out  # drawn with escapes and a bar, not as plain lines
    assert "docpipe" in out and "documents 3/3, pages 3/3" in out and "pages/s, ETA 0:00:00" in out
    assert "docpipe: documents" not in out


def test_disabled_writes_nothing():
    stream = io.StringIO()
    _run(Progress(enabled=False, stream=stream))
    assert stream.getvalue() == ""


def test_stop_leaves_the_bar_and_finish_then_writes_no_plain_line():
    buffer = io.StringIO()
    progress = Progress(console=Console(file=buffer, force_terminal=True, width=120))
    progress.start(documents=1, pages=4, pages_of={"a": 4})
    progress.page_done({"doc_id": "a"})
    progress.stop()
    stopped = buffer.getvalue()
    assert "pages 1/4" in stopped and stopped.endswith("\x1b[?25h")  # the cursor shown again
    progress.stop()
    progress.finish()  # as the driver calls them: stop when Ray is done, finish after the summary's work
    assert buffer.getvalue() == stopped
