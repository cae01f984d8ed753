"""The only list of engines: what each needs before a run (preflight) and in each worker (resources).

Page engines are `text`, `ocr` and `vlm` (`records.Engine`); which a page
tries is `route.page_engines`. The OCR engine behind `ocr` is chosen by name
(`--ocr-engine`, `OcrConfig.engine`) among RECOGNIZERS: each name is a module
with `create(OcrConfig) -> Recognizer` and `preflight(OcrConfig)`. A second
OCR engine is one such module and one line below. Modules are imported when
first needed, so the registry itself loads no engine library.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Callable, Generic, Optional, TypeVar

from docpipe.config import RunConfig, VlmConfig
from docpipe.engines.ocr.recognizer import Recognizer
from docpipe.engines.vlm.extraction import check_schema
from docpipe.engines.vlm.inprocess import check_gpus, check_vllm
from docpipe.engines.vlm.server import check_server, make_client
from docpipe.errors import InputError

RECOGNIZERS: tuple[tuple[str, str], ...] = (
    ("tesseract", "docpipe.engines.ocr.tesseract"),
)

T = TypeVar("T")


class OnDemand(Generic[T]):
    """A worker's engine, made on the first page that needs it, then kept.

    Text-only work never loads an OCR model; every page after the first reuses it.
    """

    def __init__(self, make: Callable[[], T]):
        self._make = make
        self._made: Optional[T] = None

    def __call__(self) -> T:
        if self._made is None:
            self._made = self._make()
        return self._made


@dataclass(frozen=True)
class WorkerEngines:
    """What one worker holds: its OCR engine (None when the run has none) and its VLM server client."""

    ocr: Optional[OnDemand[Recognizer]]
    vlm_client: Optional[OnDemand[object]]


@dataclass(frozen=True)
class Registry:
    """Engine names -> adapters. Picklable, so the driver hands the same registry to every worker."""

    recognizers: tuple[tuple[str, str], ...] = RECOGNIZERS

    def with_recognizer(self, name: str, module: str) -> Registry:
        """This registry with one more OCR engine (or another module for a name)."""
        return Registry(tuple((n, m) for n, m in self.recognizers if n != name) + ((name, module),))

    def recognizer(self, name: str) -> ModuleType:
        modules = dict(self.recognizers)
        if name not in modules:
            raise InputError(f"unknown OCR engine {name!r} (--ocr-engine); known: {', '.join(sorted(modules))}")
        return importlib.import_module(modules[name])

    def preflight(self, config: RunConfig) -> None:
        """Before any work: every engine the run needs can be loaded or reached; raises a RunError.

        A run that needs OCR must not quietly lose its scans; a VLM that cannot
        answer must not turn every page into a fallback.
        """
        if config.engine != "text":
            self.recognizer(config.ocr.engine).preflight(config.ocr)
        if config.vlm is not None:
            _preflight_vlm(config.vlm)

    def worker_engines(self, config: RunConfig) -> WorkerEngines:
        """The engines of one worker, loaded on first use: the one place worker-side engine state is made.

        Each engine runs one thread, so one worker per CPU: tesserocr's wheel is built without
        OpenMP, and Ray gives every worker OMP_NUM_THREADS equal to its CPUs for libraries that
        have it. (This used to set OMP_THREAD_LIMIT in the process environment, which changed
        nothing for Tesseract and leaked into whatever the calling process started next.)
        """
        ocr = None
        if config.engine != "text":
            module = self.recognizer(config.ocr.engine)
            ocr = OnDemand(lambda: module.create(config.ocr))
        vlm_client = None
        if config.vlm is not None and config.vlm.url:
            vlm_client = OnDemand(lambda: make_client(config.vlm))
        return WorkerEngines(ocr=ocr, vlm_client=vlm_client)


def _preflight_vlm(vlm: VlmConfig) -> None:
    check_schema(vlm)
    if vlm.url:
        check_server(vlm)
    else:
        check_vllm(vlm)


def check_cluster(config: RunConfig, cluster_gpus: float) -> None:
    """Once Ray is up: the cluster has what the in-process VLM needs."""
    if config.vlm is not None and config.vlm.url is None:
        check_gpus(config.vlm, cluster_gpus)
