"""The engine seam: an OCR engine is a module plus one registry line, chosen by one config value."""

from __future__ import annotations

import pytest

from docpipe.config import OcrConfig, RunConfig
from docpipe.engines.registry import RECOGNIZERS, Registry
from docpipe.engines.route import page_engines
from docpipe.errors import InputError
from docpipe.io.probe import probe
from docpipe.runner.pages import extract_unit
from docpipe.runner.plan import split_units
from support.stub_recognizer import WORDS

STUB = "support.stub_recognizer"


def stub_config(tmp_path, input_path, **fields) -> RunConfig:
    return RunConfig(input=str(input_path), out=str(tmp_path / "out"), ocr=OcrConfig(engine="stub"), **fields)


def pages_of(path, config: RunConfig, registry: Registry):
    engines = registry.worker_engines(config)
    found = probe(str(path), config.limits)
    return [page for unit in split_units(found, 8) for page in extract_unit(unit, config, engines.ocr)]


def test_a_registered_recognizer_reads_the_scans_of_a_run(sample_dir, tmp_path):
    registry = Registry().with_recognizer("stub", STUB)
    config = stub_config(tmp_path, sample_dir)
    registry.preflight(config)
    (page,) = pages_of(sample_dir / "scan.png", config, registry)
    assert (page.status, page.engine) == ("ok", "ocr")
    assert page.text == " ".join(WORDS)
    assert [line.text for line in page.lines] == [" ".join(WORDS)]
    x0, y0, x1, y1 = page.lines[0].bbox
    assert 0.05 < x0 < x1 < 0.7 and 0.05 < y0 < y1 < 0.2  # where the stub put its words, as page fractions
    assert page.lines[0].confidence == pytest.approx(0.9)


def test_pages_with_a_text_layer_never_reach_the_recognizer(sample_dir, tmp_path):
    registry = Registry().with_recognizer("stub", STUB)
    config = stub_config(tmp_path, sample_dir)
    engines = registry.worker_engines(config)
    found = probe(str(sample_dir / "single_column.pdf"), config.limits)
    pages = [p for unit in split_units(found, 8) for p in extract_unit(unit, config, engines.ocr)]
    assert {p.engine for p in pages} == {"text"} and " ".join(WORDS) not in " ".join(p.text for p in pages)
    assert page_engines(config, "pdf") == ("text", "ocr") and page_engines(config, "image") == ("ocr",)


def test_an_unknown_ocr_engine_stops_the_run_before_work(sample_dir, tmp_path):
    config = stub_config(tmp_path, sample_dir)
    assert "stub" not in dict(RECOGNIZERS)
    with pytest.raises(InputError, match="unknown OCR engine 'stub'.*known: tesseract"):
        Registry().preflight(config)


def test_the_engines_own_preflight_runs_before_work(sample_dir, tmp_path):
    registry = Registry().with_recognizer("stub", STUB)
    config = stub_config(tmp_path, sample_dir).model_copy(update={"ocr": OcrConfig(engine="stub", lang="deu")})
    with pytest.raises(RuntimeError, match="eng only"):
        registry.preflight(config)


def test_a_text_only_run_needs_no_ocr_engine(sample_dir, tmp_path):
    config = stub_config(tmp_path, sample_dir, engine="text")
    Registry().preflight(config)  # the unknown name does not matter: no page goes to OCR
    assert Registry().worker_engines(config).ocr is None
