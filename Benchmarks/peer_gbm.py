#!/usr/bin/env python3
"""A gradient-boosted classifier beside surgewatch's LSTM, on the same inputs, scored the same way.

The peer is what a data scientist would try first on tabular data: scikit-learn's
HistGradientBoostingClassifier (class-balanced) on the last 30 ticks of the default model's five
features, as lags (0-5, 10, 20 and 29 ticks back; tcp_established and load1 as log ratios to the
newest tick, so the shop's size does not matter). It learns the same target as `train`: the
host rule (CPU pressure > 50 or listen-queue overflows) at any of the next 3 ticks, from the
first 80 % of the same training traces. Its probabilities and surgewatch's go through
`surgewatch-bench score`, which runs replay's state machine and episode scoring under the
config's policy and the best policy of a grid, so differently calibrated probabilities meet at
their own best operating points.

Input: the directory `scripts/evaluate` leaves ($OUT: worldcup-train.csv, flash-train.csv, the
evaluation traces worldcup, flash, worldcup-w60 and flash-w60 (-eval.csv) and surgewatch's
predictions on them (-off.pred.csv)).
Needs numpy and scikit-learn (pip install scikit-learn).

Usage: Benchmarks/peer_gbm.py OUT [--seeds 3]
"""
import argparse, csv, os, subprocess

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from benchproc import ROOT, build_release
COLUMNS = ["psi_cpu_some_avg10", "tcp_established", "cpu_busy", "load1", "tcp_listen_overflows_per_s",
           "tcp_listen_queue_ratio"]
LAGS = [0, 1, 2, 3, 4, 5, 10, 20, 29]
HORIZON = 3


def read(path):
    """The trace's columns, missing values carried forward (surgewatch carries them too)."""
    with open(path) as f:
        rows = csv.reader(f)
        header = next(rows)
        index = [header.index(name) for name in COLUMNS]
        values = np.array([[float(row[i]) if row[i] not in ("", "nan") else np.nan for i in index] for row in rows])
    for column in range(values.shape[1]):
        known = ~np.isnan(values[:, column])
        last = np.where(known, np.arange(len(values)), 0)
        np.maximum.accumulate(last, out=last)
        values[:, column] = values[last, column]
    return values


def lagged(series, lag):
    out = np.empty_like(series)
    out[lag:] = series[:len(series) - lag]
    out[:lag] = series[0]
    return out


def features(values):
    psi, established, cpu, load = values[:, 0], np.log1p(values[:, 1]), values[:, 2], np.log1p(values[:, 3])
    queue = values[:, 5]
    columns = [lagged(psi, k) for k in LAGS] + [lagged(cpu, k) for k in LAGS] + [lagged(queue, k) for k in LAGS]
    columns += [lagged(established, k) - established for k in LAGS[1:]] + [lagged(load, k) - load for k in LAGS[1:]]
    return np.stack(columns, axis=1)


def target(values):
    breach = (values[:, 0] > 50) | (values[:, 4] > 0)
    ahead = np.zeros(len(breach), dtype=bool)
    for k in range(1, HORIZON + 1):
        ahead[:-k] |= breach[k:]
    return ahead


def score(bench, predictions):
    result = subprocess.run([bench, "score", "--config", f"{ROOT}/config/surgewatch.toml", "--predictions", predictions],
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, default=3)
    options = parser.parse_args()
    bench = build_release("surgewatch-bench")

    inputs, targets = [], []
    for name in ["worldcup-train.csv", "flash-train.csv"]:
        values = read(os.path.join(options.out, name))
        cut = int(len(values) * 0.8)  # train's validation fraction: the peer sees what the model saw
        inputs.append(features(values)[29:cut])
        targets.append(target(values)[29:cut])
    x, y = np.concatenate(inputs), np.concatenate(targets)
    print(f"peer trained on {len(y)} windows, {int(y.sum())} of them overload ahead")

    # The 60-worker host is not in the peer's training data, as it is not in the built-in model's.
    for trace in ["worldcup", "flash", "worldcup-w60", "flash-w60"]:
        ours = os.path.join(options.out, f"{trace}-off.pred.csv")
        print(f"== {trace}: surgewatch (learning off)")
        print(score(bench, ours))
        with open(ours) as f:
            rows = list(csv.reader(f))[1:]
        values = read(os.path.join(options.out, f"{trace}-eval.csv"))
        x_eval = features(values)
        for seed in range(1, options.seeds + 1):
            model = HistGradientBoostingClassifier(max_iter=300, class_weight="balanced", random_state=seed).fit(x, y)
            probability = model.predict_proba(x_eval)[:, 1]
            path = os.path.join(options.out, f"{trace}-gbm{seed}.pred.csv")
            with open(path, "w") as f:
                f.write("timestamp,probability,alerting,label\n")
                for tick, row in enumerate(rows):
                    # No prediction before a full window, as surgewatch; the labels are surgewatch's own.
                    p = "" if tick < 29 else f"{probability[tick]:.6f}"
                    f.write(f"{row[0]},{p},0,{row[3]}\n")
            print(f"== {trace}: gradient-boosted peer, seed {seed}")
            print(score(bench, path))


if __name__ == "__main__":
    main()
