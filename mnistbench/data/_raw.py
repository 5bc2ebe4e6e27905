"""The arrays of a user's dataset as read, before they are checked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CLASSES_FILE", "Raw"]

CLASSES_FILE = "classes.txt"


@dataclass
class Raw:
    """Arrays as read; ``X_test``/``y_test`` are None when there is no test set.

    ``where`` names each array's file for error messages.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    where: dict[str, str]
    class_names: tuple[str, ...] | None = None
    names_file: str = CLASSES_FILE

    @classmethod
    def by_role(cls, arrays: dict, files: dict) -> Raw:
        """The arrays of a folder's files by role (``train_images``,
        ``train_labels`` and, if there is a test set, ``test_images`` and
        ``test_labels``), each named by its file."""
        return cls(
            arrays["train_images"],
            arrays["train_labels"],
            arrays.get("test_images"),
            arrays.get("test_labels"),
            where={
                "X_train": str(files["train_images"]),
                "y_train": str(files["train_labels"]),
                "X_test": str(files.get("test_images")),
                "y_test": str(files.get("test_labels")),
            },
        )
