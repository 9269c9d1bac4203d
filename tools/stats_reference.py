#!/usr/bin/env python3
"""Writes Tests/WiseStatsTests/Fixtures/stats_reference.json: the values that WiseStats must equal.

Each statistic is computed by a reference implementation from PyPI (scipy, scikit-learn,
krippendorff, pingouin, statsmodels; versions pinned below) on fixed data sets, and written with
its inputs, so the Swift tests need no Python. Run it again only when a data set or a reference
changes:

    python3 tools/stats_reference.py            # makes /tmp/wise-stats-venv on first use

`python3 tools/stats_reference.py --intervals` writes only
Tests/WiseStatsTests/Fixtures/interval_reference.json: the bootstrap intervals of κ, α and a mean
(`ItemBootstrap`), from numpy alone (no venv). κ and α there come from direct implementations of
their definitions written for this file (α from ordered pairs of ratings within a unit, not from
the package's matrices), each resample built by copying the drawn items; where scikit-learn or
krippendorff can be imported, their point estimates are checked against these first.

Cases where wise deliberately reports something else than the reference (all-zero Wilcoxon,
McNemar without discordant pairs, constant data for kappa/alpha/ICC) carry wise's value in the
expected fields and the reference's own answer under "reference_says", for the record.
"""
import json
import os
import subprocess
import sys

VENV = os.environ.get("WISE_STATS_VENV", "/tmp/wise-stats-venv")
PINS = ["scipy==1.17.1", "scikit-learn==1.9.1", "krippendorff==0.9.0", "pingouin==0.7.0", "statsmodels==0.15.0"]
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "WiseStatsTests", "Fixtures", "stats_reference.json")


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    subprocess.check_call([python, "-m", "pip", "install", "-q", *PINS])
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


INTERVALS = "--intervals" in sys.argv[1:]
if not INTERVALS:
    ensure_venv()

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

if not INTERVALS:
    import krippendorff  # noqa: E402
    import pandas as pd  # noqa: E402
    import pingouin as pg  # noqa: E402
    import scipy  # noqa: E402
    import sklearn  # noqa: E402
    import statsmodels  # noqa: E402
    from scipy import stats  # noqa: E402
    from sklearn.metrics import cohen_kappa_score  # noqa: E402
    from statsmodels.stats.contingency_tables import mcnemar  # noqa: E402
    pg.options["round"] = None
    pg.options["round.column.CI95"] = None  # pingouin rounds the CI to 2 decimals by default

warnings.simplefilter("ignore")
M64 = (1 << 64) - 1


def num(x):
    """A float for JSON, None for NaN (the cases where wise reports nil)."""
    x = float(x)
    return None if np.isnan(x) else x


# --- The seeded generator and the bootstrap, re-implemented independently of the Swift code ---

class Xoshiro:
    def __init__(self, seed):
        x = seed
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M64  # noqa: E731
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        m = self.next() * n
        if (m & M64) < n:
            threshold = ((1 << 64) - n) % n
            while (m & M64) < threshold:
                m = self.next() * n
        return m >> 64


def bootstrap_reference(strata, weights, resamples, seed):
    """Per-resample stratum means [b][s][run] with the draw order documented in StratifiedBootstrap."""
    rng = Xoshiro(seed)
    runs = len(strata[0])
    means = np.zeros((resamples, len(strata), runs))
    for b in range(resamples):
        for s, scores in enumerate(strata):
            items = len(scores[0])
            idx = [rng.below(items) for _ in range(items)]
            arr = np.array(scores)
            means[b, s] = arr[:, idx].sum(axis=1) / items
    overall = (means * np.array(weights)[None, :, None]).sum(axis=1)
    return means, overall


