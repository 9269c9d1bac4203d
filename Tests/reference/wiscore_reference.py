"""An independent reference for WiScore, written from the published formulas.

Reads score files in the official evaluators' JSON Lines format and prints, as JSON, each
category mean and the overall, computed the way the official Calculate.py and
calculate_verified.py describe: categories by prompt_id range, the mean over the items
present, the overall as a weighted sum that exists only when every category has items.
Usage: python3 wiscore_reference.py legacy|verified FILE...
"""
import json
import sys

RANGES = {
    "legacy": [("CULTURE", 1, 400), ("TIME", 401, 567), ("SPACE", 568, 700),
               ("BIOLOGY", 701, 800), ("PHYSICS", 801, 900), ("CHEMISTRY", 901, 1000)],
    "verified": [("CULTURE", 1, 400), ("TIME", 401, 520), ("SPACE", 521, 640),
                 ("BIOLOGY", 641, 760), ("PHYSICS", 761, 880), ("CHEMISTRY", 881, 1000)],
}
WEIGHTS = {
    "legacy": [0.4, 0.167, 0.133, 0.1, 0.1, 0.1],
    "verified": [0.40, 0.12, 0.12, 0.12, 0.12, 0.12],
}


def item_score(protocol, row):
    if protocol == "legacy":
        return (0.7 * row["consistency"] + 0.2 * row["realism"] + 0.1 * row["aesthetic_quality"]) / 2
    return row["score"]


def main():
    protocol, files = sys.argv[1], sys.argv[2:]
    buckets = {name: [] for name, _, _ in RANGES[protocol]}
    rows = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    rows.sort(key=lambda r: r["prompt_id"])
    for row in rows:
        for name, first, last in RANGES[protocol]:
            if first <= row["prompt_id"] <= last:
                buckets[name].append(item_score(protocol, row))
    means = {name: (sum(v) / len(v) if v else None) for name, v in buckets.items()}
    overall = None
    if all(m is not None for m in means.values()):
        overall = 0.0
        for weight, (name, _, _) in zip(WEIGHTS[protocol], RANGES[protocol]):
            overall += weight * means[name]
    print(json.dumps({
        "categories": means,
        "overall": overall,
        "printed": {name: ("%.2f" % m if m is not None else None) for name, m in means.items()},
        "printed_overall": "%.2f" % overall if overall is not None else None,
    }))


if __name__ == "__main__":
    main()
