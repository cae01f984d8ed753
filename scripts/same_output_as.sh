#!/usr/bin/env bash
# Does this tree write the same documents and pages rows as REV on sample_docs/?
#   scripts/same_output_as.sh REV        (e.g. main, or a commit before a refactor)
# Runs `docpipe run sample_docs` once with REV's code (a temporary git worktree) and once with this
# tree's, on the same input path, then compares the two outputs with scripts/same_output.py.
set -euo pipefail
rev=${1:?usage: scripts/same_output_as.sh REV}
root=$(git rev-parse --show-toplevel)
python=${PYTHON:-$root/.venv/bin/python}
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add --detach "$tmp/old" "$rev" >/dev/null 2>&1
for side in old new; do
    code=$([ "$side" = old ] && echo "$tmp/old" || echo "$root")
    if ! (cd "$code" && PYTHONPATH="$code" "$python" -m docpipe.cli run "$root/sample_docs" --out "$tmp/$side" -q \
            >"$tmp/$side.log" 2>&1); then
        echo "the $side tree's run failed:" >&2; tail -20 "$tmp/$side.log" >&2; exit 1
    fi
done
"$python" "$root/scripts/same_output.py" "$tmp/old" "$tmp/new"
