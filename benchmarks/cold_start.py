"""Cold start: how long `docpipe run` takes on a one-page PDF, from process start to exit.

    python benchmarks/cold_start.py [--cpus 1 2] [--repeat 7] [--max-wait 30] [--json out.json]

The one-page PDF is page 1 of gen_born_digital.py seed 1 (a two-column report), made in a
temp folder. For each CPU count, round robin, REPEAT times each:

  docpipe run   the console script, `docpipe run ONE.pdf --out FRESH --num-cpus C -q`: wall
                time from spawn to exit, CPU seconds and peak PSS of its process tree (Ray's
                GCS, raylet, agents and workers included), as speed_born_digital.py measures;
  phases        the same run in a child that calls what the CLI calls (RunConfig, then
                docpipe.pipeline.run) with clocks between the steps: interpreter start and
                imports (`docpipe.cli`, `docpipe.pipeline`, `ray`); `ray.init` (docpipe's own
                init_ray, so the same arguments); the probe stage (the first Ray Data job:
                a fresh worker process that imports docpipe and PyMuPDF); the extract stage (the
                page tasks, one page, the Parquet part); and process exit (the rest, measured
                from outside: the CLI's exit_process, which kills Ray's processes with it). The child times pipeline._probe_all and
                extract_all by wrapping them; a rename there drops those two rows.

The machine is shared (2 cores, other people's jobs): before each run the script waits up to
--max-wait s for the machine to go idle, then records the other jobs' load during the run
(busy cores machine-wide minus ours) and the 1-minute load average; it reports the median
and the minimum, since other load only ever adds time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import spread_cells  # noqa: E402
PHASES = ["imports", "ray.init", "probe stage", "extract stage", "rest of pipeline.run", "process exit"]


# ------------------------------------------------------------------ the phases child


def _boot_clock() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def _process_started() -> float:
    """When this process was forked, on the boot clock (the kernel's starttime, 10 ms ticks)."""
    ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    return ticks / os.sysconf("SC_CLK_TCK")


def phases_child(cpus: int, pdf: str, out: str) -> None:
    """Run the pipeline with clocks between its steps; print {phase: seconds} as JSON.

    Only the standard library is imported before the first clock, so "imports" is what the
    console script pays (plus this file's few lines).
    """
    marks = {"spawned": _process_started()}
    import docpipe.cli  # noqa: F401  what the console script imports before parsing arguments
    import ray  # noqa: F401

    from docpipe.runner import pipeline, session as ray_session
    from docpipe.config import RunConfig

    marks["imported"] = _boot_clock()
    stage_s: dict[str, float] = {}
    for name, label in (("_probe_all", "probe stage"), ("extract_all", "extract stage")):
        original = getattr(pipeline, name, None)
        if original is None:
            continue

        def timed(*args, _original=original, _label=label, **kwargs):
            started = _boot_clock()
            try:
                return _original(*args, **kwargs)
            finally:
                stage_s[_label] = _boot_clock() - started

        setattr(pipeline, name, timed)
    config = RunConfig(input=pdf, out=out, num_cpus=cpus, progress=False)
    ray_session.init_ray(config)  # run() then finds Ray up
    marks["ray_up"] = _boot_clock()
    summary = pipeline.run(config, shutdown_ray=False)
    marks["run_done"] = _boot_clock()
    assert sum(summary.pages_by_engine.values()) == 1, summary
    run_s = marks["run_done"] - marks["ray_up"]
    print(json.dumps({
        "imports": marks["imported"] - marks["spawned"],
        "ray.init": marks["ray_up"] - marks["imported"],
        **stage_s,
        "rest of pipeline.run": run_s - sum(stage_s.values()),
        "until_run_done": marks["run_done"] - marks["spawned"],
    }))
    ray_session.exit_process(0)  # as the console script ends: Ray's processes killed with it


# ------------------------------------------------------------------ measuring


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def one_run(sb, bench, one_page: Path, cpus: int, phases: bool) -> dict:
    out = Path(tempfile.mkdtemp(dir=bench.tmp, prefix="out-")) / "out"
    if phases:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_phases", str(cpus), str(one_page), str(out)]
    else:
        cmd = sb.docpipe_cmd(one_page, out, cpus)
    load = loadavg()
    m = sb.measure(cmd, bench)
    m["loadavg_1m"] = load
    if phases:
        got = json.loads(m["stdout"].strip().splitlines()[-1])
        got["process exit"] = m["wall_s"] - got.pop("until_run_done")
        m["phases"] = got
    elif sb.docpipe_pages_ok(out) != 1:
        raise RuntimeError("docpipe run did not write its one page")
    m.pop("stdout", None)
    return m


def report(results: dict) -> str:
    lines = ["| command | CPUs | runs | wall s median | min | max | CPU s (median) | peak MB (PSS, max) "
             "| other jobs, cores (median / max) | load avg 1 min (median) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (kind, cpus), ms in results.items():
        label = "docpipe run (console script)" if kind == "run" else "pipeline.run with phase clocks"
        others = [m["others_cores"] for m in ms]
        lines.append(f"| {label} | {cpus} | {len(ms)} | {spread_cells([m['wall_s'] for m in ms])} "
                     f"| {statistics.median(m['cpu_s'] for m in ms):.1f} | {max(m['peak_mb'] for m in ms):.0f} "
                     f"| {statistics.median(others):.2f} / {max(others):.2f} "
                     f"| {statistics.median(m['loadavg_1m'] for m in ms):.2f} |")
    for (kind, cpus), ms in results.items():
        if kind != "phases":
            continue
        walls = statistics.median(m["wall_s"] for m in ms)
        lines += ["", f"Phases, {cpus} CPU (seconds over {len(ms)} runs; share of the median wall {walls:.2f} s):",
                  "", "| phase | median | min | max | share |", "|---|---:|---:|---:|---:|"]
        for phase in PHASES:
            values = [m["phases"][phase] for m in ms if phase in m["phases"]]
            if values:
                lines.append(f"| {phase} | {spread_cells(values)} | {100 * statistics.median(values) / walls:.0f}% |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--_phases":
        phases_child(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    sys.path.insert(0, str(HERE))
    import speed_born_digital as sb  # measure, snapshot_code, make_one_page, machine

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpus", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--max-wait", type=float, default=30.0, help="longest wait (s) for an idle machine per run")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    info = sb.machine()
    results: dict[tuple[str, int], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="docpipe-cold-") as tmp_name:
        tmp = Path(tmp_name)
        bench = sb.Bench(tmp, sb.snapshot_code(tmp / "code"), args.max_wait)
        info["code_sha256"] = sb.code_hash(tmp / "code")
        subprocess.run([sys.executable, str(sb.GENERATOR), str(tmp / "gen"), "--n", "1", "--seed", "1"],
                       check=True, capture_output=True)
        one_page = sb.make_one_page(sorted((tmp / "gen").glob("*.pdf"))[0], tmp / "one")
        for k in range(args.repeat):
            for cpus in args.cpus:
                for kind in ("run", "phases"):
                    print(f"[{k + 1}/{args.repeat}] {kind} {cpus} CPU", file=sys.stderr, flush=True)
                    results.setdefault((kind, cpus), []).append(one_run(sb, bench, one_page, cpus, kind == "phases"))
    print(report(results))
    print(f"\nMachine: {json.dumps(info)}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "runs": {f"{k} {c}": ms for (k, c), ms in results.items()}},
                                        indent=1))


if __name__ == "__main__":
    main()
