"""The BAGEL worker against a tiny random BAGEL built from a BAGEL checkout's own classes.

BAGEL's modules import flash-attn (CUDA kernels only) at module level and call
``flash_attn_varlen_func`` on the inference path, so the worker runs here with
``tests/cpu_flash_attn`` on PYTHONPATH: the same function computed with PyTorch on the CPU.
Everything else is the checkout's code: the Bagel, Qwen2 (mixture-of-transformers layers), SigLIP
and autoencoder classes, the tokenizer class, ``InterleaveInferencer`` with thinking on and off.
BAGEL casts to bfloat16 inside its layers, so the worker runs with ``--dtype bfloat16``.

Needs a checkout named by WISE_TEST_BAGEL_REPO and a Python with its dependencies (transformers
4.49, accelerate, einops, safetensors: workers/README.md) named by WISE_TEST_BAGEL_PYTHON
(default: WISE_TEST_PYTHON); runs only with WISE_TEST_MODELS=1:

    WISE_TEST_MODELS=1 OMP_NUM_THREADS=1 WISE_TEST_BAGEL_REPO=~/src/Bagel \
        WISE_TEST_BAGEL_PYTHON=/work/venv-bagel/bin/python \
        python -m pytest -v workers/tests/test_bagel_tiny.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "bagel_worker.py")
sys.path.insert(0, HERE)
from worker_client import digest, pixels  # noqa: E402

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"
CHECKOUT = os.environ.get("WISE_TEST_BAGEL_REPO")
REPLY_TIMEOUT = 120.0
# The registry's options for bagel-7b-think, with a short plan (the tiny model writes noise).
THINK = {"think": True, "max_think_token_n": 8, "do_sample": False, "text_temperature": 0.3,
         "cfg_img_scale": 1.0, "cfg_interval": [0.4, 1.0], "timestep_shift": 3.0,
         "cfg_renorm_min": 0.0, "cfg_renorm_type": "global"}
PLAIN = {**THINK, "think": False}

_state = {}


def setUpModule():
    if not ENABLED:
        raise unittest.SkipTest("set WISE_TEST_MODELS=1 to run the model worker tests")
    if not CHECKOUT:
        raise unittest.SkipTest("set WISE_TEST_BAGEL_REPO to a checkout of https://github.com/ByteDance-Seed/Bagel "
                                "(and WISE_TEST_BAGEL_PYTHON to a Python with its dependencies)")
    from worker_client import WorkerProcess, python

    interpreter = os.environ.get("WISE_TEST_BAGEL_PYTHON") or python()
    env = {"OMP_NUM_THREADS": "1", "PYTHONPATH": os.path.join(HERE, "cpu_flash_attn")}
    folder = tempfile.mkdtemp(prefix="wise-bagel-tiny-")
    weights = os.path.join(folder, "BAGEL-tiny")
    built = subprocess.run([interpreter, os.path.join(HERE, "tiny_bagel.py"), CHECKOUT, weights],
                           env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    if built.returncode != 0:
        raise RuntimeError(f"building the tiny BAGEL failed: {built.stderr[-3000:]}")
    worker = WorkerProcess([interpreter, WORKER, "--repo", CHECKOUT, "--model", weights, "--device", "cpu",
                            "--dtype", "bfloat16", "--threads", "1", "--name", "tiny-bagel"],
                           env=env, stderr_path=os.path.join(folder, "worker.stderr"))
    _state.update(folder=folder, worker=worker)


def tearDownModule():
    from worker_client import tear_down
    tear_down(_state)


def request(rid, seed, options, **fields):
    message = {"id": rid, "prompt_id": 1, "sample_index": 0, "prompt": "a red apple on a plate",
               "seed": seed, "width": 32, "height": 32, "steps": 3, "guidance": 4.0,
               "output": os.path.join(_state["folder"], "images", f"{rid}.png"), "options": options}
    message.update(fields)
    return message


class TinyBagelTests(unittest.TestCase):
    """In the order written (pytest) or by name (unittest): test_9 closes the worker's stdin."""

    def generate(self, *requests):
        from worker_client import exchange
        replies = exchange(self, _state["worker"], requests, REPLY_TIMEOUT)
        for reply in replies.values():
            self.assertEqual(reply["status"], "ok", reply)
        return replies

    def test_1_ready_line_names_the_checkout(self):
        ready = _state["worker"].next_message(REPLY_TIMEOUT)
        self.assertEqual((ready["ready"], ready["worker"], ready["model"]), (True, "bagel", "tiny-bagel"))
        self.assertEqual(ready["metadata"]["repo"], os.path.abspath(CHECKOUT))
        self.assertEqual(ready["metadata"]["dtype"], "bfloat16")

    def test_2_thinking_writes_a_plan_that_conditions_the_image(self):
        replies = self.generate(request("plain", 3, PLAIN), request("think", 3, THINK))
        self.assertEqual(pixels(replies["plain"]["path"])[:2], ("RGB", (32, 32)))
        self.assertNotIn("thinking", replies["plain"]["metadata"])
        self.assertIsInstance(replies["think"]["metadata"]["thinking"], str)
        self.assertNotEqual(digest(replies["plain"]["path"]), digest(replies["think"]["path"]))

    def test_3_same_seed_same_bytes_another_seed_another_image(self):
        replies = self.generate(request("a", 11, PLAIN), request("b", 11, PLAIN), request("c", 12, PLAIN),
                                request("ta", 11, THINK), request("tb", 11, THINK))
        self.assertEqual(digest(replies["a"]["path"]), digest(replies["b"]["path"]))
        self.assertNotEqual(digest(replies["a"]["path"]), digest(replies["c"]["path"]))
        self.assertEqual(digest(replies["ta"]["path"]), digest(replies["tb"]["path"]))
        self.assertEqual(replies["ta"]["metadata"]["thinking"], replies["tb"]["metadata"]["thinking"])

    def test_4_a_wide_image_is_wide(self):
        reply = self.generate(request("wide", 5, PLAIN, width=48, height=32))["wide"]
        self.assertEqual(pixels(reply["path"])[:2], ("RGB", (48, 32)))

    def test_9_eof_exits_zero(self):
        self.assertEqual(_state["worker"].close_stdin_and_wait(REPLY_TIMEOUT), 0)


if __name__ == "__main__":
    unittest.main()
