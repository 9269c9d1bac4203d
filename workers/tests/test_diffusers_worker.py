"""The diffusers worker against a tiny random-initialised Stable Diffusion pipeline built in code.

Needs torch, transformers and diffusers (workers/requirements-test.txt); runs only with
WISE_TEST_MODELS=1:

    WISE_TEST_MODELS=1 python -m pytest -v workers/tests
    WISE_TEST_MODELS=1 python -m unittest discover -v -s workers/tests

One worker process (one torch thread, --batch 2) serves the whole suite; the tests run in the
order they are written (pytest) or by name (unittest), and the last one closes its stdin.
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
WORKER = os.path.join(os.path.dirname(HERE), "diffusers_worker.py")
sys.path.insert(0, HERE)
from worker_client import digest, pixels  # noqa: E402  (stdlib only: safe without torch)

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"
REPLY_TIMEOUT = 60.0

_state = {}


def setUpModule():
    if not ENABLED:
        raise unittest.SkipTest("set WISE_TEST_MODELS=1 to run the model worker tests")
    from worker_client import WorkerProcess, python

    folder = tempfile.mkdtemp(prefix="wise-diffusers-test-")
    model = os.path.join(folder, "tiny-sd")
    started = time.monotonic()
    # Built in a child process of its own, so this process need not import torch.
    subprocess.run([python(), os.path.join(HERE, "tiny_models.py"), "stable-diffusion", model],
                   check=True, timeout=300, stdout=subprocess.DEVNULL,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})
    built = time.monotonic()
    worker = WorkerProcess(
        [python(), WORKER, "--model", model, "--threads", "1", "--batch", "2", "--batch-wait", "0.5",
         "--steps", "2", "--width", "64", "--height", "64", "--name", "tiny-sd"],
        env={"OMP_NUM_THREADS": "1"}, stderr_path=os.path.join(folder, "worker.stderr"))
    _state.update(folder=folder, model=model, worker=worker, started=started, built=built)


def tearDownModule():
    worker = _state.get("worker")
    if worker is not None:
        worker.kill()
    if _state.get("folder") and os.environ.get("WISE_TEST_KEEP") != "1":
        shutil.rmtree(_state["folder"], ignore_errors=True)


def request(rid, prompt, seed, output, **fields):
    message = {"id": rid, "prompt_id": 1, "sample_index": 0, "prompt": prompt, "seed": seed,
               "width": 64, "height": 64, "steps": 2, "guidance": 7.0, "output": output,
               "options": {}}
    message.update(fields)
    return message


class DiffusersWorkerTests(unittest.TestCase):
    @property
    def worker(self):
        return _state["worker"]

    def out(self, name):
        return os.path.join(_state["folder"], "images", name)

    def generate(self, *requests):
        self.worker.send(*requests)
        replies = self.worker.replies(len(requests), REPLY_TIMEOUT)
        self.assertEqual(set(replies), {r["id"] for r in requests})
        return replies

    def assert_ok(self, reply, path):
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual(reply["path"], path)
        self.assertIsInstance(reply["seconds"], float)
        self.assertEqual(pixels(path)[:2], ("RGB", (64, 64)))

    def test_1_ready_line(self):
        started = time.monotonic()
        ready = self.worker.next_message(REPLY_TIMEOUT)
        _state["ready_seconds"] = time.monotonic() - _state["built"]
        self.assertEqual(ready["ready"], True)
        self.assertEqual(ready["protocol"], 1)
        self.assertEqual(ready["worker"], "diffusers")
        self.assertEqual(ready["model"], "tiny-sd")
        metadata = ready["metadata"]
        for key in ("torch", "diffusers", "transformers", "dtype", "scheduler", "steps", "guidance",
                    "width", "height", "batch"):
            self.assertIn(key, metadata)
        self.assertEqual(metadata["scheduler"], "DDIMScheduler")
        self.assertEqual((metadata["steps"], metadata["width"], metadata["height"]), (2, 64, 64))
        self.assertEqual(metadata["threads"], 1)
        print(f"\n  model built in {_state['built'] - _state['started']:.1f} s; worker ready "
              f"{_state['ready_seconds']:.1f} s after start (waited {time.monotonic() - started:.1f} s here)",
              file=sys.stderr)

    def test_2_two_images_alone(self):
        a, b = self.out("1.png"), self.out("2.png")
        replies = self.generate(request("a1", "a red cat and the sea", 1001, a))
        replies.update(self.generate(request("b1", "blue sky of the moon", 1002, b, prompt_id=2)))
        self.assert_ok(replies["a1"], a)
        self.assert_ok(replies["b1"], b)
        metadata = replies["a1"]["metadata"]
        self.assertEqual((metadata["seed"], metadata["steps"], metadata["guidance"]), (1001, 2, 7.0))
        self.assertEqual(metadata["batch_size"], 1)
        self.assertNotEqual(digest(a), digest(b), "two seeds and prompts gave the same image")
        self.assertEqual(sorted(os.listdir(os.path.dirname(a))), ["1.png", "2.png"],
                         "a temporary file was left beside the images")
        print(f"\n  one 64x64 image, 2 steps: {replies['a1']['seconds']:.3f} s and "
              f"{replies['b1']['seconds']:.3f} s", file=sys.stderr)

    def test_3_same_seed_same_bytes(self):
        again = self.out("1-again.png")
        reply = self.generate(request("a2", "a red cat and the sea", 1001, again))["a2"]
        self.assert_ok(reply, again)
        self.assertEqual(digest(again), digest(self.out("1.png")))
        other = self.out("1-other-seed.png")
        self.assert_ok(self.generate(request("a3", "a red cat and the sea", 1003, other))["a3"], other)
        self.assertNotEqual(pixels(other), pixels(self.out("1.png")))

    def test_4_batch_equals_single_in_any_order(self):
        a, b = self.out("batch-1.png"), self.out("batch-2.png")
        replies = self.generate(request("a4", "a red cat and the sea", 1001, a),
                                request("b4", "blue sky of the moon", 1002, b, prompt_id=2))
        self.assert_ok(replies["a4"], a)
        self.assert_ok(replies["b4"], b)
        self.assertEqual(replies["a4"]["metadata"]["batch_size"], 2, "the two requests were not batched")
        self.assertEqual(pixels(a), pixels(self.out("1.png")))
        self.assertEqual(pixels(b), pixels(self.out("2.png")))
        self.assertEqual(digest(a), digest(self.out("1.png")))
        a2, b2 = self.out("swapped-1.png"), self.out("swapped-2.png")
        replies = self.generate(request("b5", "blue sky of the moon", 1002, b2, prompt_id=2),
                                request("a5", "a red cat and the sea", 1001, a2))
        self.assertEqual(replies["a5"]["metadata"]["batch_size"], 2)
        self.assertEqual(digest(a2), digest(self.out("1.png")))
        self.assertEqual(digest(b2), digest(self.out("2.png")))

    def test_5_different_settings_are_not_batched(self):
        a, b = self.out("steps-2.png"), self.out("steps-3.png")
        replies = self.generate(request("s2", "a red cat and the sea", 1001, a),
                                request("s3", "a red cat and the sea", 1001, b, steps=3))
        self.assertEqual(replies["s2"]["metadata"]["batch_size"], 1)
        self.assertEqual(replies["s3"]["metadata"]["steps"], 3)
        self.assertEqual(digest(a), digest(self.out("1.png")))
        self.assertNotEqual(digest(b), digest(a))

    def test_6_defaults_and_options(self):
        path = self.out("defaults.png")
        reply = self.generate(request("d1", "green tree", 7, path, width=None, height=None,
                                      steps=None, guidance=None,
                                      options={"negative_prompt": "blurry"}))["d1"]
        self.assert_ok(reply, path)
        metadata = reply["metadata"]
        self.assertEqual((metadata["steps"], metadata["width"], metadata["height"]), (2, 64, 64))
        self.assertEqual(metadata["guidance"], 7.5)   # the pipeline's own default
        self.assertEqual(metadata["guidance_kind"], "guidance_scale")
        self.assertEqual(metadata["negative_prompt"], "blurry")
        # what the pipeline was called with: the worker's defaults, no guidance (the pipeline's own)
        self.assertEqual(metadata["call"], {"num_inference_steps": 2, "width": 64, "height": 64,
                                            "negative_prompt": "blurry"})

    def test_7_bad_requests_get_error_replies(self):
        worker = self.worker
        worker.send("this is not json", "[1, 2]",
                    {"prompt": "no id", "seed": 1, "output": self.out("x.png")},
                    {"id": "no-prompt", "seed": 1, "output": self.out("x.png")},
                    request("relative", "p", 1, "relative.png"),
                    request("bad-seed", "p", -4, self.out("x.png")),
                    request("bad-width", "p", 1, self.out("x.png"), width="wide"),
                    request("bad-options", "p", 1, self.out("x.png"), options=[1]),
                    request("bad-kwargs", "p", 1, self.out("x.png"),
                            options={"pipeline_kwargs": {"no_such_argument": 1}}),
                    request("unwritable", "p", 1, "/proc/wise-cannot-write/x.png"),
                    request("unknown-option", "p", 1, self.out("x.png"), options={"other": 1}),
                    request("off-grid", "p", 1, self.out("x.png"), width=60),
                    request("no-true-cfg", "p", 1, self.out("x.png"),
                            options={"guidance_kind": "true_cfg_scale"}),
                    request("remote-code", "p", 1, self.out("x.png"),
                            options={"trust_remote_code": True}))
        replies = []
        deadline = time.monotonic() + REPLY_TIMEOUT
        for _ in range(14):
            replies.append(worker.next_message(max(0.01, deadline - time.monotonic())))
        for reply in replies:
            self.assertEqual(reply["status"], "error", reply)
            self.assertIsInstance(reply["error"], str)
            self.assertNotIn("\n", reply["error"])
        ids = sorted(str(r["id"]) for r in replies)
        self.assertEqual(ids, sorted(["None", "None", "None", "no-prompt", "relative", "bad-seed",
                                      "bad-width", "bad-options", "bad-kwargs", "unwritable",
                                      "unknown-option", "off-grid", "no-true-cfg", "remote-code"]))
        errors = {r["id"]: r["error"] for r in replies}
        self.assertIn("no option other", errors["unknown-option"])
        self.assertIn("width 60 is not a multiple of 8", errors["off-grid"])
        self.assertIn("ask for 56 or 64", errors["off-grid"])
        self.assertIn("StableDiffusionPipeline takes no true_cfg_scale", errors["no-true-cfg"])
        self.assertIn("--trust-remote-code", errors["remote-code"])
        self.assertFalse(os.path.exists(self.out("x.png")))
        # and it still works afterwards
        path = self.out("after-errors.png")
        self.assert_ok(self.generate(request("after", "a red cat and the sea", 1001, path))["after"], path)
        self.assertEqual(digest(path), digest(self.out("1.png")))

    def test_8_eof_finishes_in_flight_work_and_exits_0(self):
        worker = self.worker
        path = self.out("last.png")
        worker.send(request("last", "a red cat and the sea", 1001, path))
        started = time.monotonic()
        status = worker.close_stdin_and_wait(REPLY_TIMEOUT)
        self.assertEqual(status, 0)
        reply = worker.next_message(1)
        self.assertEqual((reply["id"], reply["status"]), ("last", "ok"))
        self.assertEqual(digest(path), digest(self.out("1.png")))
        self.assertIsNone(worker.lines.get(timeout=5), "more output after the last reply")
        print(f"\n  exit after EOF: {time.monotonic() - started:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
