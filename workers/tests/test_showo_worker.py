"""The Show-o worker against a tiny random Show-o built from a Show-o checkout's own classes.

Needs a checkout of https://github.com/showlab/Show-o named by WISE_TEST_SHOWO_REPO and a Python
with its dependencies (transformers 4.41 and diffusers 0.30, which its code imports internals of;
omegaconf, jaxtyping, typeguard, einops: workers/README.md) named by WISE_TEST_SHOWO_PYTHON
(default: WISE_TEST_PYTHON); runs only with WISE_TEST_MODELS=1:

    WISE_TEST_MODELS=1 OMP_NUM_THREADS=1 WISE_TEST_SHOWO_REPO=~/src/Show-o \
        WISE_TEST_SHOWO_PYTHON=/work/venv-showo/bin/python \
        python -m pytest -v workers/tests/test_showo_worker.py

``tiny_showo.py`` builds the model (a two-layer Phi, 4 image tokens, 32x32 images; MAGVIT-v2 at
its fixed size with random weights) in a child process; one worker process (one torch thread,
float32, CPU) serves the tests in the order they are written (pytest) or by name (unittest).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "showo_worker.py")
sys.path.insert(0, HERE)
from worker_client import digest, pixels  # noqa: E402

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"
CHECKOUT = os.environ.get("WISE_TEST_SHOWO_REPO")
REPLY_TIMEOUT = 120.0
SIZE = 32

_state = {}


def showo_python():
    from worker_client import python
    return os.environ.get("WISE_TEST_SHOWO_PYTHON") or python()


def setUpModule():
    if not ENABLED:
        raise unittest.SkipTest("set WISE_TEST_MODELS=1 to run the model worker tests")
    if not CHECKOUT:
        raise unittest.SkipTest("set WISE_TEST_SHOWO_REPO to a checkout of https://github.com/showlab/Show-o "
                                "(and WISE_TEST_SHOWO_PYTHON to a Python with its dependencies)")
    from worker_client import WorkerProcess

    folder = tempfile.mkdtemp(prefix="wise-showo-test-")
    built = subprocess.run([showo_python(), os.path.join(HERE, "tiny_showo.py"), CHECKOUT, os.path.join(folder, "tiny")],
                           env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=600)
    if built.returncode != 0:
        raise RuntimeError(f"building the tiny Show-o failed: {built.stderr[-3000:]}")
    worker = WorkerProcess([showo_python(), WORKER, "--repo", CHECKOUT,
                            "--config", os.path.join(folder, "tiny", "config.yaml"),
                            "--device", "cpu", "--threads", "1", "--name", "tiny-show-o"],
                           env={"OMP_NUM_THREADS": "1"}, stderr_path=os.path.join(folder, "worker.stderr"))
    _state.update(folder=folder, worker=worker)


def tearDownModule():
    from worker_client import tear_down
    tear_down(_state)


def request(rid, seed, **fields):
    message = {"id": rid, "prompt_id": 1, "sample_index": 0, "prompt": "a lighthouse at dusk",
               "seed": seed, "width": SIZE, "height": SIZE, "steps": 4, "guidance": 1.75,
               "output": os.path.join(_state["folder"], "images", f"{rid}.png"), "options": {}}
    message.update(fields)
    return message


class ShowoWorkerTests(unittest.TestCase):
    """In the order written (pytest) or by name (unittest): test_9 closes the worker's stdin."""

    def generate(self, *requests):
        from worker_client import exchange
        return exchange(self, _state["worker"], requests, REPLY_TIMEOUT)

    def assert_ok(self, reply):
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual(pixels(reply["path"])[:2], ("RGB", (SIZE, SIZE)))

    def assert_error(self, reply, *words):
        self.assertEqual(reply["status"], "error", reply)
        self.assertNotIn("\n", reply["error"])
        for word in words:
            self.assertIn(word, reply["error"])

    def test_1_ready_line_names_the_checkout_and_the_config(self):
        ready = _state["worker"].next_message(REPLY_TIMEOUT)
        self.assertEqual((ready["ready"], ready["protocol"], ready["worker"], ready["model"]),
                         (True, 1, "showo", "tiny-show-o"))
        metadata = ready["metadata"]
        self.assertEqual(metadata["repo"], os.path.abspath(CHECKOUT))
        self.assertIn("repo_commit", metadata)
        self.assertEqual((metadata["width"], metadata["height"], metadata["num_vq_tokens"]), (SIZE, SIZE, 4))
        self.assertEqual(metadata["config"], os.path.join(_state["folder"], "tiny", "config.yaml"))

    def test_2_same_seed_same_bytes_another_seed_another_image(self):
        replies = self.generate(request("a", 1), request("b", 1), request("c", 2))
        for reply in replies.values():
            self.assert_ok(reply)
        self.assertEqual(digest(replies["a"]["path"]), digest(replies["b"]["path"]))
        self.assertNotEqual(digest(replies["a"]["path"]), digest(replies["c"]["path"]))
        self.assertEqual(replies["a"]["metadata"]["generation_timesteps"], 4)

    def test_3_guidance_steps_and_temperature_reach_the_sampler(self):
        replies = self.generate(request("base", 5), request("noguide", 5, guidance=0.0),
                                request("steps", 5, steps=2))
        for reply in replies.values():
            self.assert_ok(reply)
        base = digest(replies["base"]["path"])
        for rid in ("noguide", "steps"):
            self.assertNotEqual(digest(replies[rid]["path"]), base, rid)
        # The temperature scales only the noise that picks which tokens are masked again, which
        # may keep the same order for one seed: over three seeds, some image must change.
        seeds = (5, 6, 7)
        replies = self.generate(*[request(f"t1-{seed}", seed) for seed in seeds[1:]],
                                *[request(f"t50-{seed}", seed, options={"temperature": 50.0}) for seed in seeds])
        self.assertEqual(replies["t50-5"]["metadata"]["temperature"], 50.0)
        paths = {rid: reply["path"] for rid, reply in replies.items()}
        paths["t1-5"] = os.path.join(_state["folder"], "images", "base.png")
        changed = [seed for seed in seeds if digest(paths[f"t1-{seed}"]) != digest(paths[f"t50-{seed}"])]
        self.assertTrue(changed, "temperature 50 made the same images as 1 for every seed")

    def test_4_nulls_take_the_defaults_and_unknown_options_are_named(self):
        reply = self.generate(request("d", 5, width=None, height=None, steps=None, guidance=None,
                                      options={"flavour": 1}))["d"]
        self.assert_ok(reply)
        metadata = reply["metadata"]
        self.assertEqual((metadata["generation_timesteps"], metadata["guidance_scale"]), (18, 1.75))
        self.assertEqual(metadata["ignored_options"], ["flavour"])

    def test_5_bad_requests_get_one_line_errors_and_the_worker_keeps_serving(self):
        replies = self.generate(request("size", 1, width=64, height=64), request("neg", 1, guidance=-1.0),
                                request("cold", 1, options={"temperature": 0}), request("fine", 1))
        self.assert_error(replies["size"], "32x32", "64x64")
        self.assert_error(replies["neg"], "guidance")
        self.assert_error(replies["cold"], "temperature")
        self.assert_ok(replies["fine"])
        for rid in ("size", "neg", "cold"):
            self.assertFalse(os.path.exists(request(rid, 1)["output"]), rid)

    def test_9_eof_exits_zero(self):
        self.assertEqual(_state["worker"].close_stdin_and_wait(REPLY_TIMEOUT), 0)


