"""Shared by the workers that run a model from its own repository (BAGEL, Show-o, UniWorld, ...).

Such a worker imports the model's inference code from a checkout the user points it at
(``--repo DIR``, or an environment variable named by the worker), never from a copy in wise.
This module finds and checks that checkout, puts it on ``sys.path``, records which commit it is
at (the run's spec then says which code made the images), and seeds every random source the
repository's code may draw from, since most such code uses the global generators.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from typing import Optional, Sequence


class CheckoutError(Exception):
    """A checkout that is missing or is not the repository the worker needs: one line to print."""


@dataclass(frozen=True)
class Checkout:
    """A repository checkout on ``sys.path``: where it is and which commit it is at."""

    path: str
    commit: Optional[str]

    def metadata(self) -> dict:
        """What the worker's ready line reports about the code it runs."""
        return {"repo": self.path, "repo_commit": self.commit}


def add_repo_argument(parser, environment: str, upstream: str) -> None:
    """Adds ``--repo DIR`` (default: the environment variable ``environment``)."""
    parser.add_argument("--repo", default=os.environ.get(environment),
                        help=f"a checkout of {upstream} (default: ${environment})")


def _commit(path: str) -> Optional[str]:
    """The commit HEAD names, read from .git without running git; None when not a git checkout."""
    git = os.path.join(path, ".git")
    try:
        if os.path.isfile(git):  # a worktree or submodule: "gitdir: …"
            with open(git, encoding="utf-8") as handle:
                line = handle.read(4096).strip()
            if not line.startswith("gitdir:"):
                return None
            git = os.path.join(path, line[len("gitdir:"):].strip())
        with open(os.path.join(git, "HEAD"), encoding="utf-8") as handle:
            head = handle.read(4096).strip()
        if not head.startswith("ref:"):
            return head if len(head) == 40 else None
        ref = head[len("ref:"):].strip()
        loose = os.path.join(git, ref)
        if os.path.isfile(loose):
            with open(loose, encoding="utf-8") as handle:
                return handle.read(64).strip() or None
        packed = os.path.join(git, "packed-refs")
        if os.path.isfile(packed):
            with open(packed, encoding="utf-8") as handle:
                for line in handle:
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        return parts[0]
    except (OSError, UnicodeDecodeError):
        return None
    return None


def open_checkout(path: Optional[str], required: Sequence[str], environment: str,
                  upstream: str) -> Checkout:
    """Checks that ``path`` is a checkout holding every file in ``required`` (relative paths) and
    puts it first on ``sys.path``; raises CheckoutError with one line saying how to fix it."""
    how = f"pass --repo DIR or set {environment} to a checkout of {upstream} (git clone {upstream})"
    if not path:
        raise CheckoutError(f"no checkout of {upstream} given: {how}")
    path = os.path.abspath(path)
    if not os.path.isdir(path):
        raise CheckoutError(f"{path} is not a folder: {how}")
    missing = [name for name in required if not os.path.exists(os.path.join(path, name))]
    if missing:
        raise CheckoutError(f"{path} is not a checkout of {upstream}: it lacks {', '.join(missing)}; {how}")
    if path not in sys.path:
        sys.path.insert(0, path)
    return Checkout(path=path, commit=_commit(path))


def seed_everything(seed: int) -> None:
    """Seeds Python's, NumPy's and torch's global generators (CPU and every GPU) from ``seed``."""
    random.seed(seed)
    try:
        import numpy
        numpy.random.seed(seed % 2**32)
    except ImportError:
        pass
    import torch
    torch.manual_seed(seed)

