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
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import repo_worker_checks as checks  # noqa: E402

WORKER = os.path.join(checks.WORKERS, "bagel_worker.py")
PROMPT = "a red apple on a plate"
# The registry's options for bagel-7b-think, with a short plan (the tiny model writes noise).
THINK = {"think": True, "max_think_token_n": 8, "do_sample": False, "text_temperature": 0.3,
         "cfg_img_scale": 1.0, "cfg_interval": [0.4, 1.0], "timestep_shift": 3.0,
         "cfg_renorm_min": 0.0, "cfg_renorm_type": "global"}
PLAIN = {**THINK, "think": False}


class TinyBagelTests(checks.RepoWorkerChecks, unittest.TestCase):
    """In the order written (pytest) or by name (unittest); the EOF check runs last."""

    worker_name = "bagel"
    extra_fields = {"width": 32, "height": 32, "steps": 3, "guidance": 4.0, "options": PLAIN}

    @classmethod
    def start_worker(cls):
        env = {"PYTHONPATH": os.path.join(HERE, "cpu_flash_attn")}
        weights = os.path.join(cls.fixture.folder, "BAGEL-tiny")
        python, checkout = cls.build_tiny("WISE_TEST_BAGEL_REPO", "https://github.com/ByteDance-Seed/Bagel",
                                          "WISE_TEST_BAGEL_PYTHON", "tiny_bagel.py", weights, env=env,
                                          also=" (and WISE_TEST_BAGEL_PYTHON to a Python with its dependencies)")
        cls.fixture.start([python, WORKER, "--repo", checkout, "--model", weights, "--device", "cpu",
                           "--dtype", "bfloat16", "--threads", "1", "--name", "tiny-bagel"], env=env)

    def test_1_ready_line_names_the_checkout(self):
        metadata = self.check_ready_line(checks.checkout_commit(self.checkout), model="tiny-bagel",
                                         dtype="bfloat16")
        self.assertEqual(metadata["repo"], self.checkout)

    def test_2_thinking_writes_a_plan_that_conditions_the_image(self):
        replies = self.ask_ok(self.req("plain", PROMPT, 3), self.req("think", PROMPT, 3, options=THINK))
        self.assertNotIn("thinking", replies["plain"]["metadata"])
        self.assertIsInstance(replies["think"]["metadata"]["thinking"], str)
        self.assertNotEqual(checks.digest(replies["plain"]["path"]), checks.digest(replies["think"]["path"]))

    def test_3_same_seed_same_bytes_another_seed_another_image(self):
        self.check_seeds(PROMPT)
        replies = self.ask_ok(self.req("ta", PROMPT, 11, options=THINK), self.req("tb", PROMPT, 11, options=THINK))
        self.assertEqual(checks.digest(replies["ta"]["path"]), checks.digest(replies["tb"]["path"]))
        self.assertEqual(replies["ta"]["metadata"]["thinking"], replies["tb"]["metadata"]["thinking"])

    def test_4_a_wide_image_is_wide(self):
        message = self.req("wide", PROMPT, 5, width=48, height=32)
        self.assert_ok(self.ask(message)["wide"], message["output"], size=(48, 32))


if __name__ == "__main__":
    unittest.main()