def bootstrap_case(rng):
    sizes, weights = [7, 5, 4], [0.5, 0.3, 0.2]
    strata = [[list(map(float, rng.integers(0, 21, size=m) / 20)) for _ in range(3)] for m in sizes]
    # Run 2 equals run 1 in the last stratum, so some resamples tie there.
    strata[2][2] = list(strata[2][1])
    resamples, seed = 400, 2024
    means, overall = bootstrap_reference(strata, weights, resamples, seed)
    lo, hi = 2.5, 97.5
    runs = 3
    point_means = np.array([[np.mean(r) for r in s] for s in strata])
    point = (point_means * np.array(weights)[:, None]).sum(axis=0)
    ranks = np.array([[1 + sum(o[j] > o[i] for j in range(runs)) for i in range(runs)] for o in overall])
    win = np.array([[np.mean(overall[:, i] > overall[:, j]) + 0.5 * np.mean(overall[:, i] == overall[:, j])
                     if i != j else 0.5 for j in range(runs)] for i in range(runs)])
    delta = overall[:, 1] - overall[:, 0]
    delta_s = means[:, :, 1] - means[:, :, 0]

    def pval(d):
        return min(1.0, 2 * min(np.sum(d <= 0), np.sum(d >= 0)) / len(d))

    return {
        "strata": [{"name": f"S{i}", "weight": w, "scores": sc} for i, (w, sc) in enumerate(zip(weights, strata))],
        "resamples": resamples, "seed": seed,
        "overall": [[float(point[r]), float(np.percentile(overall[:, r], lo)), float(np.percentile(overall[:, r], hi))]
                    for r in range(runs)],
        "stratum": [[[float(point_means[s, r]), float(np.percentile(means[:, s, r], lo)),
                      float(np.percentile(means[:, s, r], hi))] for s in range(3)] for r in range(runs)],
        "rank_interval": [[int(np.percentile(ranks[:, r], lo, method="lower")),
                           int(np.percentile(ranks[:, r], hi, method="higher"))] for r in range(runs)],
        "order_probability": win.tolist(),
        "paired_overall": [float(point[1] - point[0]), float(np.percentile(delta, lo)),
                           float(np.percentile(delta, hi)), pval(delta)],
        "paired_stratum": [[float(point_means[s, 1] - point_means[s, 0]), float(np.percentile(delta_s[:, s], lo)),
                            float(np.percentile(delta_s[:, s], hi)), pval(delta_s[:, s])] for s in range(3)],
    }


# --- Tests on paired differences ---

def wilcoxon_cases(rng):
    data = {
        "small_ties_zeros": [0, 0, 1, -2, 3, 3, 4, -5, 6, 7, 8, 2],
        "small_ties": [1, -1, 2, 2, 3, -4, 5, 6, 6, 7, 8],
        "no_ties_10": [3, -1, 4, 15, -9, 2, 6, 5, -3.5, 8],
        "no_ties_20": [int(v) for v in rng.permutation(np.arange(1, 21)) * rng.choice([-1, 1], 20)],
        "no_ties_50": [int(v) for v in rng.permutation(np.arange(1, 51)) * np.where(rng.random(50) < 0.35, -1, 1)],
        "ties_zeros_16": [int(v) for v in rng.integers(-4, 6, size=16)],
        "legacy_200": [int(v) for v in rng.integers(-12, 17, size=200)],
        "floats_60": [float(v) for v in np.round(rng.normal(0.2, 1, size=60), 2)],
    }
    cases = []
    for name, d in data.items():
        d = np.array(d, dtype=float)
        for zm in ["wilcox", "pratt", "zsplit"]:
            for corr in [False, True]:
                r = stats.wilcoxon(d, zero_method=zm, correction=corr, method="asymptotic")
                cases.append({"name": name, "d": d.tolist(), "zero_method": zm, "correction": corr,
                              "method": "normal", "statistic": float(r.statistic), "pvalue": float(r.pvalue),
                              "z": float(r.zstatistic)})
            has_zero = bool(np.any(d == 0))
            ties = len(np.unique(np.abs(d[d != 0]))) < np.sum(d != 0)
            if len(d) > 20:
                continue
            if not has_zero and not ties:
                r = stats.wilcoxon(d, zero_method=zm, method="exact")
                source = "scipy method=exact"
            else:
                # The exact distribution of the observed signed ranks: scipy's exhaustive
                # permutation test (what method="auto" runs for n <= 13).
                r = stats.wilcoxon(d, zero_method=zm, method=stats.PermutationMethod(n_resamples=np.inf))
                source = "scipy PermutationMethod(n_resamples=inf)"
                if len(d) <= 13:
                    auto = stats.wilcoxon(d, zero_method=zm)
                    assert auto.pvalue == r.pvalue, (name, zm)
                    source += " (= method=auto)"
            cases.append({"name": name, "d": d.tolist(), "zero_method": zm, "correction": False,
                          "method": "exact", "statistic": float(r.statistic), "pvalue": float(r.pvalue),
                          "z": None, "source": source})
    zeros = np.zeros(8)
    for zm in ["wilcox", "pratt", "zsplit"]:
        said = {m: num(stats.wilcoxon(zeros, zero_method=zm, method=m).pvalue) for m in ["auto", "exact", "asymptotic"]}
        for method in ["exact", "normal"]:
            cases.append({"name": "all_zero", "d": zeros.tolist(), "zero_method": zm, "correction": False,
                          "method": method, "statistic": 0.0 if zm != "zsplit" else 18.0, "pvalue": 1.0,
                          "z": None if method == "exact" else 0.0, "reference_says": said})
    return cases


