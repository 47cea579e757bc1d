#!/usr/bin/env bash
# The GPU benchmark: paper-tiny at 224×224, batch 128, glit (burn-cuda) next to PyTorch eager
# with the same supernet and architectures, on one NVIDIA GPU. Prints both img/s and ratios.
#
#   bench/gpu.sh                 # builds `--features cuda` when cargo is there
#   GLIT=path/to/glit bench/gpu.sh   # or uses a glit already built with `--features cuda`
#
# Needs the NVIDIA driver and PyTorch with CUDA (`python3 -c "import torch"`); building needs
# no CUDA toolkit. Takes a few minutes; STEPS and REPEATS shorten or lengthen it.
set -euo pipefail
cd "$(dirname "$0")/.."

glit="${GLIT:-}"
if [[ -z "$glit" ]]; then
    if command -v cargo > /dev/null; then
        cargo build --release --features cuda
        glit=target/release/glit
    elif [[ -x .gpu-bin/glit ]]; then
        glit=.gpu-bin/glit
    else
        echo "no cargo here: build with \`cargo build --release --features cuda\` elsewhere and set GLIT" >&2
        exit 2
    fi
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name(0))'
"$glit" bench paper-tiny --device cuda:0 --batch 128 \
    --steps "${STEPS:-10}" --repeats "${REPEATS:-3}" --archs 4
