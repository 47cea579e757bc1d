#!/usr/bin/env bash
# The main job (scripts/glit_search.rhai at its default budget) on one data set, timed with
# /usr/bin/time; its two rows (the found network and the all-global baseline, with test
# accuracy, cost and the job's wall time) replace that data set's rows in main_job.csv.
#
#   scripts/experiments/main_job.sh fashion-mnist-mini
#   scripts/experiments/main_job.sh /usr/share/datasets/mnist MNIST
#   glit results docs/results --docs docs/results.md
#
# Environment: GLIT (the binary, default target/release/glit), CSV (default
# docs/results/main_job.csv).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: main_job.sh DATA [LABEL]}
label=${2:-$data}
glit=${GLIT:-target/release/glit}
csv=${CSV:-docs/results/main_job.csv}
out=runs/main-job-$(basename "$data")-$(date +%Y%m%d-%H%M%S)

/usr/bin/time -f "%e" -o "$out.time" "$glit" run scripts/glit_search.rhai --quiet --out "$out" \
    --set data="$data"
python3 - "$out" "$label" "$csv" "$(cat "$out.time")" <<'PY'
import csv, os, sys
out, label, path, wall = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
columns = ["data", "which", "arch", "mflops", "params", "test_accuracy", "test_images", "wall_seconds"]
rows = []
if os.path.exists(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["data"] != label]
with open(os.path.join(out, "results.csv"), newline="") as f:
    for r in csv.DictReader(f):
        rows.append({"data": label, "which": r["which"], "arch": r["arch"], "mflops": r["mflops"],
                     "params": r["params"], "test_accuracy": r["test_accuracy"],
                     "test_images": r["test_images"], "wall_seconds": f"{wall:.1f}"})
os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
with open(path, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=columns)
    w.writeheader()
    w.writerows(rows)
print(f"{label}: {len(rows)} rows in {path}; job wall time {wall:.1f} s")
PY
