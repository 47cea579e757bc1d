#!/usr/bin/env bash
# Measures what dropping a patched dependency costs: several builds of glit (and settings of
# each), run in turn, round after round, on the same two benchmarks, so every build meets the
# same load; each round starts with the next build. Each entry is LABEL=BINARY, optionally
# with environment settings after a comma:
#
#   bench/fork_costs.sh OUT.csv ROUNDS LABEL=BINARY[,VAR=VALUE...] ...
#
# e.g., with the builds of bench/fork_variants.sh:
#   bench/fork_costs.sh costs.csv 3 patched=bins/glit-patched 'no-spin=bins/glit-patched,GLIT_POOL_SPIN_US=0'
#
# Benchmarks: `glit bench micro` and `glit bench paper-tiny --image-size 32 --patch 4` (the
# paper-tiny stack), glit's side only, 3 repetitions each. The CSV gets one row per build,
# benchmark, round and figure (train or score images/s, the repetitions' median).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OUT.csv ROUNDS LABEL=BINARY[,VAR=VALUE...] ..." >&2; exit 2; }
out=$1
rounds=$2
shift 2
echo "build,benchmark,round,figure,images_per_s,seconds" > "$out"
benchmarks=("micro|micro --steps 10" "paper-tiny-stack|paper-tiny --image-size 32 --patch 4 --steps 4")
entries=("$@")
for round in $(seq 1 "$rounds"); do
  # Each round starts one build later, so no build always runs first (or last) while the
  # machine's speed drifts within a round.
  for offset in $(seq 0 $(( ${#entries[@]} - 1 ))); do
    entry=${entries[$(( (round - 1 + offset) % ${#entries[@]} ))]}
    label=${entry%%=*}
    rest=${entry#*=}
    IFS=, read -r -a parts <<< "$rest"
    binary=${parts[0]}
    settings=("${parts[@]:1}")
    for benchmark in "${benchmarks[@]}"; do
      name=${benchmark%%|*}
      read -r -a args <<< "${benchmark#*|}"
      start=$(date +%s%N)
      report=$(env "${settings[@]}" "$binary" bench "${args[@]}" --repeats 3 --no-torch 2>&1)
      seconds=$(( ($(date +%s%N) - start) / 1000000000 ))
      for figure in train score; do
        # "train   275.8 [min–max]  -  -": the median is the second field.
        value=$(awk -v f="$figure" '$1 == f { print $2; exit }' <<< "$report")
        [ -n "$value" ] || { echo "no $figure figure from $label:" >&2; echo "$report" >&2; exit 1; }
        echo "$label,$name,$round,$figure,$value,$seconds" >> "$out"
        echo "round $round  $label  $name  $figure  $value img/s"
      done
    done
  done
done
# The median over rounds of each build's figures, and its ratio to the first build's.
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
builds = list(dict.fromkeys(r["build"] for r in rows))
width = max(len(b) for b in builds) + 2
print(f"{'build':<{width}}{'benchmark':<18}{'figure':<7}{'median img/s':>13}{'vs ' + builds[0]:>16}")
for bench in dict.fromkeys(r["benchmark"] for r in rows):
    for figure in ("train", "score"):
        def median(build):
            return statistics.median(float(r["images_per_s"]) for r in rows
                                     if (r["build"], r["benchmark"], r["figure"]) == (build, bench, figure))
        base = median(builds[0])
        for build in builds:
            m = median(build)
            print(f"{build:<{width}}{bench:<18}{figure:<7}{m:>13.1f}{m / base:>15.2f}×")
PY
