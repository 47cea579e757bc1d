"""Images/s of decoding and augmenting JPEG files with PIL, as torchvision's ImageNet
transforms do it (RandomResizedCrop(224) bicubic + flip for training; Resize(256) +
CenterCrop(224) for evaluation), on N worker processes (a PyTorch DataLoader's workers). The
reference side of `glit bench-decode`. It stops at RGB bytes: glit's side also turns them into
normalised floats, so the comparison favours this side.

    python3 decode_speed.py TRAIN_FOLDER SIZE REPEATS WORKERS

Prints one JSON line: {"train": [img/s per repetition], "eval": [...]}.
"""
import json
import math
import random
import sys
import time
from multiprocessing import Pool
from pathlib import Path

from PIL import Image

def random_resized_box(width, height, rng):
    """torchvision's RandomResizedCrop.get_params, scale (0.08, 1), ratio (3/4, 4/3)."""
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(0.08, 1.0)
        aspect = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        w = round(math.sqrt(target * aspect))
        h = round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            return rng.randint(0, width - w), rng.randint(0, height - h), w, h
    return 0, 0, width, height


def train_one(job):
    path, size, seed = job
    rng = random.Random(seed)
    image = Image.open(path).convert("RGB")
    x, y, w, h = random_resized_box(image.width, image.height, rng)
    image = image.resize((size, size), Image.BICUBIC, box=(x, y, x + w, y + h))
    if rng.random() < 0.5:
        image = image.transpose(Image.FLIP_LEFT_RIGHT)
    return len(image.tobytes())


def eval_one(job):
    path, size, _ = job
    image = Image.open(path).convert("RGB")
    short = round(size / 0.875)
    scale = short / min(image.width, image.height)
    image = image.resize((max(size, round(image.width * scale)), max(size, round(image.height * scale))), Image.BICUBIC)
    left, top = (image.width - size) // 2, (image.height - size) // 2
    image = image.crop((left, top, left + size, top + size))
    return len(image.tobytes())


def main():
    folder, size, repeats, workers = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpeg", ".jpg", ".png"))
    result = {"train": [], "eval": []}
    with Pool(workers) as pool:
        for repeat in range(repeats):
            for key, work in (("train", train_one), ("eval", eval_one)):
                jobs = [(str(p), size, repeat * 1_000_003 + i) for i, p in enumerate(files)]
                started = time.perf_counter()
                pool.map(work, jobs, chunksize=16)
                result[key].append(len(files) / (time.perf_counter() - started))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
