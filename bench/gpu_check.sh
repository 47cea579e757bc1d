#!/usr/bin/env bash
# The first-GPU check, under 10 minutes on one NVIDIA GPU: the CUDA build, the tests that
# touch devices (CUDA beside the CPU: data-parallel training, scoring, the default
# operations), a short `glit train` and `glit score` on cuda:0, and bench/gpu.sh next to
# PyTorch. Every figure goes to one file, gpu-check.txt (in $OUT when set).
#
#   bench/gpu_check.sh            # builds with cargo (needs the crates: run `cargo fetch` first)
#   GLIT=.gpu-bin/glit TESTS=.gpu-bin/integration bench/gpu_check.sh
#                                 # or binaries built elsewhere by bench/gpu_prepare.sh
#
# Needs the NVIDIA driver; building needs no CUDA toolkit. PyTorch with CUDA is optional
# (without it the benchmark prints glit's side only).
set -uo pipefail
cd "$(dirname "$0")/.."
report="${OUT:-.}/gpu-check.txt"
: > "$report"
failures=0
# Runs a step, its output into the report, and counts a failure without stopping.
step() {
    local title="$1"
    shift
    echo "== $title" | tee -a "$report"
    local started=$SECONDS
    if "$@" >> "$report" 2>&1; then
        echo "   ok ($((SECONDS - started)) s)" | tee -a "$report"
    else
        echo "   FAILED ($((SECONDS - started)) s)" | tee -a "$report"
        failures=$((failures + 1))
    fi
}

step "machine" nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
glit="${GLIT:-}"
tests="${TESTS:-}"
if [[ -z "$glit" ]]; then
    step "build --features cuda,ndarray (release)" cargo build --release --features cuda,ndarray
    glit=target/release/glit
fi
export GLIT_CUDA_TESTS=1
device_tests=(devices:: default_ops:: data_parallel::)
if [[ -n "$tests" ]]; then
    step "device tests" "$tests" "${device_tests[@]}"
else
    step "device tests" cargo test --release --features cuda,ndarray --test integration -- "${device_tests[@]}"
fi
run="$(mktemp -d)/gpu-train"
step "glit train on cuda:0 (nano supernet, synthetic data, 2 epochs)" \
    "$glit" train --data synthetic --preset nano --search-split 128 --set epochs=2 \
    --device cuda:0 --out "$run" --quiet
step "glit score on cuda:0 (8 random candidates)" "$glit" score "$run" --random 8 --device cuda:0
step "glit score on cuda:0,cpu (the same candidates, two devices)" \
    "$glit" score "$run" --random 8 --device cuda:0,cpu
step "bench/gpu.sh (paper-tiny at 224, batch 128, beside PyTorch)" \
    env GLIT="$glit" STEPS="${STEPS:-5}" REPEATS="${REPEATS:-2}" bench/gpu.sh
echo "== $failures step(s) failed; figures in $report" | tee -a "$report"
exit $((failures > 0))
