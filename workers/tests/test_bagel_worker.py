"""The BAGEL worker, driven through its process and the protocol, against a stand-in checkout.

The checkout the worker imports is ``workers/tests/standin_bagel``: the modules and call
signatures the worker uses, copied into a temporary folder made to look like a git checkout, so
that the protocol side runs without BAGEL's dependencies (its real classes, which import
flash-attn, are run by test_bagel_tiny.py). The worker's own code is unchanged: it loads
the stand-in model through accelerate from a weights folder written here, and every call's
arguments are logged so the tests see what reached ``InterleaveInferencer``.

The worker tests need torch and accelerate (skipped, saying so, without accelerate) and run only
with WISE_TEST_MODELS=1; the refusal tests (no checkout, a wrong folder, a wrong weights folder, an
uncached hub id) stop before anything loads, need neither, and always run:

    WISE_TEST_MODELS=1 OMP_NUM_THREADS=1 python -m pytest -v workers/tests/test_bagel_worker.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import repo_worker_checks as checks  # noqa: E402

WORKER = os.path.join(checks.WORKERS, "bagel_worker.py")
STANDIN = os.path.join(HERE, "standin_bagel")
UPSTREAM = "https://github.com/ByteDance-Seed/Bagel"
COMMIT = "056b5fd51a88c1eb4547318609e25d40080fcf87"
PROMPT = "a red apple on a plate"
# The registry's bagel-7b and bagel-7b-think options (models/registry.json).
OFF = {"think": False, "cfg_img_scale": 1.0, "cfg_interval": [0.4, 1.0], "timestep_shift": 3.0,
       "cfg_renorm_min": 0.0, "cfg_renorm_type": "global"}
ON = {**OFF, "think": True, "max_think_token_n": 1000, "do_sample": False}

WRITE_WEIGHTS = r"""
import json, os, sys, torch
from safetensors.torch import save_file
checkout, folder = sys.argv[1], sys.argv[2]
sys.path.insert(0, checkout)
from modeling.bagel import Bagel, BagelConfig, Qwen2ForCausalLM, SiglipVisionModel
from modeling.autoencoder import AutoEncoder, AutoEncoderParams
torch.manual_seed(0)
os.makedirs(folder, exist_ok=True)
for name in ("llm_config.json", "vit_config.json"):
    with open(os.path.join(folder, name), "w") as handle:
        json.dump({"num_hidden_layers": 2}, handle)
