"""Evaluates a glit standalone checkpoint in PyTorch on fashion-mnist-mini's test split.

    python3 reference/check.py runs/baseline/checkpoint.safetensors

prints the accuracy, which must equal the eval accuracy glit's metrics.csv reports for that
checkpoint's epoch: the two implementations compute the same network.
"""
import gzip
import json
import struct
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from glit_torch import Supernet  # noqa: E402

DATA = Path(__file__).parent.parent / "data" / "fashion-mnist-mini"


def read_safetensors(path):
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(body[start:end]), dtype=torch.float32).reshape(info["shape"])
    return tensors, meta


def idx(name):
    raw = gzip.open(DATA / name).read()
    if "images" in name:
        count, rows, cols = struct.unpack(">III", raw[4:16])
        return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(count, 1, rows, cols)
    return torch.frombuffer(bytearray(raw[8:]), dtype=torch.uint8).long()


def main():
    tensors, meta = read_safetensors(sys.argv[1])
    space = json.loads(meta["space"])
    net = Supernet(space)
    model = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    net.load_glit_state(model)
    net.eval()
    arch_space = space["blocks"]
    arch = {"heads": space["skeleton"]["heads"], "blocks": [
        {"global_heads": c["global_heads"][0], "qk_dim": (c["qk_dim"] or [None])[0],
         "ffn_ratio": c["ffn_ratio"][0], "conv_expand": (c["conv_expand"] or [None])[0],
         "kernel": (c["kernel"] or [None])[0]} for c in arch_space]}
    train = idx("train-images-idx3-ubyte.gz").float() / 255
    mean, std = train.mean().item(), train.std(unbiased=False).item()
    images = (idx("t10k-images-idx3-ubyte.gz").float() / 255 - mean) / std
    labels = idx("t10k-labels-idx1-ubyte.gz")
    with torch.no_grad():
        logits = torch.cat([net(images[i:i + 256], arch) for i in range(0, len(images), 256)])
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    print(f"accuracy {accuracy:.4f} on {len(labels)} test images")


if __name__ == "__main__":
    main()
