"""A small client for a wise worker process, for the tests: every wait is bounded."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
import time


class WorkerProcess:
    def __init__(self, argv, env=None, stderr_path=None):
        environment = dict(os.environ)
        environment["WISE_WORKER"] = "1"
        environment.update(env or {})
        self.stderr_file = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.stderr_file, env=environment)
        self.lines: "queue.Queue[object]" = queue.Queue()
        self.raw: list = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.raw.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def next_message(self, timeout: float) -> dict:
        """The next stdout line as JSON; fails the test on timeout, EOF or a non-JSON line."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"worker said nothing within {timeout} s") from None
        if line is None:
            raise AssertionError("worker closed stdout")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"worker printed a line that is not JSON: {line!r}") from None

    def send(self, *messages) -> None:
        """Writes several requests in one write, so the worker sees them queued together."""
        data = "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages)
        self.process.stdin.write(data.encode())
        self.process.stdin.flush()

    def replies(self, count: int, timeout: float) -> dict:
        """``count`` replies by id (None for an id-less error), within ``timeout`` seconds in all."""
        deadline = time.monotonic() + timeout
        found = {}
        for _ in range(count):
            message = self.next_message(max(0.01, deadline - time.monotonic()))
            assert message.get("id") not in found, f"two replies for id {message.get('id')!r}"
            found[message.get("id")] = message
        return found

    def close_stdin_and_wait(self, timeout: float) -> int:
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"worker did not exit within {timeout} s of EOF") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.stderr_file is not subprocess.DEVNULL:
            self.stderr_file.close()


def request(rid, prompt, seed, output, **fields) -> dict:
    """A generation request in the protocol's shape: nulls for what the worker defaults, no
    options; ``fields`` replace any of it."""
    message = {"id": rid, "prompt_id": 1, "sample_index": 0, "prompt": prompt, "seed": seed,
               "width": None, "height": None, "steps": None, "guidance": None, "output": output,
               "options": {}}
    message.update(fields)
    return message


def exchange(test, worker, requests, timeout: float) -> dict:
    """Sends ``requests`` together and returns their replies by id, checking each one came."""
    worker.send(*requests)
    replies = worker.replies(len(requests), timeout)
    test.assertEqual(set(replies), {r["id"] for r in requests})
    return replies


def refused_start(test, argv, drop: str, env=None, timeout: float = 120.0):
    """Runs a worker that must refuse to start (``drop``: an environment variable to unset) and
    checks it printed nothing on stdout and one line on stderr: (exit status, that line)."""
    environment = {k: v for k, v in os.environ.items() if k != drop}
    environment.update(env or {})
    done = subprocess.run(argv, env=environment, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)
    test.assertEqual(done.stdout, "")
    lines = done.stderr.strip().splitlines()
    test.assertEqual(len(lines), 1, done.stderr)
    return done.returncode, lines[0]


def python() -> str:
    return os.environ.get("WISE_TEST_PYTHON", sys.executable)


def digest(path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def pixels(path):
    """An image file's mode, size and decoded pixel bytes."""
    from PIL import Image
    with Image.open(path) as image:
        return image.mode, image.size, image.tobytes()
