"""What the tests of the repository workers (BAGEL, Show-o, UniWorld-V1, MetaQuery, BLIP3-o) share.

Each such test module names its worker script, the environment variable that points at the
repository checkout, and how to build a tiny model and start the worker on it; ``RepoWorkerChecks``
then owns the worker process for the test class (started once in ``setUpClass``, closed in
``tearDownClass``) and drives it through the protocol with the client in ``worker_client``.
``refusal_tests`` makes the test class that needs no model and no torch: a worker given no
checkout, or a folder that is not the repository, must exit with one line naming the fix before
it loads anything.
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
from worker_client import WorkerProcess, digest, exchange, pixels, refused_start, request  # noqa: E402

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"
REPLY_TIMEOUT = 120.0


def skip_unless_enabled() -> None:
    """Skips the test, saying how to run it, unless WISE_TEST_MODELS=1."""
    if not ENABLED:
        raise unittest.SkipTest("set WISE_TEST_MODELS=1 to run the model worker tests")


def worker_python(variable) -> str:
    """The Python that runs this repository's worker: ``variable`` (a venv with the repository's
    pinned libraries), else WISE_TEST_PYTHON, else this one."""
    return (variable and os.environ.get(variable)) or os.environ.get("WISE_TEST_PYTHON") or sys.executable


def checkout_or_skip(variable: str, upstream: str, also: str = "") -> str:
    """The checkout ``variable`` names; the test is skipped, saying so, when it is unset."""
    skip_unless_enabled()
    path = os.environ.get(variable)
    if not path:
        raise unittest.SkipTest(f"set {variable} to a checkout of {upstream} to run this test{also}")
    return path


def checkout_commit(path: str):
    """The commit git says ``path`` is at; None when it is not a git checkout."""
    result = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


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
    """Protocol checks against a running repository worker. The class writes ``start_worker``
    (a classmethod that builds the tiny model in ``cls.fixture.folder`` and starts the worker, or
    raises SkipTest) and sets ``size`` (the tiny model's (width, height)) and ``worker_name``."""

    fixture: Fixture = None
    size = (32, 32)
    worker_name = ""
    extra_fields: dict = {}   # fields every request carries (e.g. steps for a quick run)

    @classmethod
    def start_worker(cls) -> None:
        raise NotImplementedError

    @classmethod
    def build_tiny(cls, variable: str, upstream: str, python_variable: str, builder: str,
                   destination: str = None, env: dict = None, also: str = "") -> tuple:
        """Skips unless WISE_TEST_MODELS=1 and ``variable`` names a checkout; else runs the tiny
        model's ``builder`` (a script here) as ``builder CHECKOUT DESTINATION`` (default: the
        fixture's folder) with the worker's Python, sets ``cls.checkout`` (absolute) and returns
        (that Python, the checkout as given)."""
        checkout = checkout_or_skip(variable, upstream, also)
        python = worker_python(python_variable)
        cls.checkout = os.path.abspath(checkout)
        cls.fixture.build(python, [os.path.join(HERE, builder), checkout, destination or cls.fixture.folder],
                          env=env)
        return python, checkout

    @classmethod
    def setUpClass(cls):
        cls.fixture = Fixture(f"wise-{cls.worker_name}-test-")
        try:
            cls.start_worker()
        except BaseException:
            cls.fixture.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fixture.close()

    def out(self, name):
        return os.path.join(self.fixture.folder, "images", name)

    def ask(self, *requests):
        """Sends ``requests`` together; their replies by id."""
        return exchange(self, self.fixture.worker, requests, REPLY_TIMEOUT)

    def ask_ok(self, *requests):
        """Sends ``requests`` together and checks each made its image; their replies by id."""
        replies = self.ask(*requests)
        for message in requests:
            self.assert_ok(replies[message["id"]], message["output"])
        return replies

    def req(self, rid, prompt, seed, **fields):
        return request(rid, prompt, seed, self.out(f"{rid}.png"), **{**self.extra_fields, **fields})

    def assert_ok(self, reply, path, size=None):
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual(reply["path"], path)
        self.assertIsInstance(reply["seconds"], float)
        self.assertEqual(pixels(path)[:2], ("RGB", size or self.size))

    def assert_error(self, reply, *words):
        self.assertEqual(reply["status"], "error", reply)
        self.assertNotIn("\n", reply["error"])
        for word in words:
            self.assertIn(word, reply["error"])

    def check_ready_line(self, commit: str, model: str = None, **settings):
        """The ready line: this worker, the checkout's absolute path and ``commit``, the model name
        when given, and each of ``settings`` in the metadata; returns the metadata."""
        try:
            ready = self.fixture.worker.next_message(600)
        except AssertionError as error:
            raise AssertionError(f"{error}; worker stderr: {self.fixture.stderr()}") from None
        self.assertEqual((ready["ready"], ready["protocol"], ready["worker"]), (True, 1, self.worker_name))
        if model is not None:
            self.assertEqual(ready["model"], model)
        metadata = ready["metadata"]
        self.assertEqual(metadata["repo_commit"], commit)
        self.assertTrue(os.path.isabs(metadata["repo"]))
        for key, value in settings.items():
            self.assertEqual(metadata[key], value, key)
        return metadata

    def check_seeds(self, prompt="a red apple on a table", **fields):
        """Same seed, same bytes (asked twice, one after the other); another seed, another image."""
        first = self.req("s1", prompt, 7, **fields)
        again = self.req("s1-again", prompt, 7, **fields)
        other = self.req("s2", prompt, 8, **fields)
        replies = self.ask_ok(first, again, other)
        self.assertEqual(replies["s1"]["metadata"]["seed"], 7)
        self.assertEqual(digest(first["output"]), digest(again["output"]))
        self.assertNotEqual(pixels(first["output"])[2], pixels(other["output"])[2])
        return replies

    def check_refusals_then_serving(self, refusals: list, **fields):
        """Each (request fields, words) gets an error reply naming the words and writes nothing;
        then a good request is still served."""
        messages = [self.req(f"bad{index}", "a cat", 1, **{**fields, **bad})
                    for index, (bad, _) in enumerate(refusals)]
        good = self.req("after", "a cat", 1, **fields)
        replies = self.ask(*messages, good)
        for message, (_, words) in zip(messages, refusals):
            self.assert_error(replies[message["id"]], *words)
            self.assertFalse(os.path.exists(message["output"]))
        self.assert_ok(replies["after"], good["output"])

    def test_9_eof_finishes_in_flight_work_and_exits_0(self):
        """Runs last (pytest: after the class's own tests; unittest: by name)."""
        message = self.req("last", "a dog", 3)
        self.fixture.worker.send(message)
        self.assertEqual(self.fixture.worker.close_stdin_and_wait(REPLY_TIMEOUT), 0)
        reply = self.fixture.worker.next_message(5)
        self.assert_ok(reply, message["output"])


class CheckoutRefusalChecks:
    """A worker started without a usable checkout exits ``status`` with one line; the class sets
    ``script`` (the worker file), ``variable``, ``upstream``, ``model_arguments`` and ``status``."""

    script = ""
    variable = ""
    upstream = ""
    model_arguments: list = []
    status = 2

    def run_worker(self, *arguments, env=None, python=None):
        """(exit status, the one line on stderr) of the worker started with ``arguments``."""
        argv = [python or sys.executable, os.path.join(WORKERS, self.script), *self.model_arguments,
                *arguments, "--device", "cpu"]
        return refused_start(self, argv, self.variable, env, timeout=60)

    def assert_one_line_failure(self, result, *words, status=None):
        code, line = result
        self.assertEqual(code, self.status if status is None else status, line)
        for word in words:
            self.assertIn(word, line)

    def test_no_checkout(self):
        self.assert_one_line_failure(self.run_worker(), f"no checkout of {self.upstream}",
                                     f"--repo DIR or set {self.variable}")

    def test_a_folder_that_is_not_the_repository(self):
        with tempfile.TemporaryDirectory() as folder:
            result = self.run_worker("--repo", folder)
        self.assert_one_line_failure(result, f"is not a checkout of {self.upstream}", "lacks", self.variable)

    def test_the_environment_variable_names_a_missing_folder(self):
        result = self.run_worker(env={self.variable: "/nonexistent/wise-checkout"})
        self.assert_one_line_failure(result, "/nonexistent/wise-checkout is not a folder")


def refusal_tests(name: str, script: str, variable: str, upstream: str, model_arguments: list,
                  status: int = 2):
    """The CheckoutRefusalChecks test class ``name`` for one worker script, in the caller's module."""
    attributes = dict(script=script, variable=variable, upstream=upstream, model_arguments=model_arguments,
                      status=status, __module__=sys._getframe(1).f_globals["__name__"])
    return type(name, (CheckoutRefusalChecks, unittest.TestCase), attributes)
