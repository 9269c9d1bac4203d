#!/usr/bin/env python3
"""A stand-in for the `wise` binary with the command surface the deploy scripts use, for developing
and checking the Slurm plumbing before `wise generate --shard` and `wise merge` exist.

    standin_wise.py generate NAME --set S [--model M] [--limit N] --shard I/N --store X
    standin_wise.py judge NAME [anything] [--shard I/N] --store X
    standin_wise.py merge A.sqlite B.sqlite ... --into X.sqlite
    standin_wise.py report NAME --store X [--format json|md]

It keeps the real store's tables (run, image, judgment) with the columns the Slurm test compares.
Images are deterministic bytes from (model, prompt id, seed); judgments a pure function of the
image hash. Shards split prompt ids by id mod N.
"""

import hashlib
import json
import os
import sqlite3
import sys

SCHEMA = """
CREATE TABLE IF NOT EXISTS run (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, set_name TEXT NOT NULL,
    generator_spec TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS image (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, prompt_id INTEGER NOT NULL,
    sample_index INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, sha256 TEXT, UNIQUE (run_id, prompt_id, sample_index));
CREATE TABLE IF NOT EXISTS judgment (id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL, repeat_index INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL, scores TEXT, wiscore REAL, UNIQUE (image_id, repeat_index));
"""


def options(argv, flags):
    positional, named = [], {}
    i = 0
    while i < len(argv):
        if argv[i] in flags:
            named[argv[i]] = argv[i + 1]
            i += 2
        elif argv[i].startswith("--"):
            i += 2 if i + 1 < len(argv) and not argv[i + 1].startswith("--") else 1
        else:
            positional.append(argv[i])
            i += 1
    return positional, named


def shard_of(named):
    index, count = (int(x) for x in named.get("--shard", "0/1").split("/"))
    return index, count


def open_store(path):
    db = sqlite3.connect(path, timeout=30)
    db.executescript(SCHEMA)
    return db


def generate(argv):
    (name,), named = options(argv, {"--set", "--model", "--limit", "--shard", "--store"})
    index, count = shard_of(named)
    db = open_store(named["--store"])
    spec = json.dumps({"adapter": "standin", "model": named.get("--model", "tiny")})
    db.execute("INSERT OR IGNORE INTO run (name, set_name, generator_spec) VALUES (?, ?, ?)",
               (name, named.get("--set", "verified"), spec))
    run_id = db.execute("SELECT id FROM run WHERE name = ?", (name,)).fetchone()[0]
    for prompt_id in range(1, int(named.get("--limit", "40")) + 1):
        if prompt_id % count != index:
            continue
        data = f"{spec}:{prompt_id}:{1000 + prompt_id}".encode()
        db.execute("INSERT OR IGNORE INTO image (run_id, prompt_id, status, sha256) VALUES (?, ?, 'ok', ?)",
                   (run_id, prompt_id, hashlib.sha256(data).hexdigest()))
    db.commit()


def judge(argv):
    (name,), named = options(argv, {"--shard", "--store"})
    db = open_store(named["--store"])
    rows = db.execute("SELECT image.id, sha256 FROM image JOIN run ON run.id = run_id WHERE run.name = ?",
                      (name,)).fetchall()
    for image_id, sha in rows:
        score = int(sha[:2], 16) % 2
        db.execute("INSERT OR IGNORE INTO judgment (image_id, status, scores, wiscore) VALUES (?, 'ok', ?, ?)",
                   (image_id, json.dumps({"score": score}), float(score)))
    db.commit()


def merge(argv):
    sources, named = options(argv, {"--into"})
    into = open_store(named["--into"])
    for source in sources:
        db = sqlite3.connect(source)
        for name, set_name, spec in db.execute("SELECT name, set_name, generator_spec FROM run"):
            into.execute("INSERT OR IGNORE INTO run (name, set_name, generator_spec) VALUES (?, ?, ?)",
                         (name, set_name, spec))
            run_id = into.execute("SELECT id FROM run WHERE name = ?", (name,)).fetchone()[0]
            for (iid, pid, sample, status, sha) in db.execute(
                    "SELECT image.id, prompt_id, sample_index, status, sha256 FROM image JOIN run ON run.id = run_id "
                    "WHERE run.name = ?", (name,)).fetchall():
                old = into.execute("SELECT id, sha256 FROM image WHERE run_id = ? AND prompt_id = ? AND sample_index = ?",
                                   (run_id, pid, sample)).fetchone()
                if old and old[1] != sha:
                    sys.exit(f"standin merge: conflict at {name} prompt {pid}: {old[1]} vs {sha}")
                if not old:
                    into.execute("INSERT INTO image (run_id, prompt_id, sample_index, status, sha256) VALUES (?, ?, ?, ?, ?)",
                                 (run_id, pid, sample, status, sha))
                new_id = into.execute("SELECT id FROM image WHERE run_id = ? AND prompt_id = ? AND sample_index = ?",
                                      (run_id, pid, sample)).fetchone()[0]
                for rep, st, scores, ws in db.execute(
                        "SELECT repeat_index, status, scores, wiscore FROM judgment WHERE image_id = ?", (iid,)):
                    into.execute("INSERT OR IGNORE INTO judgment (image_id, repeat_index, status, scores, wiscore) "
                                 "VALUES (?, ?, ?, ?, ?)", (new_id, rep, st, scores, ws))
    into.commit()


def report(argv):
    (name,), named = options(argv, {"--store", "--format"})
    db = sqlite3.connect(named["--store"])
    n, mean = db.execute("SELECT count(*), avg(wiscore) FROM judgment JOIN image ON image.id = image_id "
                         "JOIN run ON run.id = run_id WHERE run.name = ?", (name,)).fetchone()
    if named.get("--format") == "json":
        print(json.dumps({"runs": [{"name": name, "scored": n, "overall": mean}]}))
    else:
        print(f"| run | scored | overall |\n| --- | --- | --- |\n| {name} | {n} | {mean} |")


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    {"generate": generate, "judge": judge, "merge": merge, "report": report}[command](rest)
