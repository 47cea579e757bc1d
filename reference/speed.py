"""Images/s of glit's supernet training step and scoring forward, in PyTorch.

    python3 speed.py JOB.json

JOB holds the space (as `glit space --json` prints it), the architectures to cycle through,
the batch size, the steps to time, the threads and the device (`cpu` or `cuda:N`); `glit
bench` writes it and runs the same steps in Rust: training steps, then scoring steps (a
batch through BatchNorm recalibration, then evaluation). Prints one JSON line: {"train": img/s,
"score": img/s, "base_mib": resident MiB before the model, "peak_mib": peak resident MiB after
training} (on CUDA the memory figures are the GPU's allocated bytes), and on CUDA "gpu_mib":
the GPU MiB the process holds per nvidia-smi, the figure glit's side reports too.
"""
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from glit_torch import Supernet  # noqa: E402


def resident_mib():
    """This process's resident MiB now, as glit's side reads it (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def process_gpu_mib():
    """The GPU MiB this process holds per nvidia-smi (context and caching pool included), as
    glit's side reads it; None without nvidia-smi."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in out.splitlines():
        pid, _, mib = line.partition(",")
        if pid.strip() == str(os.getpid()):
            return float(mib)
    return None


def main():
    job = json.loads(Path(sys.argv[1]).read_text())
    torch.manual_seed(0)
    torch.set_num_threads(job["threads"])
    device = torch.device(job.get("device", "cpu"))
    cuda = device.type == "cuda"
    space, archs, batch, steps = job["space"], job["archs"], job["batch"], job["steps"]
    s = space["skeleton"]
    base = torch.cuda.memory_allocated(device) / 2**20 if cuda else resident_mib()
    net = Supernet(space).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.05)
    images = torch.randn(batch, s["channels"], s["image_size"], s["image_size"], device=device)
    labels = torch.randint(0, s["classes"], (batch,), device=device)

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    def train_step(arch):
        loss = F.cross_entropy(net(images, arch, drop_path=0.1), labels, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    net.train()
    for arch in archs:  # warm-up: every architecture once, as glit's side
        train_step(arch)
    sync()
    started = time.perf_counter()
    for i in range(steps):
        train_step(archs[i % len(archs)])
    sync()
    train = batch * steps / (time.perf_counter() - started)
    if cuda:
        peak = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    def score_step(arch):
        net.train()  # one batch re-estimates BatchNorm statistics, as glit's scoring does
        net(images, arch)
        net.eval()
        net(images, arch)

    with torch.no_grad():
        for arch in archs:
            score_step(arch)
        sync()
        started = time.perf_counter()
        for i in range(steps):
            score_step(archs[i % len(archs)])
        sync()
        score = batch * steps / (time.perf_counter() - started)
    result = {"train": train, "score": score, "base_mib": base, "peak_mib": peak}
    if cuda:
        result["gpu_mib"] = process_gpu_mib()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
