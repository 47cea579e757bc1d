"""Logits of a glit network file computed by the PyTorch twin, for the test suite to compare
with glit's own.

    python3 reference/twin_logits.py NETWORK.net INPUTS.json

INPUTS.json holds `arch` (an architecture as glit writes it in JSON), `shape` ([B, C, H, W])
and `images` (their values, row-major). Prints `{"logits": [[...], ...]}`.
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from check import read_safetensors  # noqa: E402
from glit_torch import Supernet  # noqa: E402


def main():
    tensors, meta = read_safetensors(sys.argv[1])
    inputs = json.loads(Path(sys.argv[2]).read_text())
    net = Supernet(json.loads(meta["space"]))
    prefix = "model."
    weights = {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in tensors.items()}
    net.load_glit_state(weights)
    net.eval()
    images = torch.tensor(inputs["images"], dtype=torch.float32).reshape(inputs["shape"])
    with torch.no_grad():
        logits = net(images, inputs["arch"])
    print(json.dumps({"logits": logits.tolist()}))


if __name__ == "__main__":
    main()
