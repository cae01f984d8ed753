"""Every exception docpipe raises, in two families.

Run-level (`RunError`): the run cannot mean anything (bad arguments, an output
that cannot be written, an engine that cannot start). Raised before or instead
of work; the CLI prints the one message and exits 2.

Per document or page: a bad input is data. These never leave the stage that
raised them; they become the `error_kind` and `error` of a row.
"""

from __future__ import annotations

from docpipe.records import ErrorKind


# ---------------------------------------------------------------- run-level: exit 2

class RunError(RuntimeError):
    """A problem with the run itself; its message tells the user what to do."""


class InputError(RunError, ValueError):
    """The input argument itself is unusable."""


class OutputError(RunError):
    """The output location cannot be written."""


class OutputLocked(OutputError):
    """Another run is writing the same OUT."""


class Interrupted(RunError):
    """The run was stopped from outside (Ctrl-C, SIGTERM, the cluster); what was committed stays."""

    def __init__(self, message: str, exit_code: int = 130):
        super().__init__(message)
        self.exit_code = exit_code


class RayUnavailable(RunError):
    """Ray could not be started, or the cluster named by --address could not be joined."""


class EngineUnavailable(RunError):
    """An engine the run needs cannot be loaded or reached (raised before any work)."""


class TesseractUnavailable(EngineUnavailable):
    """Tesseract, its data or a requested language is missing."""


class VlmUnavailable(EngineUnavailable):
    """The VLM cannot be reached or started."""


class SchemaError(VlmUnavailable):
    """--schema does not name a loadable pydantic model."""


# ---------------------------------------------------------------- per document or page: a row

class DocumentError(Exception):
    """A document or page that cannot be read; `kind` is the error_kind its row will show."""

    def __init__(self, kind: ErrorKind, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class NeedsOcr(Exception):
    """The text layer cannot give this page's text; `reason` says why (a TextLayerVerdict value)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PageTimeout(BaseException):
    """The page ran over its time limit.

    A BaseException, like KeyboardInterrupt, so that engine code catching
    `Exception` for damaged pages cannot swallow it.
    """


class VlmAnswerError(ValueError):
    """The VLM's answer cannot be turned into a page (empty, not JSON, wrong schema)."""