def sign_cases(rng):
    out = []
    for d in [[1, 2, -1, 0, 3, 4, 5, -2, 1, 1], [0, 0, 0], [1] * 12, list(rng.integers(-3, 5, size=500)),
              [1, -1] * 40 + [0] * 5]:
        d = np.array(d)
        pos, neg = int(np.sum(d > 0)), int(np.sum(d < 0))
        p = stats.binomtest(pos, pos + neg, 0.5).pvalue if pos + neg > 0 else 1.0
        out.append({"d": d.tolist(), "positive": pos, "negative": neg, "pvalue": float(p)})
    return out


def mcnemar_cases():
    out = []
    for b, c in [(5, 12), (0, 7), (30, 30), (120, 95), (3, 0), (1, 1), (0, 0), (400, 350)]:
        table = [[10, b], [c, 20]]
        for exact, corr in [(True, False), (False, True), (False, False)]:
            r = mcnemar(table, exact=exact, correction=corr)
            entry = {"b": b, "c": c, "exact": exact, "correction": corr,
                     "statistic": float(r.statistic), "pvalue": float(r.pvalue)}
            if b + c == 0:
                entry.update({"statistic": 0.0, "pvalue": 1.0,
                              "reference_says": {"statistic": str(r.statistic), "pvalue": str(r.pvalue)}})
            out.append(entry)
    return out


# --- Agreement ---

def kappa_cases(rng):
    a = rng.integers(0, 3, size=120)
    b = np.clip(a + rng.integers(-1, 2, size=120) * (rng.random(120) < 0.4), 0, 2)
    # Values 0, 1 and 3 with 2 unused: weights go by position, so labels=[0, 1, 2, 3] changes them.
    gaps = np.array([0, 3, 3, 0, 1, 0, 1, 3, 3, 3, 1, 0])
    gaps2 = np.array([0, 3, 0, 1, 3, 0, 1, 3, 1, 0, 1, 3])
    sets = [
        ("aspects_120", a, b, None),
        ("binary", rng.integers(0, 2, size=60), rng.integers(0, 2, size=60), None),
        ("unused_middle", gaps, gaps2, None),
        ("unused_middle_labels", gaps, gaps2, [0, 1, 2, 3]),
        ("one_rater_constant", np.ones(10, dtype=int), np.array([1, 1, 1, 2, 1, 1, 0, 1, 1, 1]), None),
        ("both_constant", np.ones(10, dtype=int), np.ones(10, dtype=int), None),
        ("perfect", a, a, None),
    ]
    out = []
    for name, y1, y2, labels in sets:
        for w in [None, "linear", "quadratic"]:
            k = cohen_kappa_score(y1, y2, labels=labels, weights=w)
            out.append({"name": name, "y1": [int(v) for v in y1], "y2": [int(v) for v in y2], "labels": labels,
                        "weights": w or "unweighted", "kappa": num(k)})
    return out