params = AutoEncoderParams()
save_file(AutoEncoder(params).state_dict(), os.path.join(folder, "ae.safetensors"))
model = Bagel(Qwen2ForCausalLM(None), SiglipVisionModel(None), BagelConfig(vae_config=params))
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(folder, "ema.safetensors"))
"""


class BagelWorkerTests(checks.RepoWorkerChecks, unittest.TestCase):
    """In the order written (pytest) or by name (unittest); the EOF check runs last."""

    worker_name = "bagel"
    size = (64, 64)
    extra_fields = {"width": 64, "height": 64, "steps": 50, "guidance": 4.0, "options": OFF}

    @classmethod
    def start_worker(cls):
        checks.skip_unless_enabled()
        python = checks.worker_python(None)
        if subprocess.run([python, "-c", "import accelerate"], capture_output=True, timeout=120).returncode != 0:
            raise unittest.SkipTest(f"{python} has no accelerate (BAGEL's loader needs it: "
                                    "pip install accelerate, see workers/README.md)")
        folder = cls.fixture.folder
        cls.checkout = os.path.join(folder, "Bagel")
        shutil.copytree(STANDIN, cls.checkout)
        os.makedirs(os.path.join(cls.checkout, ".git"))
        with open(os.path.join(cls.checkout, ".git", "HEAD"), "w") as handle:
            handle.write(COMMIT + "\n")
        weights = os.path.join(folder, "BAGEL-7B-MoT")
        cls.fixture.build(python, ["-c", WRITE_WEIGHTS, cls.checkout, weights], timeout=120)
        cls.log = os.path.join(folder, "calls.jsonl")
        cls.fixture.start([python, WORKER, "--repo", cls.checkout, "--model", weights, "--device", "cpu",
                           "--dtype", "float32", "--threads", "1", "--name", "bagel-7b"],
                          env={"WISE_TEST_BAGEL_LOG": cls.log})

    def calls(self):
        """Every call that reached the stand-in InterleaveInferencer, in order."""
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]

    def test_1_ready_line_names_the_checkout_and_its_commit(self):
        metadata = self.check_ready_line(COMMIT, model="bagel-7b", size_step=16, largest_side=1024)
        self.assertEqual(metadata["repo"], self.checkout)
        self.assertEqual(metadata["defaults"]["cfg_interval"], [0.4, 1.0])

    def test_2_think_is_the_only_difference_and_the_plan_comes_back(self):
        before = len(self.calls())
        replies = self.ask_ok(self.req("off", PROMPT, 7, options=OFF), self.req("on", PROMPT, 7, options=ON))
        self.assertNotIn("thinking", replies["off"]["metadata"])
        self.assertFalse(replies["off"]["metadata"]["think"])
        self.assertTrue(replies["on"]["metadata"]["think"])
        self.assertTrue(replies["on"]["metadata"]["thinking"].startswith("<think>"))
        off, on = self.calls()[before:]
        self.assertEqual(off["input_lists"], [PROMPT])
        self.assertEqual((off["think"], on["think"]), (False, True))
        self.assertEqual({k: v for k, v in off.items() if k != "think"},
                         {k: v for k, v in on.items() if k != "think"})
        self.assertEqual((on["num_timesteps"], on["cfg_text_scale"], on["cfg_img_scale"],
                          on["cfg_interval"], on["timestep_shift"], on["max_think_token_n"],
                          on["do_sample"], on["cfg_renorm_type"]),
                         (50, 4.0, 1.0, [0.4, 1.0], 3.0, 1000, False, "global"))

    def test_3_same_seed_same_bytes_another_seed_another_image(self):
        self.check_seeds(PROMPT)

    def test_4_a_sampled_plan_follows_the_seed(self):
        sampled = {**ON, "do_sample": True, "text_temperature": 0.3}
        replies = self.ask_ok(self.req("p1", PROMPT, 3, options=sampled), self.req("p2", PROMPT, 3, options=sampled),
                              self.req("p3", PROMPT, 4, options=sampled))
        plans = [replies[rid]["metadata"]["thinking"] for rid in ("p1", "p2", "p3")]
        self.assertEqual(plans[0], plans[1])
        self.assertNotEqual(plans[0], plans[2])

    def test_5_width_and_height_reach_bagel_as_height_then_width(self):
        message = self.req("wide", PROMPT, 5, width=64, height=32)
        self.assert_ok(self.ask(message)["wide"], message["output"], size=(64, 32))
        self.assertEqual(self.calls()[-1]["image_shapes"], [32, 64])

    def test_6_defaults_fill_nulls_and_unknown_options_are_named(self):
        message = self.req("d", PROMPT, 5, options={"flavour": 1}, width=None, height=None, steps=None,
                           guidance=None)
        reply = self.ask(message)["d"]
        self.assert_ok(reply, message["output"], size=(1024, 1024))
        self.assertEqual(reply["metadata"]["ignored_options"], ["flavour"])
        last = self.calls()[-1]
        self.assertEqual((last["num_timesteps"], last["cfg_text_scale"], last["think"]), (50, 4.0, False))

    def test_7_bad_requests_get_one_line_errors_and_the_worker_keeps_serving(self):
        self.check_refusals_then_serving([
            ({"options": {"think": "yes"}}, ["think"]),
            ({"options": {**ON, "max_think_token_n": 0}}, ["max_think_token_n"]),
            ({"options": {"cfg_interval": [0.9, 0.1]}}, ["cfg_interval"]),
            ({"options": {"cfg_renorm_type": "local"}}, ["cfg_renorm_type"]),
            ({"width": 40}, ["width 40", "multiples of 16"]),
            ({"width": 2048}, ["width 2048", "1024"]),
        ])


class BagelCheckoutErrorTests(checks.refusal_tests("Refusals", "bagel_worker.py", "WISE_BAGEL_REPO", UPSTREAM,
                                                   ["--model", "ByteDance-Seed/BAGEL-7B-MoT"])):
    """A missing or wrong checkout, or a wrong weights folder: one line on stderr, exit 2 (no
    model and no torch needed: the worker stops before it loads anything)."""

    def test_a_wrong_weights_folder_names_what_it_lacks(self):
        result = self.run_worker("--repo", STANDIN, "--model", STANDIN)
        self.assert_one_line_failure(result, "is not a BAGEL weights folder", "ema.safetensors")

    def test_a_hub_id_not_in_the_cache_is_one_line(self):
        result = self.run_worker("--repo", STANDIN, "--model", "nobody-here/no-such-bagel", "--local-files-only",
                                 env={"HF_HUB_OFFLINE": "1"})
        self.assert_one_line_failure(result, "cannot fetch the weights nobody-here/no-such-bagel")


if __name__ == "__main__":
    unittest.main()
