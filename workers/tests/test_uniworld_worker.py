"""The UniWorld-V1 worker against a tiny random UniWorld-V1 built from a checkout's own classes.

Needs WISE_TEST_MODELS=1, WISE_TEST_UNIWORLD_REPO (a checkout of
https://github.com/PKU-YuanGroup/UniWorld-V1) and a Python with the libraries that checkout pins
(transformers 4.50, diffusers 0.32; workers/README.md), named by WISE_TEST_UNIWORLD_PYTHON (else
WISE_TEST_PYTHON):

    WISE_TEST_MODELS=1 WISE_TEST_UNIWORLD_REPO=~/UniWorld-V1 \
        WISE_TEST_UNIWORLD_PYTHON=/work/venv-unified-b/bin/python \
        python -m pytest -v workers/tests/test_uniworld_worker.py

The model (tests/tiny_uniworld.py: Qwen2.5-VL of two layers, a one-block FLUX denoise tower,
FLUX.1-dev-shaped VAE, CLIP and T5) is built once in a child process and served by one worker
(one torch thread, float32, CPU, 32x32, 2 steps). The refusal tests without a checkout need
neither torch nor a model and always run.
"""

from __future__ import annotations

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import repo_worker_checks as checks  # noqa: E402

VARIABLE = "WISE_TEST_UNIWORLD_REPO"
UPSTREAM = "https://github.com/PKU-YuanGroup/UniWorld-V1"
WORKER = os.path.join(checks.WORKERS, "uniworld_worker.py")


class UniWorldWorkerTests(checks.RepoWorkerChecks, unittest.TestCase):
    worker_name = "uniworld"
    extra_fields = {"steps": 2}

    @classmethod
    def start_worker(cls):
        python, checkout = cls.build_tiny(VARIABLE, UPSTREAM, "WISE_TEST_UNIWORLD_PYTHON", "tiny_uniworld.py")
        cls.fixture.start([python, WORKER, "--repo", checkout,
                           "--model", os.path.join(cls.fixture.folder, "lvlm"),
                           "--denoiser", os.path.join(cls.fixture.folder, "flux"),
                           "--local-files-only", "--dtype", "float32", "--device", "cpu",
                           "--threads", "1", "--width", "32", "--height", "32", "--name", "tiny-uniworld"])

    def test_1_ready_line(self):
        metadata = self.check_ready_line(checks.checkout_commit(self.checkout), width=32, height=32, steps=28,
                                         guidance=3.5, joint_with_t5=True, t5_tokens=256,
                                         model_class="UnivaQwen2p5VLForConditionalGeneration",
                                         pipeline_class="univa.utils.flux_pipeline.FluxPipeline")
        self.assertEqual(metadata["repo"], self.checkout)

    def test_2_seeds(self):
        replies = self.check_seeds()
        metadata = replies["s1"]["metadata"]
        self.assertEqual((metadata["steps"], metadata["guidance"], metadata["joint_with_t5"]), (2, 3.5, True))

    def test_3_options_reach_the_model(self):
        """Without T5 the conditioning is the model's tokens alone, and the image changes; so does
        another guidance (FLUX.1-dev's embedded guidance) and another step count."""
        plain = self.req("plain", "a red apple on a table", 5)
        no_t5 = self.req("no-t5", "a red apple on a table", 5, options={"joint_with_t5": False, "other": 1})
        guided = self.req("guided", "a red apple on a table", 5, guidance=7.0)
        longer = self.req("longer", "a red apple on a table", 5, steps=3)
        replies = self.ask_ok(plain, no_t5, guided, longer)
        self.assertEqual(replies["no-t5"]["metadata"]["joint_with_t5"], False)
        self.assertEqual(replies["no-t5"]["metadata"]["ignored_options"], ["other"])
        self.assertEqual(replies["plain"]["metadata"]["condition_tokens"] - 256,
                         replies["no-t5"]["metadata"]["condition_tokens"])
        images = {name: checks.pixels(message["output"])[2]
                  for name, message in [("plain", plain), ("no-t5", no_t5), ("guided", guided), ("longer", longer)]}
        self.assertEqual(len(set(images.values())), 4)

    def test_4_another_size(self):
        message = self.req("wide", "a red apple", 1, width=48, height=32)
        self.assert_ok(self.ask(message)["wide"], message["output"], size=(48, 32))

    def test_5_refusals_and_the_worker_keeps_serving(self):
        self.check_refusals_then_serving([
            ({"options": {"joint_with_t5": "yes"}}, ["joint_with_t5", "true or false"]),
            # FLUX packs 2x2 latents of a VAE that halves the size: 30 is not a multiple of 4
            # (the pipeline would round it down to 28).
            ({"width": 30}, ["multiples of 4", "30x32"]),
        ])


UniWorldCheckoutRefusals = checks.refusal_tests("UniWorldCheckoutRefusals", "uniworld_worker.py",
                                                "WISE_UNIWORLD_REPO", UPSTREAM,
                                                ["--model", "LanguageBind/UniWorld-V1"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
