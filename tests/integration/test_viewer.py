"""`docpipe view` in a real headless Chromium, opened from file://: boxes where the Parquet says, layers, search.

docpipe runs as a subprocess on this worktree's code (PYTHONPATH), as a user runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from PIL import Image

from support.browser import chromium, missing

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("two_column.pdf", "ruled_table.pdf", "corrupt.pdf")
TOLERANCE_PX = 1.0

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")

# Every drawn box, its data-bbox, and where it is drawn relative to its page image, in pixels.
MEASURE = """
return [...document.querySelectorAll("section.page")].map((section) => {
  const image = section.querySelector("img.page-image").getBoundingClientRect();
  return {page: section.id, width: image.width, height: image.height,
    boxes: [...section.querySelectorAll(".box")].map((box) => {
      const r = box.getBoundingClientRect();
      return {layer: box.dataset.layer, kind: box.dataset.kind, bbox: box.dataset.bbox.split(" ").map(Number),
              drawn: [r.left - image.left, r.top - image.top, r.right - image.left, r.bottom - image.top]};
    })};
});
"""


def _docpipe(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this worktree's docpipe, in the CLI and in Ray's workers
    result = subprocess.run([sys.executable, "-c", "from docpipe.cli import main; main()", *args], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def viewer(sample_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("viewer")
    (folder / "in").mkdir()
    for name in DOCS:
        shutil.copy(sample_dir / name, folder / "in" / name)
    _docpipe("run", str(folder / "in"), "--out", str(folder / "out"), "--num-cpus", "1", "--quiet")
    _docpipe("view", str(folder / "out"), "--to", str(folder / "view"))
    pages = ds.dataset(folder / "out" / "pages", format="parquet").to_table().to_pylist()
    return folder / "view", {Path(p["source"]).name: p for p in pages}


def _open(driver, view: Path, page: dict) -> None:
    driver.get((view / f"doc-{page['doc_id']}.html").as_uri())


def _near(drawn: list[float], bbox: list[float], width: float, height: float) -> bool:
    want = [bbox[0] * width, bbox[1] * height, bbox[2] * width, bbox[3] * height]
    return all(abs(a - b) <= TOLERANCE_PX for a, b in zip(drawn, want))


@pytest.mark.parametrize("name", ["two_column.pdf", "ruled_table.pdf"])
def test_boxes_are_drawn_where_the_parquet_says(viewer, name):
    view, pages = viewer
    page = pages[name]
    with chromium() as driver:
        _open(driver, view, page)
        (shown,) = driver.execute_script(MEASURE)
    width, height = shown["width"], shown["height"]
    assert width > 300 and height > 300
    by_layer = {layer: [b for b in shown["boxes"] if b["layer"] == layer] for layer in ("lines", "blocks", "cells")}
    cells = [c for t in page["tables"] for c in t["cells"]]
    assert len(by_layer["lines"]) == len(page["lines"]) > 0
    assert len(by_layer["blocks"]) == len(page["blocks"])
    assert len(by_layer["cells"]) == len(cells)
    assert (len(cells) > 0) == (name == "ruled_table.pdf")
    for box in shown["boxes"]:
        assert _near(box["drawn"], box["bbox"], width, height), box
    wanted = {"lines": [(ln["bbox"], "line") for ln in page["lines"]],
              "blocks": [(b["bbox"], b["kind"]) for b in page["blocks"]], "cells": [(c["bbox"], "cell") for c in cells]}
    for layer, expected in wanted.items():
        for box, (bbox, kind) in zip(by_layer[layer], expected):
            assert box["kind"] == kind and _near(box["drawn"], bbox, width, height), (layer, box, bbox)


def test_a_layer_switched_off_hides_its_boxes_and_search_shows_hits(viewer, tmp_path):
    view, pages = viewer
    page = pages["ruled_table.pdf"]
    word = "ledger"
    matching = [ln["text"] for ln in page["lines"] if word in ln["text"].lower()]
    assert matching
    with chromium() as driver:
        _open(driver, view, page)
        switch = driver.find_element("css selector", "input[type=checkbox][data-layer=cells]")
        switch.click()
        assert not any(b.is_displayed() for b in driver.find_elements("css selector", ".box[data-layer=cells]"))
        assert all(b.is_displayed() for b in driver.find_elements("css selector", ".box[data-layer=lines]"))
        switch.click()
        assert all(b.is_displayed() for b in driver.find_elements("css selector", ".box[data-layer=cells]"))

        driver.find_element("css selector", "input.search").send_keys(word)
        hits = driver.find_elements("css selector", ".search-hits li")
        assert [h.text.split(" ", 2)[2] for h in hits] == matching  # "p. 1 <line text>"
        boxes = driver.find_elements("css selector", ".box.hit[data-layer=lines]")
        assert len(boxes) == len(matching) and all(b.is_displayed() for b in boxes)
        assert driver.find_element("css selector", ".search-count").text == f"{len(matching)} hits on 1 page"

        screenshot = Path(os.environ.get("DOCPIPE_VIEWER_SCREENSHOT", tmp_path / "viewer.png"))
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1200, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        assert driver.save_screenshot(str(screenshot))
    assert Image.open(screenshot).size == (1200, 800)


def test_the_index_lists_every_document_with_its_status_and_error(viewer):
    view, _ = viewer
    with chromium() as driver:
        driver.get((view / "index.html").as_uri())
        rows = {Path(r.find_element("css selector", ".source").text).name: r
                for r in driver.find_elements("css selector", "tr.document")}
        assert set(rows) == set(DOCS)
        assert rows["corrupt.pdf"].find_element("css selector", ".status").text == "error"
        assert rows["corrupt.pdf"].find_element("css selector", ".error").text.startswith("corrupt:")
        assert not rows["corrupt.pdf"].find_elements("css selector", "a")
        link = rows["two_column.pdf"].find_element("css selector", "a")
        assert rows["two_column.pdf"].find_element("css selector", ".status").text == "ok"
        link.click()
        assert driver.find_elements("css selector", ".box[data-kind=line]")
