"""Write a dataset in each format ``--dataset PATH`` reads, to check that
every copy gives the same data and the same accuracies as the original.

    python benchmarks/repack.py fashion-mnist copies/

writes ``copies/fashion-mnist-idx/`` (the four gzipped IDX files),
``copies/fashion-mnist.npz`` (Keras's layout), ``copies/fashion-mnist-csv/``
(``train.csv`` and ``test.csv`` with a header) and
``copies/fashion-mnist-csv-noheader/``, each with a ``classes.txt`` of the
dataset's class names, so that every copy has the original's content hash.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench import data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="a registered dataset name")
    parser.add_argument("out", type=Path, help="folder to write the copies in")
    args = parser.parse_args()
    ds = data.load(args.dataset)
    name, out = ds.name, args.out
    arrays = {
        split: (
            np.round(ds.images(split) * 255).astype(np.uint8),
            ds._split(split)[1].astype(np.uint8),
        )
        for split in ("train", "test")
    }
    classes = "\n".join(ds.class_names) + "\n"
    start = time.perf_counter()

    idx = out / f"{name}-idx"
    idx.mkdir(parents=True, exist_ok=True)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images, labels = arrays[split]
        data.write_idx(images, idx / f"{prefix}-images-idx3-ubyte.gz")
        data.write_idx(labels, idx / f"{prefix}-labels-idx1-ubyte.gz")
    (idx / "classes.txt").write_text(classes)

    np.savez(
        out / f"{name}.npz",
        x_train=arrays["train"][0],
        y_train=arrays["train"][1],
        x_test=arrays["test"][0],
        y_test=arrays["test"][1],
    )
    (out / "classes.txt").write_text(classes)  # beside the .npz

    for folder, header in ((f"{name}-csv", True), (f"{name}-csv-noheader", False)):
        (out / folder).mkdir(exist_ok=True)
        (out / folder / "classes.txt").write_text(classes)
        for split, (images, labels) in arrays.items():
            frame = pd.DataFrame(images.reshape(len(images), -1))
            frame.columns = [f"pixel{i}" for i in range(frame.shape[1])]
            frame.insert(0, "label", labels)
            frame.to_csv(out / folder / f"{split}.csv", index=False, header=header)
    print(f"wrote {name} in 4 formats to {out} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
