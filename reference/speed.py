"""Images/s of glit's supernet training step and scoring forward, in PyTorch.

    python3 speed.py JOB.json

JOB holds the space (as `glit space --json` prints it), the architectures to cycle through,
the batch size, the steps to time and the threads; `glit bench` writes it and runs the same
steps in Rust. Prints one JSON line: {"train": img/s, "score": img/s}.
"""
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from glit_torch import Supernet  # noqa: E402


def main():
    job = json.loads(Path(sys.argv[1]).read_text())
    torch.manual_seed(0)
    torch.set_num_threads(job["threads"])
    space, archs, batch, steps = job["space"], job["archs"], job["batch"], job["steps"]
    s = space["skeleton"]
    net = Supernet(space)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.05)
    images = torch.randn(batch, s["channels"], s["image_size"], s["image_size"])
    labels = torch.randint(0, s["classes"], (batch,))

    def train_step(arch):
        loss = F.cross_entropy(net(images, arch, drop_path=0.1), labels, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    net.train()
    train_step(archs[0])  # warm-up
    started = time.perf_counter()
    for i in range(steps):
        train_step(archs[i % len(archs)])
    train = batch * steps / (time.perf_counter() - started)

    net.eval()
    with torch.no_grad():
        net(images, archs[0])
        started = time.perf_counter()
        for i in range(steps):
            net(images, archs[i % len(archs)])
        score = batch * steps / (time.perf_counter() - started)
    print(json.dumps({"train": train, "score": score}))


if __name__ == "__main__":
    main()
