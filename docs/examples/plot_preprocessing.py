"""
Deskewing and HOG features
==========================

Two classic ways to prepare handwritten digits for a classical classifier.
:class:`~mnistbench.preprocessing.Deskew` shears each image so that the digit
stands upright in the centre of the frame.
:class:`~mnistbench.preprocessing.HOG` replaces the pixels with histograms of
oriented gradients, which describe the direction of the strokes in each small
region. Both are scikit-learn transformers, usable in any pipeline. This
example looks at what they do to the images, then compares k-nearest
neighbours on raw pixels, on deskewed images and on HOG features.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mnistbench import data, pipelines
from mnistbench.preprocessing import HOG, Deskew

ds = data.load("mnist-sample")
height, width = ds.image_shape

# %%
# Deskewing
# ---------
#
# For each image, ``Deskew`` computes the centre of mass of the ink and its
# slant: how far the strokes drift sideways from the top row to the bottom
# one. It then resamples the image so that the centre of mass lands in the
# middle of the frame and the drift is gone. It learns nothing from the data:
# ``fit`` only checks the shape of the input.
#
# How much deskewing changes an image depends on how slanted the digit was.
# To show a visible effect without picking outliers, the figure takes, for
# each digit, the training image at the 90th percentile of that change: 90%
# of that digit's images change less. The top row is the original, the
# bottom row the deskewed image. The slanted strokes come out upright. The
# resampling also blurs the edges a little.

start = time.perf_counter()
deskewed = Deskew().fit_transform(ds.X_train)
print(f"Deskew: {len(deskewed):,} images in {time.perf_counter() - start:.2f} s")

change = np.abs(deskewed - ds.X_train).sum(axis=1)
shown = []
for k in range(ds.n_classes):
    of_k = np.flatnonzero(ds.y_train == k)
    by_change = of_k[np.argsort(change[of_k])]
    shown.append(by_change[int(0.9 * (len(by_change) - 1))])
before, after = ds.X_train[shown], deskewed[shown]

fig, axes = plt.subplots(2, len(shown), figsize=(len(shown) * 0.9, 2.4))
for col in range(len(shown)):
    for row, pixels in enumerate((before, after)):
        ax = axes[row, col]
        ax.imshow(pixels[col].reshape(height, width), cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
axes[0, 0].set_ylabel("original")
axes[1, 0].set_ylabel("deskewed")
fig.tight_layout()
plt.show()

# %%
# HOG features
# ------------
#
# ``HOG`` divides each image into cells of ``pixels_per_cell`` pixels. In
# each cell, every pixel's gradient votes for one of ``orientations``
# direction bins, weighted by its strength. The histograms of each block of
# ``cells_per_block`` cells are normalised together, and blocks overlap by
# one cell. The feature count follows from these parameters and the image
# size. The script computes it from them and compares it with the output.

hog = HOG()
start = time.perf_counter()
features = hog.fit_transform(ds.X_train)
seconds = time.perf_counter() - start

ch, cw = hog.pixels_per_cell
bh, bw = hog.cells_per_block
cells = (height // ch, width // cw)
blocks = (cells[0] - bh + 1, cells[1] - bw + 1)
expected = blocks[0] * blocks[1] * bh * bw * hog.orientations
print(f"{cells[0]}x{cells[1]} cells of {ch}x{cw} pixels")
print(
    f"{blocks[0]}x{blocks[1]} blocks of {bh}x{bw} cells, {hog.orientations} bins each"
)
print(f"expected {expected} features per image, HOG gives {features.shape[1]}")
print(f"HOG: {len(features):,} images in {seconds:.2f} s")

# %%
# The ``hog_knn`` pipeline does not use these features alone. HOG records
# the direction of edges but not how dark each region is. ``hog_knn``
# reduces the HOG features to principal components and puts the first
# principal components of the pixels beside them
# (:func:`mnistbench.pipelines.hog_and_pixels`).

print(pipelines.get("hog_knn")["scale"])

# %%
# Three k-NN pipelines
# --------------------
#
# ``knn`` classifies principal components of the raw pixels. ``deskew_knn``
# adds a ``Deskew`` step before them. ``hog_knn`` uses the HOG and pixel
# features above. Each is fitted on the sample's training images and scored
# on its test images. As in :ref:`sphx_glr_auto_examples_plot_baseline.py`,
# the PCA steps are not seeded here, so an accuracy may move by a test image
# or two between runs. The times come from a single run on the machine that
# built this page. They include preprocessing the training and the test
# images.

names = ["knn", "deskew_knn", "hog_knn"]
rows, predictions = [], {}
for name in names:
    pipe = pipelines.get(name)
    start = time.perf_counter()
    pipe.fit(ds.X_train, ds.y_train)
    predictions[name] = pipe.predict(ds.X_test)
    rows.append(
        {
            "pipeline": name,
            "accuracy": (predictions[name] == ds.y_test).mean(),
            "errors": int((predictions[name] != ds.y_test).sum()),
            "fit + predict s": round(time.perf_counter() - start, 2),
        }
    )
print(f"{len(ds.y_train):,} training images, {len(ds.y_test):,} test images")
print(pd.DataFrame(rows).to_string(index=False))

# %%
# What deskewing fixed
# --------------------
#
# A difference in error counts can hide changes in both directions. The
# script counts the test digits that ``knn`` gets wrong and ``deskew_knn``
# gets right, and the reverse.

fixed = np.flatnonzero(
    (predictions["knn"] != ds.y_test) & (predictions["deskew_knn"] == ds.y_test)
)
broken = np.flatnonzero(
    (predictions["knn"] == ds.y_test) & (predictions["deskew_knn"] != ds.y_test)
)
print(f"deskew_knn fixes {len(fixed)} of knn's errors and makes {len(broken)} new ones")

# %%
# The figure shows the first eight digits it fixed (or fewer, if there are
# fewer). The top row is the test image as ``knn`` sees it, with its wrong
# answer. The bottom row is the deskewed image that ``deskew_knn``
# classifies, with its right answer.

examples = fixed[:8]
if len(examples):
    images = {
        "knn": ds.X_test[examples],
        "deskew_knn": Deskew().fit_transform(ds.X_test[examples]),
    }
    fig, axes = plt.subplots(
        2, len(examples), figsize=(len(examples) * 1.1, 2.9), squeeze=False
    )
    for row, name in enumerate(images):
        for col, i in enumerate(examples):
            ax = axes[row, col]
            ax.imshow(images[name][col].reshape(height, width), cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}: {predictions[name][i]}", fontsize=7)
    fig.suptitle("test digits that deskewing fixed", fontsize=9)
    fig.tight_layout()
    plt.show()

# %%
# ``mnistbench bench preprocessing`` makes the same comparison from the
# command line, for ``svm`` as well as ``knn``, and records it like any
# other run.
