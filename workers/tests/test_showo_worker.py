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
float32, CPU) serves the tests in the order they are written (pytest) or by name (unittest). The
checkout refusals (no checkout, a wrong folder) need neither torch nor a model and always run.
"""

from __future__ import annotations

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import repo_worker_checks as checks  # noqa: E402
from worker_client import refused_start  # noqa: E402

WORKER = os.path.join(checks.WORKERS, "showo_worker.py")
UPSTREAM = "https://github.com/showlab/Show-o"
PROMPT = "a lighthouse at dusk"
SIZE = 32


class ShowoWorkerTests(checks.RepoWorkerChecks, unittest.TestCase):
    """In the order written (pytest) or by name (unittest); the EOF check runs last."""

    worker_name = "showo"
    size = (SIZE, SIZE)
    extra_fields = {"width": SIZE, "height": SIZE, "steps": 4, "guidance": 1.75}

    @classmethod
    def start_worker(cls):
        cls.tiny = os.path.join(cls.fixture.folder, "tiny")
        cls.python, checkout = cls.build_tiny("WISE_TEST_SHOWO_REPO", UPSTREAM, "WISE_TEST_SHOWO_PYTHON",
                                              "tiny_showo.py", cls.tiny,
                                              also=" (and WISE_TEST_SHOWO_PYTHON to a Python with its dependencies)")
        cls.fixture.start([cls.python, WORKER, "--repo", checkout, "--config", os.path.join(cls.tiny, "config.yaml"),
                           "--device", "cpu", "--threads", "1", "--name", "tiny-show-o"])

    def test_1_ready_line_names_the_checkout_and_the_config(self):
        metadata = self.check_ready_line(checks.checkout_commit(self.checkout), model="tiny-show-o", width=SIZE,
                                         height=SIZE, num_vq_tokens=4,
                                         config=os.path.join(self.tiny, "config.yaml"))
        self.assertEqual(metadata["repo"], self.checkout)

    def test_2_same_seed_same_bytes_another_seed_another_image(self):
        replies = self.check_seeds(PROMPT)
        self.assertEqual(replies["s1"]["metadata"]["generation_timesteps"], 4)

    def test_3_guidance_steps_and_temperature_reach_the_sampler(self):
        replies = self.ask_ok(self.req("base", PROMPT, 5), self.req("noguide", PROMPT, 5, guidance=0.0),
                              self.req("steps", PROMPT, 5, steps=2))
        base = checks.digest(replies["base"]["path"])
        for rid in ("noguide", "steps"):
            self.assertNotEqual(checks.digest(replies[rid]["path"]), base, rid)
        # The temperature scales only the noise that picks which tokens are masked again, which
        # may keep the same order for one seed: over three seeds, some image must change.
        seeds = (5, 6, 7)
        replies = self.ask_ok(*[self.req(f"t1-{seed}", PROMPT, seed) for seed in seeds[1:]],
                              *[self.req(f"t50-{seed}", PROMPT, seed, options={"temperature": 50.0})
                                for seed in seeds])
        self.assertEqual(replies["t50-5"]["metadata"]["temperature"], 50.0)
        paths = {rid: reply["path"] for rid, reply in replies.items()}
        paths["t1-5"] = self.out("base.png")
        changed = [seed for seed in seeds if checks.digest(paths[f"t1-{seed}"]) != checks.digest(paths[f"t50-{seed}"])]
        self.assertTrue(changed, "temperature 50 made the same images as 1 for every seed")

    def test_4_nulls_take_the_defaults_and_unknown_options_are_named(self):
        message = self.req("d", PROMPT, 5, width=None, height=None, steps=None, guidance=None,
                           options={"flavour": 1})
        reply = self.ask_ok(message)["d"]
        metadata = reply["metadata"]
        self.assertEqual((metadata["generation_timesteps"], metadata["guidance_scale"]), (18, 1.75))
        self.assertEqual(metadata["ignored_options"], ["flavour"])

    def test_5_bad_requests_get_one_line_errors_and_the_worker_keeps_serving(self):
        self.check_refusals_then_serving([
            ({"width": 64, "height": 64}, ["32x32", "64x64"]),
            ({"guidance": -1.0}, ["guidance"]),
            ({"options": {"temperature": 0}}, ["temperature"]),
        ])

    def refused(self, *arguments):
        """(exit status, line) of a worker on this checkout that must refuse to start."""
        return refused_start(self, [self.python, WORKER, "--repo", self.checkout, *arguments, "--device", "cpu"],
                             "WISE_SHOWO_REPO")

    def test_6_a_missing_config_is_named(self):
        self.assertEqual(self.refused("--config", "configs/no_such.yaml"),
                         (2, "showo_worker: no config configs/no_such.yaml (looked in "
                             f"{self.checkout} too): pass --config with one of the checkout's configs, "
                             "e.g. configs/showo_demo_512x512.yaml"))

    def test_7_auto_config_refuses_a_checkpoint_of_no_demo_size(self):
        code, line = self.refused("--model", os.path.join(self.tiny, "showo"))
        self.assertEqual(code, 2)
        self.assertIn("4 image tokens match no demo config", line)


ShowoCheckoutErrorTests = checks.refusal_tests("ShowoCheckoutErrorTests", "showo_worker.py", "WISE_SHOWO_REPO",
                                               UPSTREAM, [])

if __name__ == "__main__":
    unittest.main()
