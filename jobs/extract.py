"""`ray job submit` entry point: `python jobs/extract.py INPUT --out OUT [docpipe run options]`.

It runs the CLI's own `run` command on the given arguments, so the options
(and their validation, exit codes and summary) are exactly `docpipe run`'s.
Inside a Ray job the supervisor sets RAY_ADDRESS to the job's cluster; the
run then joins that cluster (`--address auto`) instead of starting a Ray of
its own. Run outside a job, it behaves like `docpipe run`.
"""

from __future__ import annotations

import os
import sys


def job_argv(argv: list[str], environ: dict[str, str]) -> list[str]:
    """The `docpipe run` arguments for this job: join the job's cluster unless told otherwise."""
    if environ.get("RAY_ADDRESS") and not any(a == "--address" or a.startswith("--address=") for a in argv):
        return [*argv, "--address", "auto"]
    return list(argv)


def main(argv: list[str] | None = None) -> None:
    from docpipe.cli import app

    args = job_argv(sys.argv[1:] if argv is None else argv, dict(os.environ))
    # Typer exits with the command's own code (0, or 2 for a run-level error).
    app(args=["run", *args], prog_name="jobs/extract.py")


if __name__ == "__main__":
    main()