class ShowoCheckoutErrorTests(unittest.TestCase):
    """A missing or wrong checkout, or a missing config: one line on stderr, exit 2."""

    def start(self, *arguments, env=None):
        from worker_client import refused_start
        return refused_start(self, [showo_python(), WORKER, *arguments, "--device", "cpu"], "WISE_SHOWO_REPO", env)

    def test_no_checkout_says_how_to_give_one(self):
        code, line = self.start()
        self.assertEqual(code, 2)
        self.assertIn("no checkout of https://github.com/showlab/Show-o", line)
        self.assertIn("--repo DIR or set WISE_SHOWO_REPO", line)

    def test_a_wrong_folder_names_what_it_lacks(self):
        code, line = self.start(env={"WISE_SHOWO_REPO": _state["folder"]})
        self.assertEqual(code, 2)
        self.assertIn("is not a checkout of https://github.com/showlab/Show-o", line)
        self.assertIn("models/modeling_showo.py", line)

    def test_a_missing_config_is_named(self):
        code, line = self.start("--repo", CHECKOUT, "--config", "configs/no_such.yaml")
        self.assertEqual(code, 2)
        self.assertIn("no config configs/no_such.yaml", line)

    def test_auto_config_refuses_a_checkpoint_of_no_demo_size(self):
        code, line = self.start("--repo", CHECKOUT, "--model", os.path.join(_state["folder"], "tiny", "showo"))
        self.assertEqual(code, 2)
        self.assertIn("4 image tokens match no demo config", line)


if __name__ == "__main__":
    unittest.main()
