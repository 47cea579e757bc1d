"""Trains a standalone GLiT network in PyTorch with glit's default recipe, to compare
learning curves with `glit train` (same model, same recipe, different random streams).

    python3 reference/train.py --arch-of runs/baseline/checkpoint.safetensors --epochs 2
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from check import idx, read_safetensors  # noqa: E402
from glit_torch import Supernet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch-of", required=True, help="a glit standalone checkpoint (its space)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--drop-path", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--padding", type=int, default=2)
    ap.add_argument("--no-flip", action="store_true")
    ap.add_argument("--warmup", type=float, default=1.0)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    _, meta = read_safetensors(args.arch_of)
    space = json.loads(meta["space"])
    arch = {"heads": space["skeleton"]["heads"], "blocks": [
        {"global_heads": c["global_heads"][0], "qk_dim": (c["qk_dim"] or [None])[0],
         "ffn_ratio": c["ffn_ratio"][0], "conv_expand": (c["conv_expand"] or [None])[0],
         "kernel": (c["kernel"] or [None])[0]} for c in space["blocks"]]}
    net = Supernet(space)
    decay, no_decay = [], []
    for name, p in net.named_parameters():
        (no_decay if p.ndim <= 1 or name in ("positions", "cls_token") else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    train = idx("train-images-idx3-ubyte.gz").float() / 255
    labels = idx("train-labels-idx1-ubyte.gz")
    mean, std = train.mean().item(), train.std(unbiased=False).item()
    train = (train - mean) / std
    test = (idx("t10k-images-idx3-ubyte.gz").float() / 255 - mean) / std
    test_labels = idx("t10k-labels-idx1-ubyte.gz")
    steps = len(train) // args.batch_size
    total, warmup = steps * args.epochs, int(steps * args.warmup)
    step = 0
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(train))
        started = time.time()
        for b in range(steps):
            i = order[b * args.batch_size:(b + 1) * args.batch_size]
            x = train[i]
            # crop with zero padding 2 (zero in pixel space = the normalised value of 0) and flip
            pad = args.padding
            x = F.pad(x, (pad, pad, pad, pad), value=-mean / std)
            dy, dx = torch.randint(0, 2 * pad + 1, (2,))
            x = x[:, :, dy:dy + 28, dx:dx + 28]
            flip = torch.rand(len(x)) < (0.0 if args.no_flip else 0.5)
            x[flip] = x[flip].flip(3)
            if step < warmup:
                lr = 1e-6 + (args.lr - 1e-6) * step / warmup
            else:
                lr = 1e-5 + (args.lr - 1e-5) * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))
            for g in opt.param_groups:
                g["lr"] = lr
            loss = F.cross_entropy(net(x, arch, drop_path=args.drop_path), labels[i], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            step += 1
        seconds = time.time() - started
        net.eval()
        with torch.no_grad():
            logits = torch.cat([net(test[j:j + 256], arch) for j in range(0, len(test), 256)])
        acc = (logits.argmax(1) == test_labels).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f} test {acc:.4f} "
              f"{steps * args.batch_size / seconds:.1f} img/s", flush=True)


if __name__ == "__main__":
    main()
