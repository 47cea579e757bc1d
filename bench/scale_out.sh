#!/usr/bin/env bash
# Run from the repository root after `cargo build --release`.
# Scoring speedup: the main job's fast-mode settings with larger generations, alone, with one
# worker beside it, and with two scoring devices (cpu,cpu) in one process.
set -euo pipefail
G=./target/release/glit
SETS="--set data=fashion-mnist-mini --set preset=micro --set train_images=1000 --set supernet_epochs=1 --set population=12 --set generations=3 --set parents=4 --set mutations=4 --set crossovers=4 --set retrain_top=1 --set retrain_epochs=1 --set final_epochs=1"
for mode in alone worker devices; do
  D=/tmp/sb-$mode; rm -rf $D
  W=""
  case $mode in
    alone) $G run scripts/glit_search.rhai --quiet --out $D $SETS > /dev/null ;;
    worker) $G worker --quiet --idle-exit 600 $D > /dev/null 2>&1 & W=$!
            $G run scripts/glit_search.rhai --quiet --out $D $SETS > /dev/null; wait $W ;;
    devices) $G run scripts/glit_search.rhai --quiet --out $D --device cpu,cpu $SETS > /dev/null ;;
  esac
  evo=$(awk -F, 'NR>1 {if ($1 ~ /evolution/) s+=$2-prev; prev=$2} END {print s}' $D/timing.csv)
  total=$(tail -n1 $D/timing.csv | cut -d, -f2)
  n=$(grep -c '"key":"score-' $D/journal.jsonl)
  best=$(grep 'found$' $D/results.csv | cut -d'"' -f2)
  echo "$mode: $n scores, evolution phases $evo s, run $total s, best $best"
done
