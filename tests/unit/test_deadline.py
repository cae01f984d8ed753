"""The per-page time limit stops Python work in any thread and leaves nothing behind."""

from __future__ import annotations

import threading
import time

import pytest

from docpipe.engines.ocr.tesseract import remaining_ms
from docpipe.errors import PageTimeout
from docpipe.runner.deadline import page_deadline


def _spin() -> None:
    while True:
        pass


def test_a_page_that_never_finishes_is_cut_off():
    started = time.perf_counter()
    with pytest.raises(PageTimeout):
        with page_deadline(0.2):
            _spin()
    assert time.perf_counter() - started < 5


def test_cut_off_off_the_main_thread_as_in_a_ray_actor():
    outcome = []

    def work():
        try:
            with page_deadline(0.2):
                _spin()
        except PageTimeout:
            outcome.append("timeout")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert outcome == ["timeout"]


def test_a_page_within_its_limit_is_untouched_and_nothing_fires_later():
    with page_deadline(0.2) as deadline:
        value = sum(range(1000))
    assert value == 499500 and 0 < remaining_ms(deadline) <= 200
    time.sleep(0.4)  # a late watchdog would raise here
    with page_deadline(0) as deadline:
        assert deadline is None and remaining_ms(deadline) == 0
