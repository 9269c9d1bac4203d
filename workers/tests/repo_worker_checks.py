"""What the tests of the repository workers (UniWorld-V1, MetaQuery, BLIP3-o) share.

Each such test module names its worker script, the environment variable that points at the
repository checkout, and how to start the worker on a tiny model; ``RepoWorkerChecks`` then drives
the real worker process through the protocol. ``CheckoutRefusalChecks`` needs no model and no
torch: a worker given no checkout, or a folder that is not the repository, must exit 1 with one
line naming the fix before it loads anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from worker_client import WorkerProcess, digest, pixels  # noqa: E402

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"
REPLY_TIMEOUT = 120.0


def worker_python(variable: str) -> str:
    """The Python that runs this repository's worker: ``variable`` (a venv with the repository's
    pinned libraries), else WISE_TEST_PYTHON, else this one."""
    return os.environ.get(variable) or os.environ.get("WISE_TEST_PYTHON") or sys.executable


def checkout_or_skip(variable: str, upstream: str) -> str:
    """The checkout ``variable`` names; the test is skipped, saying so, when it is unset."""
    if not ENABLED:
        raise unittest.SkipTest("set WISE_TEST_MODELS=1 to run the model worker tests")
    path = os.environ.get(variable)
    if not path:
        raise unittest.SkipTest(f"set {variable} to a checkout of {upstream} to run this test")
    return path


def request(rid, prompt, seed, output, **fields):
    message = {"id": rid, "prompt_id": 1, "sample_index": 0, "prompt": prompt, "seed": seed,
               "width": None, "height": None, "steps": None, "guidance": None, "output": output,
               "options": {}}
    message.update(fields)
    return message


class Fixture:
    """One worker process on one tiny model for a whole test class, with a temporary folder."""

    def __init__(self, prefix: str):
        self.folder = tempfile.mkdtemp(prefix=prefix)
        self.worker = None

    def build(self, python: str, argv: list, env: dict = None, timeout: float = 600) -> None:
        """Runs a builder script in a child process (so the test process needs no torch)."""
        started = time.monotonic()
        result = subprocess.run([python, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"building the tiny model failed: {result.stderr.decode(errors='replace')[-3000:]}")
        self.build_seconds = time.monotonic() - started

    def start(self, argv: list, env: dict = None) -> WorkerProcess:
        self.worker = WorkerProcess(argv, env={"OMP_NUM_THREADS": "1", **(env or {})},
                                    stderr_path=os.path.join(self.folder, "worker.stderr"))
        return self.worker

    def stderr(self) -> str:
        with open(os.path.join(self.folder, "worker.stderr"), errors="replace") as handle:
            return handle.read()[-3000:]

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
        if os.environ.get("WISE_TEST_KEEP") != "1":
            shutil.rmtree(self.folder, ignore_errors=True)


class RepoWorkerChecks:
    """Protocol checks against a running repository worker; the class sets ``fixture`` (a
    started Fixture), ``size`` (the tiny model's (width, height)) and ``worker_name``."""

    fixture: Fixture = None
    size = (32, 32)
    worker_name = ""
    extra_fields: dict = {}   # fields every request carries (e.g. steps for a quick run)

    def out(self, name):
        return os.path.join(self.fixture.folder, "images", name)

    def ask(self, *requests):
        worker = self.fixture.worker
        worker.send(*requests)
        replies = worker.replies(len(requests), REPLY_TIMEOUT)
        self.assertEqual(set(replies), {r["id"] for r in requests})
        return replies

    def req(self, rid, prompt, seed, **fields):
        return request(rid, prompt, seed, self.out(f"{rid}.png"), **{**self.extra_fields, **fields})

    def assert_ok(self, reply, path):
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual(reply["path"], path)
        self.assertIsInstance(reply["seconds"], float)
        self.assertEqual(pixels(path)[:2], ("RGB", self.size))

    def assert_error(self, reply, *words):
        self.assertEqual(reply["status"], "error", reply)
        self.assertNotIn("\n", reply["error"])
        for word in words:
            self.assertIn(word, reply["error"])

    def check_ready_line(self, commit: str, **settings):
        try:
            ready = self.fixture.worker.next_message(600)
        except AssertionError as error:
            raise AssertionError(f"{error}; worker stderr: {self.fixture.stderr()}") from None
        self.assertEqual((ready["ready"], ready["protocol"], ready["worker"]), (True, 1, self.worker_name))
        metadata = ready["metadata"]
        self.assertEqual(metadata["repo_commit"], commit)
        self.assertTrue(os.path.isabs(metadata["repo"]))
        for key, value in settings.items():
            self.assertEqual(metadata[key], value, key)
        return metadata

    def check_seeds(self):
        """Same seed, same bytes (asked twice, one after the other); another seed, another image."""
        first = self.req("s1", "a red apple on a table", 7)
        again = self.req("s1-again", "a red apple on a table", 7)
        other = self.req("s2", "a red apple on a table", 8)
        replies = self.ask(first, again, other)
        for message in (first, again, other):
            self.assert_ok(replies[message["id"]], message["output"])
        self.assertEqual(replies["s1"]["metadata"]["seed"], 7)
        self.assertEqual(digest(first["output"]), digest(again["output"]))
        self.assertNotEqual(pixels(first["output"])[2], pixels(other["output"])[2])
        return replies

    def check_refusals_then_serving(self, refusals: list):
        """Each (request fields, words) gets an error reply naming the words; then a good request
        is still served."""
        messages = [self.req(f"bad{index}", "a cat", 1, **fields) for index, (fields, _) in enumerate(refusals)]
        good = self.req("after", "a cat", 1)
        replies = self.ask(*messages, good)
        for message, (_, words) in zip(messages, refusals):
            self.assert_error(replies[message["id"]], *words)
            self.assertFalse(os.path.exists(message["output"]))
        self.assert_ok(replies["after"], good["output"])

    def check_eof(self):
        message = self.req("last", "a dog", 3)
        self.fixture.worker.send(message)
        self.assertEqual(self.fixture.worker.close_stdin_and_wait(REPLY_TIMEOUT), 0)
        reply = self.fixture.worker.next_message(5)
        self.assert_ok(reply, message["output"])


class CheckoutRefusalChecks:
    """A worker started without a usable checkout exits 1 with one line; the class sets
    ``script`` (the worker file), ``variable`` and ``model_arguments``."""

    script = ""
    variable = ""
    model_arguments: list = []

    def run_worker(self, *arguments, env=None):
        environment = {key: value for key, value in os.environ.items() if key != self.variable}
        environment.update(env or {})
        return subprocess.run([sys.executable, os.path.join(WORKERS, self.script), *self.model_arguments,
                               *arguments], capture_output=True, text=True, env=environment, timeout=60)

    def assert_one_line_failure(self, result, *words):
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stdout, "")       # no ready line
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        for word in words:
            self.assertIn(word, lines[0])

    def test_no_checkout(self):
        self.assert_one_line_failure(self.run_worker(), "no checkout", "--repo", self.variable)

    def test_a_folder_that_is_not_the_repository(self):
        with tempfile.TemporaryDirectory() as folder:
            result = self.run_worker("--repo", folder)
        self.assert_one_line_failure(result, "is not a checkout", "lacks", self.variable)

    def test_the_environment_variable_names_a_missing_folder(self):
        result = self.run_worker(env={self.variable: "/nonexistent/wise-checkout"})
        self.assert_one_line_failure(result, "/nonexistent/wise-checkout is not a folder")
