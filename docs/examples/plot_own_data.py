"""
Your own data
=============

mnistbench is not limited to its registered datasets. Any labelled images can
be given to it, as files (IDX, ``.npz``, CSV) or as arrays in Python. This
example uses scikit-learn's own digits: small 8x8 images with pixel values
from 0 to 16, unrelated to MNIST.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from mnistbench import data, pipelines, runner

# %%
# Make a Dataset from arrays
# --------------------------
#
# :func:`mnistbench.data.from_arrays` accepts pixels as whole numbers from 0
# to 255 or as floats in [0, 1]. These digits go from 0 to 16, so they are
# divided by 16 first. The arrays are checked as strictly as files are: for
# example, pixels outside the range, or a class too small to split, are
# refused with a one-line error.
#
# No test set is given here, so one is split off the training set: a
# stratified sample, drawn with a fixed seed, that ``ds.split`` describes.
# The name gets a short hash of the content, so that two different arrays
# given the same name are never mistaken for each other.

digits = load_digits()
print("pixel values from", digits.data.min(), "to", digits.data.max())

ds = data.from_arrays(digits.data / 16, digits.target, name="digits")
print(ds)
print("name:", ds.name)
print("image shape:", ds.image_shape)
print(ds.split)
print("training images per class:", ds.counts("train"))

# %%
# The images are flat, one row per image. ``ds.images()`` gives them back as
# (n, height, width), without a copy. The image shape was inferred from the
# 64 pixels per row: a square number of pixels means a square image. For
# other shapes, pass ``image_shape=(height, width)``.

images = ds.images("train")
fig, axes = plt.subplots(2, 10, figsize=(7, 1.9))
for ax, image, label in zip(axes.ravel(), images, ds.y_train):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(ds.class_names[label], fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
plt.show()

# %%
# Run pipelines on it
# -------------------
#
# A :class:`~mnistbench.data.Dataset` goes wherever
# :func:`~mnistbench.runner.run` accepts a dataset name (see
# :ref:`sphx_glr_auto_examples_plot_run_and_report.py`). The job processes
# cannot see this process's memory, so ``run`` first stores the arrays in
# the data home, where the jobs read them. In this example both the data
# home and the results folder are temporary folders.

tmp = Path(tempfile.mkdtemp(prefix="mnistbench-example-"))
summary = runner.run(
    ["logreg", "knn"],
    datasets=[ds],
    out=tmp / "results",
    data_home=tmp / "data",
)
columns = ["pipeline", "dataset", "seed", "n_train", "n_test", "accuracy", "status"]
print(summary.rows[columns].round(4).to_string(index=False))

# %%
# The pipelines' defaults were chosen for MNIST's larger images. ``logreg``
# asks its PCA step for more principal components than these images have
# pixels (the two numbers are printed below). The PCA step then keeps as many
# components as there are pixels and warns. The run records the warning in
# the row's ``warnings`` column.

asked = pipelines.get("logreg")["reduce"].n_components
print(f"logreg asks for {asked} components; the images have {ds.n_features} pixels")
for row in summary.rows.itertuples():
    print(f"{row.pipeline}: {row.warnings or 'no warning'}")

# %%
# The same pipelines can also be fitted directly, without the runner. The
# runner sets every ``random_state`` that is left at None to the job's seed
# (the ``seed`` column above). The direct fit below gives the PCA step the
# same seed, and gets the same accuracy as the runner's job.

seed = int(summary.rows["seed"].iloc[0])
knn = pipelines.get("knn", reduce__random_state=seed)
knn.fit(ds.X_train, ds.y_train)
direct = knn.score(ds.X_test, ds.y_test)
from_run = summary.rows.set_index("pipeline").loc["knn", "accuracy"]
print(f"knn fitted directly: {direct:.4f}; in the run: {from_run:.4f}")
