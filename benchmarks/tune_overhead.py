"""What isolation costs a search: ``mnistbench tune`` against scikit-learn's
``RandomizedSearchCV(n_jobs=2)`` on the same candidates, side by side.

    python benchmarks/tune_overhead.py [--budget 10] [--cv 3] [--repeat 2]
        [--fashion-train 10000] [--csv results/bench/tune-overhead.csv]

Both sides do the same work, each in a new Python process (imports
included): the same candidates (the registered default, then
``ParameterSampler(space, budget - 1, random_state=seed)``) on the same
stratified, shuffled folds; the best one refitted on the whole training set
and scored on the test set; the default fitted there and scored too (``tune``
always does: its table compares them). ``tune`` runs every trial in a process
of its own under the job timeout, recorded as it finishes;
``RandomizedSearchCV`` runs them in joblib's worker processes. The sides
alternate, ``--repeat`` times each, and the ratio of the medians is printed
per dataset, with whether both chose the same candidate.

Datasets: mnist-sample (4,000 training images, 1,000 test) and a stratified
subsample of Fashion-MNIST (``--fashion-train`` training images, a sixth as
many test images), both given to each side as the same ``.npz`` file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PIPELINES = ("logreg", "svm", "rf", "knn", "pca_mlp")

#: The scikit-learn side, run in a new Python: prints its choices as JSON.
SKLEARN_SIDE = """
import json, sys, warnings
import numpy as np
from sklearn.model_selection import (
    ParameterSampler, RandomizedSearchCV, StratifiedKFold,
)
from mnistbench import data, pipelines

path, names = sys.argv[1], sys.argv[2].split(",")
budget, cv, seed = map(int, sys.argv[3:6])

class WithDefault(RandomizedSearchCV):
    def _run_search(self, evaluate_candidates):
        drawn = ParameterSampler(self.param_distributions, self.n_iter,
                                 random_state=self.random_state)
        evaluate_candidates([{}, *drawn])

def seeded(pipe):
    keys = [k for k in pipe.get_params() if k.endswith("random_state")]
    return pipe.set_params(**dict.fromkeys(keys, seed))

ds = data.load(path)
folds = StratifiedKFold(cv, shuffle=True, random_state=seed)
chosen = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name in names:
        search = WithDefault(seeded(pipelines.get(name)), pipelines.space(name),
                             n_iter=budget - 1, cv=folds, n_jobs=2, random_state=seed)
        search.fit(ds.X_train, ds.y_train)
        search.score(ds.X_test, ds.y_test)
        default = seeded(pipelines.get(name)).fit(ds.X_train, ds.y_train)
        default.score(ds.X_test, ds.y_test)
        chosen[name] = {k: (v.item() if hasattr(v, "item") else v)
                        for k, v in search.best_params_.items()}
print(json.dumps(chosen, default=list))
"""


def _npz(folder: Path, name: str, train: int | None) -> Path:
    from sklearn.model_selection import train_test_split

    from mnistbench import data

    ds = data.load(name)
    X, y, X_test, y_test = ds.X_train, ds.y_train, ds.X_test, ds.y_test
    if train is not None and train < len(y):
        X, _, y, _ = train_test_split(
            X, y, train_size=train, stratify=y, random_state=0
        )
        X_test, _, y_test, _ = train_test_split(
            X_test, y_test, train_size=train // 6, stratify=y_test, random_state=0
        )
    path = folder / f"{name}-{len(y)}.npz"
    to_u8 = lambda a: np.round(np.asarray(a) * 255).astype(np.uint8)  # noqa: E731
    np.savez(path, x_train=to_u8(X), y_train=y, x_test=to_u8(X_test), y_test=y_test)
    return path


def _tune_side(
    path: Path, names, budget: int, cv: int, out: Path
) -> tuple[float, dict]:
    command = [
        str(Path(sys.executable).with_name("mnistbench")), "tune", *names,
        "-d", str(path), "--budget", str(budget), "--cv", str(cv), "--no-curves",
        "--n-jobs", "2", "--out", str(out),
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    from mnistbench import results

    board = results.read_leaderboard(out)
    tuned = board[board["search_id"].notna()]
    return seconds, {r.pipeline: json.loads(r.params) for r in tuned.itertuples()}


def _sklearn_side(path: Path, names, budget: int, cv: int) -> tuple[float, dict]:
    command = [
        sys.executable, "-c", SKLEARN_SIDE, str(path), ",".join(names),
        str(budget), str(cv), "0",
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, json.loads(done.stdout.strip().splitlines()[-1])


def _same(a: dict, b: dict) -> bool:
    def norm(params):
        return json.dumps(params, sort_keys=True, default=list)

    return all(norm(a.get(k, {})) == norm(b.get(k, {})) for k in set(a) | set(b))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=10)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--fashion-train", type=int, default=10_000)
    parser.add_argument("--pipelines", nargs="+", default=list(PIPELINES))
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [("mnist-sample", None), ("fashion-mnist", args.fashion_train)]
        for name, train in cases:
            path = _npz(tmp, name, train)
            times = {"tune": [], "sklearn": []}
            same = True
            for i in range(args.repeat):
                out = tmp / f"out-{name}-{i}"
                t, mine = _tune_side(path, args.pipelines, args.budget, args.cv, out)
                s, theirs = _sklearn_side(path, args.pipelines, args.budget, args.cv)
                times["tune"].append(t)
                times["sklearn"].append(s)
                same = same and _same(mine, theirs)
            tune_s, sk_s = (statistics.median(times[k]) for k in ("tune", "sklearn"))
            rows.append((path.stem, tune_s, sk_s, tune_s / sk_s, same))
            print(
                f"{path.stem}: tune {tune_s:.1f} s, RandomizedSearchCV(n_jobs=2) "
                f"{sk_s:.1f} s, ratio {tune_s / sk_s:.2f} "
                f"(samples tune {times['tune']}, sklearn {times['sklearn']}); "
                f"same choices: {same}",
                flush=True,
            )
    if args.csv is not None:
        import pandas as pd

        from mnistbench._io import atomic_write_text
        from mnistbench._text import csv_text

        header = ["data", "tune_s", "sklearn_s", "ratio", "same_choices"]
        atomic_write_text(args.csv, csv_text(pd.DataFrame(rows, columns=header)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
