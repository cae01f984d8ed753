"""Parquet parts are written whole or not at all; an unusable --out is a run-level error."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from docpipe.arrow import PAGES_SCHEMA, to_table
from docpipe.records import PageResult
from docpipe.errors import OutputError
from docpipe.io.parquet import prepare_output, write_table


def test_write_table_leaves_only_the_final_file(tmp_path):
    prepare_output(str(tmp_path))
    table = to_table([PageResult(doc_id="d", source="s", page=1, text="hello")], PAGES_SCHEMA)
    relative = write_table(str(tmp_path), "pages", table)
    files = sorted(p.name for p in (tmp_path / "pages").iterdir())
    assert files == [relative.split("/")[-1]]  # no temporary file left behind
    assert pq.read_table(tmp_path / relative).column("text").to_pylist() == ["hello"]


def test_output_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        prepare_output(str(target))


def test_unwritable_output_is_refused(tmp_path):
    # A folder under a regular file cannot be created, even by root.
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        prepare_output(str(blocker / "out"))
