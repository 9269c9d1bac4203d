"""The BAGEL worker, driven through its process and the protocol, against a stand-in checkout.

The checkout the worker imports is ``workers/tests/standin_bagel``: the modules and call
signatures the worker uses, copied into a temporary folder made to look like a git checkout, so
that the protocol side runs without BAGEL's dependencies (its real classes, which import
flash-attn, are run by test_bagel_tiny.py). The worker's own code is unchanged: it loads
the stand-in model through accelerate from a weights folder written here, and every call's
arguments are logged so the tests see what reached ``InterleaveInferencer``.

Needs torch and accelerate (skipped, saying so, without accelerate); runs only with
WISE_TEST_MODELS=1:

    WISE_TEST_MODELS=1 OMP_NUM_THREADS=1 python -m pytest -v workers/tests/test_bagel_worker.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "bagel_worker.py")
STANDIN = os.path.join(HERE, "standin_bagel")
sys.path.insert(0, HERE)
from worker_client import digest, pixels  # noqa: E402

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"
REPLY_TIMEOUT = 60.0
COMMIT = "056b5fd51a88c1eb4547318609e25d40080fcf87"
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

_state = {}


def setUpModule():
    if not ENABLED:
        raise unittest.SkipTest("set WISE_TEST_MODELS=1 to run the model worker tests")
    from worker_client import WorkerProcess, python
    if subprocess.run([python(), "-c", "import accelerate"], capture_output=True, timeout=120).returncode != 0:
        raise unittest.SkipTest(f"{python()} has no accelerate (BAGEL's loader needs it: "
                                "pip install accelerate, see workers/README.md)")

    folder = tempfile.mkdtemp(prefix="wise-bagel-test-")
    checkout = os.path.join(folder, "Bagel")
    shutil.copytree(STANDIN, checkout)
    os.makedirs(os.path.join(checkout, ".git"))
    with open(os.path.join(checkout, ".git", "HEAD"), "w") as handle:
        handle.write(COMMIT + "\n")
    weights = os.path.join(folder, "BAGEL-7B-MoT")
    subprocess.run([python(), "-c", WRITE_WEIGHTS, checkout, weights], check=True, timeout=120,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})
    log = os.path.join(folder, "calls.jsonl")
    worker = WorkerProcess([python(), WORKER, "--repo", checkout, "--model", weights, "--device", "cpu",
                            "--dtype", "float32", "--threads", "1", "--name", "bagel-7b"],
                           env={"OMP_NUM_THREADS": "1", "WISE_TEST_BAGEL_LOG": log},
                           stderr_path=os.path.join(folder, "worker.stderr"))
    _state.update(folder=folder, checkout=checkout, weights=weights, log=log, worker=worker)


def tearDownModule():
    from worker_client import tear_down
    tear_down(_state)


def request(rid, seed, options, **fields):
    message = {"id": rid, "prompt_id": 1, "sample_index": 0, "prompt": "a red apple on a plate",
               "seed": seed, "width": 64, "height": 64, "steps": 50, "guidance": 4.0,
               "output": os.path.join(_state["folder"], "images", f"{rid}.png"), "options": options}
    message.update(fields)
    return message


def calls():
    """Every call that reached the stand-in InterleaveInferencer, in order."""
    with open(_state["log"], encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


class BagelWorkerTests(unittest.TestCase):
    """In the order written (pytest) or by name (unittest): test_9 closes the worker's stdin."""

    def generate(self, *requests):
        from worker_client import exchange
        return exchange(self, _state["worker"], requests, REPLY_TIMEOUT)

    def assert_error(self, reply, *words):
        self.assertEqual(reply["status"], "error", reply)
        self.assertNotIn("\n", reply["error"])
        for word in words:
            self.assertIn(word, reply["error"])

    def test_1_ready_line_names_the_checkout_and_its_commit(self):
        ready = _state["worker"].next_message(REPLY_TIMEOUT)
        self.assertEqual((ready["ready"], ready["protocol"], ready["worker"], ready["model"]),
                         (True, 1, "bagel", "bagel-7b"))
        metadata = ready["metadata"]
        self.assertEqual(metadata["repo"], _state["checkout"])
        self.assertEqual(metadata["repo_commit"], COMMIT)
        self.assertEqual((metadata["size_step"], metadata["largest_side"]), (16, 1024))
        self.assertEqual(metadata["defaults"]["cfg_interval"], [0.4, 1.0])

    def test_2_think_is_the_only_difference_and_the_plan_comes_back(self):
        before = len(calls()) if os.path.exists(_state["log"]) else 0
        replies = self.generate(request("off", 7, OFF), request("on", 7, ON))
        for rid in ("off", "on"):
            self.assertEqual(replies[rid]["status"], "ok", replies[rid])
            self.assertEqual(pixels(replies[rid]["path"])[:2], ("RGB", (64, 64)))
        self.assertNotIn("thinking", replies["off"]["metadata"])
        self.assertFalse(replies["off"]["metadata"]["think"])
        self.assertTrue(replies["on"]["metadata"]["think"])
        self.assertTrue(replies["on"]["metadata"]["thinking"].startswith("<think>"))
        off, on = calls()[before:]
        self.assertEqual(off["input_lists"], ["a red apple on a plate"])
        self.assertEqual((off["think"], on["think"]), (False, True))
        self.assertEqual({k: v for k, v in off.items() if k != "think"},
                         {k: v for k, v in on.items() if k != "think"})
        self.assertEqual((on["num_timesteps"], on["cfg_text_scale"], on["cfg_img_scale"],
                          on["cfg_interval"], on["timestep_shift"], on["max_think_token_n"],
                          on["do_sample"], on["cfg_renorm_type"]),
                         (50, 4.0, 1.0, [0.4, 1.0], 3.0, 1000, False, "global"))

    def test_3_same_seed_same_bytes_another_seed_another_image(self):
        replies = self.generate(request("a", 11, OFF), request("b", 11, OFF), request("c", 12, OFF))
        self.assertEqual(digest(replies["a"]["path"]), digest(replies["b"]["path"]))
        self.assertNotEqual(digest(replies["a"]["path"]), digest(replies["c"]["path"]))

    def test_4_a_sampled_plan_follows_the_seed(self):
        sampled = {**ON, "do_sample": True, "text_temperature": 0.3}
        replies = self.generate(request("s1", 3, sampled), request("s2", 3, sampled),
                                request("s3", 4, sampled))
        plans = [replies[rid]["metadata"]["thinking"] for rid in ("s1", "s2", "s3")]
        self.assertEqual(plans[0], plans[1])
        self.assertNotEqual(plans[0], plans[2])

    def test_5_width_and_height_reach_bagel_as_height_then_width(self):
        reply = self.generate(request("wide", 5, OFF, width=64, height=32))["wide"]
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual(pixels(reply["path"])[:2], ("RGB", (64, 32)))
        self.assertEqual(calls()[-1]["image_shapes"], [32, 64])

    def test_6_defaults_fill_nulls_and_unknown_options_are_named(self):
        reply = self.generate(request("d", 5, {"flavour": 1}, width=None, height=None, steps=None,
                                      guidance=None))["d"]
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual(pixels(reply["path"])[:2], ("RGB", (1024, 1024)))
        self.assertEqual(reply["metadata"]["ignored_options"], ["flavour"])
        last = calls()[-1]
        self.assertEqual((last["num_timesteps"], last["cfg_text_scale"], last["think"]), (50, 4.0, False))

    def test_7_bad_requests_get_one_line_errors_and_the_worker_keeps_serving(self):
        replies = self.generate(request("t", 1, {"think": "yes"}),
                                request("n", 1, {**ON, "max_think_token_n": 0}),
                                request("i", 1, {"cfg_interval": [0.9, 0.1]}),
                                request("r", 1, {"cfg_renorm_type": "local"}),
                                request("s", 1, OFF, width=40),
                                request("big", 1, OFF, width=2048),
                                request("fine", 1, OFF))
        self.assert_error(replies["t"], "think")
        self.assert_error(replies["n"], "max_think_token_n")
        self.assert_error(replies["i"], "cfg_interval")
        self.assert_error(replies["r"], "cfg_renorm_type")
        self.assert_error(replies["s"], "width 40", "multiples of 16")
        self.assert_error(replies["big"], "width 2048", "1024")
        self.assertEqual(replies["fine"]["status"], "ok", replies["fine"])
        for rid in ("t", "n", "i", "r", "s", "big"):
            self.assertFalse(os.path.exists(request(rid, 1, {})["output"]), rid)

    def test_9_eof_exits_zero(self):
        self.assertEqual(_state["worker"].close_stdin_and_wait(REPLY_TIMEOUT), 0)


