"""The images of the report's robustness section: the corrupted test sets'
images (made again as the jobs scored them, or read from a published set's
folder), one test image under each corruption, and, per pipeline, images its
most damaging corruption cost it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mnistbench import data
from mnistbench._doc import Doc
from mnistbench._doc import slug as _slug
from mnistbench._report_robustness_scores import (
    PUBLISHED,
    _corruption_order,
    _group_order,
    _n,
    _Scores,
    _set_title,
    _worst,
)
from mnistbench.exceptions import DataError, one_line

logger = logging.getLogger(__name__)

#: Images shown per pipeline that its most damaging corruption cost it.
N_LOST = 8
#: The test image the gallery shows under each corruption.
EXAMPLE = 0


class _Images:
    """The corrupted test sets' images; None, and the reason in
    ``problems``, for one that cannot be made or read (tried once)."""

    def __init__(self, r):
        self.ds = r.ds
        self.data_home = r.data_home
        self._kept: dict[tuple, np.ndarray | None] = {}
        self.problems: dict[str, str] = {}  # set's title -> why not

    def get(
        self, info: dict, seed: int, title: str, keep: bool = False
    ) -> np.ndarray | None:
        """The set's images, (n, height, width); ``keep`` them for the next
        call (a set of full MNIST is 31 MB: the gallery keeps none)."""
        if title in self.problems:
            return None
        key = (info["corruption"], info["severity"], info["source"], seed)
        if key in self._kept:
            return self._kept[key]
        images = self._make(info, seed, title)
        if keep:
            self._kept[key] = images
        return images

    def _make(self, info: dict, seed: int, title: str) -> np.ndarray | None:
        try:
            if info["severity"] is None:
                if not Path(info["source"]).is_dir():
                    raise DataError(f"the folder {info['source']} is gone")
                found = data.published_set(info["source"], info["corruption"])
                flat = found.load()[0]
            else:
                flat = data.corrupted_test_set(
                    self.ds, info["corruption"], info["severity"], seed,
                    data_home=self.data_home,
                )  # fmt: skip
            images = np.asarray(flat, dtype=np.float32)
            images = images.reshape(len(images), *self.ds.image_shape)
            if len(images) != len(self.ds.y_test):
                raise DataError(
                    f"{len(images)} images, the test set has {len(self.ds.y_test)}"
                )
        except Exception as exc:  # noqa: BLE001 - a report is built whatever
            # stops the images (a missing module, a folder gone, a bad file)
            self.problems[title] = one_line(exc, limit=200)
            logger.warning("report: no images of %s (%s)", title, self.problems[title])
            return None
        return images


def _why(problems) -> str:
    reasons = list(dict.fromkeys(problems))
    more = f" (and {len(reasons) - 3} other reasons)" if len(reasons) > 3 else ""
    return "; ".join(reasons[:3]) + more


def _gallery(doc: Doc, r, s: _Scores, images: _Images) -> None:
    """The test image ``EXAMPLE`` under each corruption at each severity."""
    from mnistbench import _robustness_plots

    doc.heading("The corruptions on one test image", 4)
    true = r.ds.class_names[r.y_test[EXAMPLE]]
    cells = {}
    rows: list[str] = []
    for (g, column), info in sorted(
        s.sets.items(), key=lambda kv: (_group_order(kv[0][0]), kv[0][1])
    ):
        row = info["corruption"] if g != PUBLISHED else column
        found = images.get(info, s.seed, _set_title(g, column))
        if found is not None:
            cells[(row, g)] = np.array(found[EXAMPLE])
            rows.append(row)
    if not cells:
        doc.para(
            "The gallery is not shown: no corrupted image could be made or read "
            f"({_why(images.problems.values())}).",
            cls="note",
        )
        return
    rows = sorted(dict.fromkeys(rows), key=_corruption_order())
    for row in rows:
        cells[(row, "clean")] = r.ds.images("test")[EXAMPLE]
    columns = ["clean", *(g for g in s.groups if any(k[1] == g for k in cells))]
    doc.figure(
        _robustness_plots.gallery_figure(
            cells,
            rows,
            columns,
            title=f"{r.name}: test image {EXAMPLE} (class {true}) under each "
            f"corruption (seed {s.seed})",
        ),
        _slug(r.name, "robustness-gallery"),
        f"{r.name}: test image {EXAMPLE} (class {true}) clean and under each "
        "corruption (rows) at each severity (columns), as the pipelines saw it",
        dpi=70,
    )
    if images.problems:
        doc.para(
            "Left out of the gallery: "
            + "; ".join(f"{t} ({why})" for t, why in images.problems.items())
            + ".",
            cls="note",
        )


def _lost(doc: Doc, r, s: _Scores, images: _Images) -> None:
    """Per pipeline, up to ``N_LOST`` test images it got right clean and
    wrong on its most damaging corrupted set."""
    from mnistbench import _robustness_plots

    doc.heading("What each pipeline's most damaging corruption cost it", 4)
    names = r.ds.class_names
    groups, problems, skipped = [], [], []
    for label in s.labels:
        worst = _worst(s, label)
        y_pred = s.predictions.get(worst[:2], {}).get(label) if worst else None
        y_clean = s.clean_predictions.get(label)
        if y_pred is None or y_clean is None:
            skipped.append(label)
            continue
        group, column, _ = worst
        title = _set_title(group, column)
        found = images.get(s.sets[(group, column)], s.seed, title, keep=True)
        if found is None:
            problems.append(images.problems[title])
            continue
        right, right_here = y_clean == r.y_test, y_pred == r.y_test
        lost = np.flatnonzero(right & ~right_here)
        shown = lost[:N_LOST]
        heading = (
            f"{label} on {title}: right clean, wrong here on {len(lost):,} test "
            f"images; accuracy {right.mean():.4f} clean, {right_here.mean():.4f} "
            f"here (seed {s.seed})"
        )
        titles = [f"{names[r.y_test[i]]}\n→ {names[y_pred[i]]}" for i in shown]
        groups.append((heading, found[shown], titles))
    if groups:
        doc.figure(
            _robustness_plots.lost_images_figure(
                groups,
                per_row=N_LOST,
                title=f"{r.name}: images each pipeline lost to its most damaging "
                "corruption (true → predicted)",
            ),
            _slug(r.name, "robustness-lost"),
            f"{r.name}: for each pipeline, the first test images (in test-set "
            "order) it classified right clean and wrong on the corrupted set with "
            "its largest drop from clean, each titled true → predicted class",
            dpi=70,
        )
    if problems:
        doc.para(
            f"The images lost are not shown for {_n(len(problems), 'pipeline')}: "
            f"{_why(problems)}.",
            cls="note",
        )
    if skipped:
        doc.para(
            f"No images for {', '.join(skipped)}: no stored predictions of its most "
            f"damaging set or of its clean test set at seed {s.seed}.",
            cls="note",
        )
