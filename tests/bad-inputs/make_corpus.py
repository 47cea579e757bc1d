#!/usr/bin/env python3
"""Writes the bad-input corpus beside this file (run it again after changing a case).

Every case is small: a few 4x4 images. `cases.json` (written by hand) says which command each
case is fed to and what its error must say; `tests/integration/bad_inputs.rs` runs them all.
"""
import gzip
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def path(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(data, *parts):
    with open(path(*parts), "wb") as f:
        f.write(data)


def idx_images(count, rows, cols, magic=0x803, declared=None, pixels=None):
    head = struct.pack(">IIII", magic, count if declared is None else declared, rows, cols)
    body = pixels if pixels is not None else bytes((i * 37) % 256 for i in range(count * rows * cols))
    return head + body


def idx_labels(labels, magic=0x801, declared=None):
    return struct.pack(">II", magic, len(labels) if declared is None else declared) + bytes(labels)


def idx_folder(name, train_images=None, train_labels=None, gz_images=None):
    """A folder of the four IDX files: 8 train and 4 test 4x4 images, with replacements."""
    folder = os.path.join("idx", name)
    shutil.rmtree(os.path.join(HERE, folder), ignore_errors=True)
    if gz_images is not None:
        write(gz_images, folder, "train-images-idx3-ubyte.gz")
    else:
        write(train_images if train_images is not None else idx_images(8, 4, 4), folder, "train-images-idx3-ubyte")
    write(train_labels if train_labels is not None else idx_labels([i % 10 for i in range(8)]), folder, "train-labels-idx1-ubyte")
    write(idx_images(4, 4, 4), folder, "t10k-images-idx3-ubyte")
    write(idx_labels([0, 1, 2, 3]), folder, "t10k-labels-idx1-ubyte")


def cifar_folder(name, records):
    folder = os.path.join("cifar", name)
    shutil.rmtree(os.path.join(HERE, folder), ignore_errors=True)
    for i in range(1, 6):
        write(records, folder, f"data_batch_{i}.bin")
    write(records, folder, "test_batch.bin")


def cifar_record(label):
    return bytes([label]) + bytes((i * 7) % 256 for i in range(3072))


def png(width, height):
    raw = b"".join(b"\x00" + bytes((x * 40 + y * 7) % 256 for x in range(width * 3)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def image_folder(name, files):
    folder = os.path.join("folders", name)
    shutil.rmtree(os.path.join(HERE, folder), ignore_errors=True)
    os.makedirs(os.path.join(HERE, folder))
    for relative, data in files.items():
        if data is None:
            os.makedirs(path(folder, relative), exist_ok=True)
        else:
            write(data, folder, relative)


def main():
    # IDX
    idx_folder("truncated-images", train_images=idx_images(8, 4, 4)[:-20])
    idx_folder("truncated-header", train_images=b"\x00\x00\x08\x03\x00\x00")
    idx_folder("wrong-magic", train_images=idx_images(8, 4, 4, magic=0x801))
    idx_folder("labels-out-of-range", train_labels=idx_labels([0, 1, 2, 12, 4, 5, 6, 7]))
    idx_folder("label-count-mismatch", train_labels=idx_labels([0, 1, 2, 3, 4]))
    idx_folder("empty", train_images=idx_images(0, 4, 4), train_labels=idx_labels([]))
    idx_folder("zero-size-images", train_images=idx_images(8, 0, 0), train_labels=idx_labels([0] * 8))
    idx_folder("huge-header", train_images=idx_images(0, 4, 4, declared=0xFFFFFFFF, pixels=b"").replace(
        b"\x00\x00\x00\x04\x00\x00\x00\x04", b"\xff\xff\xff\xff\xff\xff\xff\xff"))
    idx_folder("corrupt-gzip", gz_images=gzip.compress(idx_images(8, 4, 4))[:30] + b"\x00" * 40)
    # CIFAR-10 binary
    cifar_folder("truncated", cifar_record(1) * 3 + cifar_record(2)[:1000])
    cifar_folder("label-out-of-range", cifar_record(1) + cifar_record(10))
    cifar_folder("empty", b"")
    # Image folders
    image_folder("unreadable-file", {
        "cats/a.png": png(6, 6), "cats/b.png": b"this is not a PNG file",
        "dogs/a.png": png(6, 6), "dogs/b.png": png(6, 6),
    })
    image_folder("truncated-png", {
        "cats/a.png": png(6, 6)[:40], "dogs/a.png": png(6, 6),
    })
    image_folder("empty-classes", {"cats/notes.txt": b"no images here", "dogs/notes.txt": b"none here either"})
    image_folder("one-class", {"cats/a.png": png(6, 6), "cats/b.png": png(6, 6)})
    image_folder("train-without-val", {"train/cats/a.png": png(6, 6), "train/dogs/a.png": png(6, 6)})
    image_folder("missing-class-in-val", {
        "train/cats/a.png": png(6, 6), "train/dogs/a.png": png(6, 6), "val/cats/a.png": png(6, 6),
    })
    # A header claiming 100000 x 100000 pixels: refused, not allocated.
    huge = png(6, 6).replace(struct.pack(">II", 6, 6), struct.pack(">II", 100000, 100000), 1)
    huge = huge[:12] + huge[12:29] + struct.pack(">I", zlib.crc32(huge[12:29])) + huge[33:]
    image_folder("image-bomb", {"cats/a.png": huge, "dogs/a.png": png(6, 6)})
    # Mixed sizes are not an error: every image is resized and centre-cropped (a good case).
    image_folder("mixed-sizes", {
        "cats/a.png": png(6, 6), "cats/b.png": png(40, 12), "cats/c.png": png(3, 9),
        "cats/d.png": png(8, 8), "cats/e.png": png(5, 5),
        "dogs/a.png": png(12, 40), "dogs/b.png": png(7, 7), "dogs/c.png": png(2, 2),
        "dogs/d.png": png(9, 4), "dogs/e.png": png(6, 6),
    })


if __name__ == "__main__":
    main()
