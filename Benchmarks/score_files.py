"""Writes random official-format legacy score files for benchmarks: FOLDER/{PREFIX}{r}_{domain}_scores_results.jsonl.

usage: python3 Benchmarks/score_files.py FOLDER RUNS PREFIX [--gaps]

Run r's scores come from random.Random(r). With --gaps every fourth run leaves out the ids divisible by 97,
so a board built from them takes the coverage path too.
"""
import json
import random
import sys

folder, runs, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
gaps = "--gaps" in sys.argv[4:]
domains = {"cultural_common_sense": range(1, 401), "spatio-temporal_reasoning": range(401, 701), "natural_science": range(701, 1001)}
for r in range(runs):
    rng = random.Random(r)
    for domain, ids in domains.items():
        with open(f"{folder}/{prefix}{r}_{domain}_scores_results.jsonl", "w") as f:
            for i in ids:
                if gaps and r % 4 == 3 and i % 97 == 0:
                    continue
                f.write(json.dumps({"prompt_id": i, "consistency": rng.randint(0, 2), "realism": rng.randint(0, 2), "aesthetic_quality": rng.randint(0, 2)}) + "\n")
