"""Two Ray nodes (ray.cluster_utils.Cluster, one CPU each): page work runs on both, output is complete."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter

import pyarrow.dataset as ds
import pymupdf
import pytest

from docpipe.config import RunConfig
from docpipe.runner.pipeline import run
from support.raycluster import free_ports

N_PAGES = 30


@pytest.fixture(scope="module")
def two_nodes():
    from ray.cluster_utils import Cluster

    temp = tempfile.mkdtemp(prefix="dpmn-")
    with pytest.MonkeyPatch.context() as patch:
        # Cluster writes its address to RAY_TMPDIR/ray/ray_current_cluster, where any
        # ray.init() on this machine would find and join it: keep it in our own folder.
        patch.setenv("RAY_TMPDIR", temp)
        gcs, dashboard, head_agent, node_agent = free_ports(4)  # distinct, unlike four free_port() calls
        cluster = Cluster(initialize_head=True, head_node_args=dict(
            num_cpus=1, gcs_server_port=gcs, include_dashboard=True, dashboard_port=dashboard,
            dashboard_agent_listen_port=head_agent))
        try:
            cluster.add_node(num_cpus=1, dashboard_agent_listen_port=node_agent)
            cluster.wait_for_nodes()
            yield cluster
        finally:
            cluster.shutdown()
            shutil.rmtree(temp, ignore_errors=True)


def _book(path, n_pages: int) -> None:
    doc = pymupdf.open()
    for i in range(n_pages):
        page = doc.new_page()
        page.insert_text((72, 72), f"Page {i + 1} of a book spread over two nodes.")
    doc.save(path)
    doc.close()


def test_pages_run_on_both_nodes_and_output_is_complete(two_nodes, tmp_path):
    from ray.util.state import list_nodes, list_tasks

    _book(tmp_path / "book.pdf", N_PAGES)
    (tmp_path / "in").mkdir()
    shutil.move(tmp_path / "book.pdf", tmp_path / "in" / "book.pdf")
    out = tmp_path / "out"
    summary = run(RunConfig(input=str(tmp_path / "in"), out=str(out), progress=False, pages_per_unit=1,
                            address=two_nodes.address))
    assert [(d.status, d.pages_ok) for d in summary.documents] == [("ok", N_PAGES)]
    pages = ds.dataset(out / "pages", format="parquet").to_table(columns=["page"]).column("page").to_pylist()
    assert sorted(pages) == list(range(1, N_PAGES + 1))

    # Where the page stage's tasks ran (a born-digital book: tasks, not actors), from Ray's own
    # task records (they arrive asynchronously).
    dashboard = f"http://{two_nodes.webui_url}"
    nodes = {n.node_id for n in list_nodes(address=dashboard)}
    assert len(nodes) == 2
    deadline = time.monotonic() + 30
    while True:
        tasks = list_tasks(address=dashboard, filters=[("name", "=", "MapBatches(extract_bundles)")],
                           detail=True, limit=10_000)
        per_node = Counter(t.node_id for t in tasks)
        if set(per_node) == nodes or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert set(per_node) == nodes, per_node
    assert sum(per_node.values()) == N_PAGES  # one batch per bundle of one page