class BagelCheckoutErrorTests(unittest.TestCase):
    """A missing or wrong checkout, or a wrong weights folder: one line on stderr, exit 2."""

    def start(self, *arguments, env=None):
        from worker_client import python, refused_start
        return refused_start(self, [python(), WORKER, *arguments, "--device", "cpu"], "WISE_BAGEL_REPO", env)

    def test_no_checkout_says_how_to_give_one(self):
        code, line = self.start("--model", _state["weights"])
        self.assertEqual(code, 2)
        self.assertIn("no checkout of https://github.com/ByteDance-Seed/Bagel", line)
        self.assertIn("--repo DIR or set WISE_BAGEL_REPO", line)

    def test_a_wrong_folder_names_what_it_lacks(self):
        code, line = self.start("--model", _state["weights"], env={"WISE_BAGEL_REPO": _state["weights"]})
        self.assertEqual(code, 2)
        self.assertIn("is not a checkout of https://github.com/ByteDance-Seed/Bagel", line)
        self.assertIn("inferencer.py", line)

    def test_a_wrong_weights_folder_names_what_it_lacks(self):
        code, line = self.start("--repo", _state["checkout"], "--model", _state["checkout"])
        self.assertEqual(code, 2)
        self.assertIn("is not a BAGEL weights folder", line)
        self.assertIn("ema.safetensors", line)

    def test_a_hub_id_not_in_the_cache_is_one_line(self):
        code, line = self.start("--repo", _state["checkout"], "--model", "nobody-here/no-such-bagel",
                                "--local-files-only", env={"HF_HUB_OFFLINE": "1"})
        self.assertEqual(code, 2)
        self.assertIn("cannot fetch the weights nobody-here/no-such-bagel", line)


if __name__ == "__main__":
    unittest.main()