def alpha_cases(rng):
    doc = [[np.nan, np.nan, np.nan, np.nan, np.nan, 3, 4, 1, 2, 1, 1, 3, 3, np.nan, 3],
           [1, np.nan, 2, 1, 3, 3, 4, 3, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
           [np.nan, np.nan, 2, 1, 3, 4, 4, np.nan, 2, 1, 1, 3, 3, np.nan, 4]]
    ordinal_doc = [[1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
                   [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
                   [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
                   [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan]]
    truth = rng.integers(0, 3, size=80)
    four = np.array([np.clip(truth + rng.integers(-1, 2, size=80) * (rng.random(80) < 0.3), 0, 2) for _ in range(4)],
                    dtype=float)
    four[rng.random(four.shape) < 0.2] = np.nan
    real = np.round(rng.normal(0, 1, size=(3, 40)) + rng.normal(0, 2, size=40), 3)
    real[0, :5] = np.nan
    two = np.array([rng.integers(0, 2, size=50), rng.integers(0, 2, size=50)], dtype=float)
    constant = np.ones((3, 10))
    one_pairable_value = np.array([[1, 1, np.nan, 2], [1, 1, np.nan, np.nan]])
    sets = [("doc_example", doc), ("doc_ordinal", ordinal_doc), ("four_raters_missing", four),
            ("interval_reals", real), ("two_raters_binary", two), ("constant", constant),
            ("one_pairable_value", one_pairable_value)]
    out = []
    for name, data in sets:
        data = np.array(data, dtype=float)
        for level in ["nominal", "ordinal", "interval"]:
            try:
                value = num(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
                said = None
            except ValueError as e:
                value, said = None, f"ValueError: {e}"
            entry = {"name": name, "data": [[None if np.isnan(v) else float(v) for v in row] for row in data],
                     "level": level, "alpha": value}
            if said:
                entry["reference_says"] = said
            out.append(entry)
    return out


def icc_reference(wide):
    """pingouin's ICC(A,1) row, unrounded (pg.options['round'] = None)."""
    n, k = wide.shape
    long = pd.DataFrame({"target": np.repeat(np.arange(n), k), "rater": np.tile(np.arange(k), n),
                         "score": wide.reshape(-1)})
    table = pg.intraclass_corr(data=long, targets="target", raters="rater", ratings="score", nan_policy="omit")
    row = table.set_index("Type").loc["ICC(A,1)"]
    return row


def icc_check_ci(wide):
    """The same interval straight from scipy's F quantiles (pingouin's formulas), as a cross-check."""
    x = wide[~np.isnan(wide).any(axis=1)]
    n, k = x.shape
    g = x.mean()
    msr = k * ((x.mean(axis=1) - g) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - g) ** 2).sum() / (k - 1)
    mse = ((x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + g) ** 2).sum() / ((n - 1) * (k - 1))
    icc = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    fj = msc / mse
    vn = (n - 1) * (k - 1) * (k * icc * fj + n * (1 + (k - 1) * icc) - k * icc) ** 2
    vd = (n - 1) * k ** 2 * icc ** 2 * fj ** 2 + (n * (1 + (k - 1) * icc) - k * icc) ** 2
    v = vn / vd
    fu, fl = stats.f.ppf(0.975, n - 1, v), stats.f.ppf(0.975, v, n - 1)
    lo = n * (msr - fu * mse) / (fu * (k * msc + (k * n - k - n) * mse) + n * msr)
    hi = n * (fl * msr - mse) / (k * msc + (k * n - k - n) * mse + n * fl * msr)
    return icc, lo, hi


def icc_cases(rng):
    truth = rng.normal(0, 1, size=30)
    three = truth[:, None] + rng.normal(0, 0.6, size=(30, 3)) + np.array([0, 0.3, -0.2])
    small = np.round(rng.normal(5, 2, size=(8, 4)), 1)
    repeats = np.clip(np.round(rng.normal(1, 0.5, size=60))[:, None] + rng.integers(-1, 2, size=(60, 5)) *
                      (rng.random((60, 5)) < 0.2), 0, 2)
    missing = three.copy()
    missing[[2, 7, 11], [0, 2, 1]] = np.nan
    low = rng.normal(0, 1, size=(12, 3))
    out = []
    for name, wide in [("three_raters", three), ("small_4_raters", small), ("repeats_0_2", repeats),
                       ("missing_dropped", missing), ("near_zero", low)]:
        row = icc_reference(wide)
        icc, lo, hi = icc_check_ci(wide)
        assert abs(icc - row["ICC"]) < 1e-12 and abs(lo - row["CI95"][0]) < 1e-12 and abs(hi - row["CI95"][1]) < 1e-12
        out.append({"name": name, "data": [[None if np.isnan(v) else float(v) for v in r] for r in wide],
                    "icc": float(row["ICC"]), "f": float(row["F"]), "df1": float(row["df1"]),
                    "df2": float(row["df2"]), "pvalue": float(row["pval"]),
                    "lower": float(row["CI95"][0]), "upper": float(row["CI95"][1])})
    constant = np.full((6, 3), 2.0)
    perfect = np.repeat(np.arange(6.0)[:, None], 3, axis=1)
    for name, wide in [("constant", constant), ("perfect_agreement", perfect)]:
        row = icc_reference(wide)
        said = {key: str(row[key]) for key in ["ICC", "F", "pval", "CI95"]}
        perfect_case = name == "perfect_agreement"
        out.append({"name": name, "data": wide.tolist(), "icc": 1.0 if perfect_case else None,
                    "f": None, "f_infinite": perfect_case, "df1": 5.0, "df2": 10.0,
                    "pvalue": 0.0 if perfect_case else None, "lower": None, "upper": None, "reference_says": said})
    return out


def kendall_cases(rng):
    x50 = np.arange(50.0)
    y50 = x50.copy()
    y50[[10, 11]] = y50[[11, 10]]
    sets = [
        ("no_ties_10", rng.permutation(10).astype(float), rng.permutation(10).astype(float)),
        ("no_ties_30", np.arange(30.0), np.arange(30.0) + rng.normal(0, 8, size=30)),
        ("no_ties_40", np.arange(40.0), np.arange(40.0) + rng.normal(0, 15, size=40)),
        ("ties_20", rng.integers(0, 5, size=20).astype(float), rng.integers(0, 4, size=20).astype(float)),
        ("ties_300", rng.integers(0, 21, size=300).astype(float), rng.integers(0, 9, size=300).astype(float)),
        ("one_swap_50", x50, y50),
        ("reversed_12", np.arange(12.0), -np.arange(12.0)),
        ("centre_4", np.array([1.0, 2, 3, 4]), np.array([2.0, 1, 4, 3])),
        ("constant", np.ones(8), np.arange(8.0)),
    ]
    out = []
    for name, x, y in sets:
        r = stats.kendalltau(x, y)
        out.append({"name": name, "x": x.tolist(), "y": y.tolist(), "tau": num(r.statistic), "pvalue": num(r.pvalue)})
    return out


# --- Building blocks ---

def distribution_cases():
    return {
        "normal_sf": [[x, float(stats.norm.sf(x))] for x in [-6, -1.5, 0, 0.3, 1.96, 3, 8, 20, 37]],
        "normal_cdf": [[x, float(stats.norm.cdf(x))] for x in [-30, -8, -1.96, 0, 0.5, 2.5]],
        "chi2_sf": [[x, k, float(stats.chi2.sf(x, k))] for x, k in
                    [(0.1, 1), (3.84, 1), (25, 1), (150, 1), (2, 2.5), (9, 10), (30, 10), (80, 100), (140, 100)]],
        "chi2_cdf": [[x, k, float(stats.chi2.cdf(x, k))] for x, k in [(0.1, 1), (9, 10), (80, 100)]],
        "f_sf": [[x, a, b, float(stats.f.sf(x, a, b))] for x, a, b in
                 [(11.787, 7, 21), (0.5, 3, 12.5), (2.1, 29, 58), (40, 5, 10), (1.0, 1, 1), (3.3, 59.0, 7.37)]],
        "f_ppf": [[p, a, b, float(stats.f.ppf(p, a, b))] for p, a, b in
                  [(0.975, 7, 21), (0.975, 21, 7), (0.975, 29, 17.3), (0.975, 17.3, 29), (0.025, 5, 8),
                   (0.5, 2.5, 3.5), (0.999, 1, 1), (0.975, 59, 140.2), (0.975, 1.7, 59), (0.001, 40, 300)]],
        "binom_cdf": [[k, n, p, float(stats.binom.cdf(k, n, p))] for k, n, p in
                      [(3, 10, 0.5), (0, 7, 0.5), (30, 60, 0.5), (350, 750, 0.5), (100, 1000, 0.5), (4, 20, 0.3),
                       (700, 2000, 0.37)]],
    }


def quantile_cases(rng):
    out = []
    for values in [rng.normal(size=1001), rng.normal(size=7), np.array([3.0]), rng.integers(0, 4, size=101) * 0.25]:
        qs = [0, 0.025, 0.3333, 0.5, 0.975, 1]
        out.append({"values": values.tolist(), "q": qs, "expected": [float(np.percentile(values, 100 * q)) for q in qs]})
    return out


def xoshiro_case():
    g = Xoshiro(42)
    first = [g.next() for _ in range(4)]
    bounded = [g.below(n) for n in [1, 2, 3, 1000, 7, 2**40 + 5]]
    return {"seed": 42, "first": [f"{v:016x}" for v in first], "bounds": [1, 2, 3, 1000, 7, 2**40 + 5],
            "bounded": bounded}


# --- Bootstrap intervals over items (ItemBootstrap), by direct implementations ---

def kappa_direct(y1, y2, labels, weights):
    """Cohen's kappa from its definition over `labels` (weights by position); None when undefined."""
    k = len(labels)
    pos = {v: i for i, v in enumerate(labels)}
    o = np.zeros((k, k))
    for a, b in zip(y1, y2):
        o[pos[a], pos[b]] += 1
    n = o.sum()
    e = np.outer(o.sum(axis=1), o.sum(axis=0)) / n
    i, j = np.indices((k, k))
    w = {"unweighted": (i != j).astype(float), "linear": np.abs(i - j).astype(float),
         "quadratic": ((i - j) ** 2).astype(float)}[weights]
    den = (w * e).sum()
    return None if den == 0 else float(1 - (w * o).sum() / den)


def alpha_direct(data, level):
    """Krippendorff's alpha from ordered pairs of ratings within each unit (rows raters, columns
    units, NaN missing); ordinal distances from the marginals of the values in sorted order."""
    data = np.asarray(data, dtype=float)
    pairs = {}
    for u in range(data.shape[1]):
        vals = [v for v in data[:, u] if not np.isnan(v)]
        m = len(vals)
        if m < 2:
            continue
        for x in range(m):
            for y in range(m):
                if x != y:
                    key = (vals[x], vals[y])
                    pairs[key] = pairs.get(key, 0.0) + 1.0 / (m - 1)
    values = sorted({a for a, _ in pairs} | {b for _, b in pairs})
    if len(values) < 2:
        return None
    marg = {v: sum(w for (a, _), w in pairs.items() if a == v) for v in values}
    n = sum(marg.values())

    def delta(c, k):
        if level == "nominal":
            return 0.0 if c == k else 1.0
        if level == "interval":
            return (c - k) ** 2
        lo, hi = min(c, k), max(c, k)
        between = sum(marg[g] for g in values if lo <= g <= hi) - (marg[lo] + marg[hi]) / 2
        return between ** 2

    observed = sum(w * delta(a, b) for (a, b), w in pairs.items())
    expected = sum(marg[c] * marg[k] * delta(c, k) for c in values for k in values if c != k) / (n - 1)
    return None if expected <= 0 else float(1 - observed / expected)


def item_bootstrap(n, statistic, resamples, seed):
    """(estimate, lower, upper, undefined): each resample draws n indices in order with Xoshiro."""
    rng = Xoshiro(seed)
    estimate = statistic(list(range(n)))
    reps = []
    for _ in range(resamples):
        idx = [rng.below(n) for _ in range(n)]
        v = statistic(idx)
        if v is not None:
            reps.append(v)
    reps = np.array(reps)
    return {"estimate": estimate, "lower": float(np.percentile(reps, 2.5)), "upper": float(np.percentile(reps, 97.5)),
            "undefined": resamples - len(reps)}


def interval_cases():
    rng = np.random.default_rng(20261205)
    out = {"kappa": [], "alpha": [], "mean": []}
    a = rng.integers(0, 3, size=90)
    b = np.clip(a + rng.integers(-1, 2, size=90) * (rng.random(90) < 0.45), 0, 2)
    few = np.array([1, 1, 1, 1, 2, 1, 1]), np.array([1, 1, 1, 1, 1, 1, 0])
    for name, y1, y2, resamples, seed in [("aspects_90", a, b, 400, 7), ("few_mostly_equal", *few, 300, 3)]:
        for w in ["unweighted", "quadratic"]:
            labels = [0, 1, 2]
            if sklearn_kappa is not None:
                assert abs(sklearn_kappa(y1, y2, labels=labels, weights=None if w == "unweighted" else w)
                           - kappa_direct(y1, y2, labels, w)) < 1e-12
            r = item_bootstrap(len(y1), lambda idx: kappa_direct(y1[idx], y2[idx], labels, w), resamples, seed)
            out["kappa"].append({"name": name, "y1": y1.tolist(), "y2": y2.tolist(), "labels": labels, "weights": w,
                                 "resamples": resamples, "seed": seed, **r})
    truth = rng.integers(0, 3, size=60)
    four = np.array([np.clip(truth + rng.integers(-1, 2, size=60) * (rng.random(60) < 0.3), 0, 2) for _ in range(4)], dtype=float)
    four[rng.random(four.shape) < 0.2] = np.nan
    real = np.round(rng.normal(0, 1, size=(3, 40)) + rng.normal(0, 2, size=40), 3)
    real[0, :5] = np.nan
    binary = np.array([rng.integers(0, 2, size=30), rng.integers(0, 2, size=30)], dtype=float)
    binary[1, :20] = binary[0, :20]
    three_of_six = np.array([[1, 1, 1, 1, 2, np.nan], [1, 1, 1, 1, 1, 1], [1, 1, np.nan, 1, 2, 1]])
    for name, data, levels, resamples, seed in [("four_raters_missing", four, ["ordinal", "interval", "nominal"], 300, 11),
                                                ("interval_reals", real, ["interval"], 200, 12),
                                                ("two_raters_binary", binary, ["nominal"], 400, 13),
                                                ("mostly_constant", three_of_six, ["ordinal", "nominal"], 300, 14)]:
        for level in levels:
            if kripp is not None and alpha_direct(data, level) is not None:
                assert abs(kripp.alpha(reliability_data=data, level_of_measurement=level) - alpha_direct(data, level)) < 1e-12
            r = item_bootstrap(data.shape[1], lambda idx: alpha_direct(data[:, idx], level), resamples, seed)
            out["alpha"].append({"name": name, "data": [[None if np.isnan(v) else float(v) for v in row] for row in data],
                                 "level": level, "resamples": resamples, "seed": seed, **r})
    values = rng.random(35).round(3)
    r = item_bootstrap(len(values), lambda idx: float(values[idx].sum() / len(idx)), 500, 5)
    out["mean"].append({"values": values.tolist(), "resamples": 500, "seed": 5, **r})
    return out


def main_intervals():
    global sklearn_kappa, kripp
    try:
        from sklearn.metrics import cohen_kappa_score as sklearn_kappa
    except ImportError:
        sklearn_kappa = None
    try:
        import krippendorff as kripp
    except ImportError:
        kripp = None
    cases = interval_cases()
    cases["checked_against"] = {"numpy": np.__version__, "scikit-learn": sklearn_kappa is not None,
                                "krippendorff": kripp is not None}
    path = os.path.join(os.path.dirname(OUT), "interval_reference.json")
    with open(path, "w") as f:
        json.dump(cases, f, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes); point estimates checked against "
          f"scikit-learn: {sklearn_kappa is not None}, krippendorff: {kripp is not None}")


def main():
    if INTERVALS:
        return main_intervals()
    started = time.time()
    rng = np.random.default_rng(20260510)
    reference = {
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                     "scikit-learn": sklearn.__version__, "krippendorff": "0.9.0", "pingouin": pg.__version__,
                     "statsmodels": statsmodels.__version__},
        "xoshiro": xoshiro_case(),
        "quantile": quantile_cases(rng),
        "distributions": distribution_cases(),
        "bootstrap": bootstrap_case(rng),
        "wilcoxon": wilcoxon_cases(rng),
        "sign": sign_cases(rng),
        "mcnemar": mcnemar_cases(),
        "kappa": kappa_cases(rng),
        "alpha": alpha_cases(rng),
        "icc": icc_cases(rng),
        "kendall": kendall_cases(rng),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(reference, f, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes) in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
