"""The diffusers worker against tiny random pipelines of the newer families, built in code.

Z-Image, Qwen-Image, FLUX.2-dev, FLUX.2-klein (undistilled and step-distilled) and LongCat-Image,
each a pipeline of the real diffusers class with random weights of a few hundred thousand
parameters and a tokenizer over a vocabulary of our own (workers/tests/tiny_models.py). Each family's requests
carry the options its registry entry (models/registry.json) gives, so the test proves the worker
runs those entries as written. For each family it checks what the worker hands the pipeline
(guidance kind, negative prompt, maximum sequence length, size rule), that each of those reaches
the image, that the same seed gives the same bytes and another seed another image, that an image
alone equals the same image in a batch (either order), the refusals, and exit 0 on EOF.

Needs torch, transformers and diffusers 0.42.1; runs only with WISE_TEST_MODELS=1:

    WISE_TEST_MODELS=1 OMP_NUM_THREADS=1 python -m pytest -v workers/tests/test_diffusers_families.py

One worker per family (one torch thread, --batch 2, 32x32, 2 steps), started by the family's class.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "diffusers_worker.py")
REGISTRY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "models", "registry.json")
sys.path.insert(0, HERE)
from worker_client import digest, pixels  # noqa: E402  (stdlib only: safe without torch)

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"
REPLY_TIMEOUT = 120.0
# A prompt longer than the shortest token budget below, so truncation changes what is encoded.
LONG_PROMPT = "a red cat sitting on the roof of a small blue house by the sea at night"

_state = {}


def setUpModule():
    if not ENABLED:
        raise unittest.SkipTest("set WISE_TEST_MODELS=1 to run the model worker tests")
    from worker_client import python

    folder = tempfile.mkdtemp(prefix="wise-diffusers-families-")
    names = sorted({case.builder for case in FAMILY_CASES})
    started = time.monotonic()
    # All pipelines built in one child process (torch imported once), so this one needs no torch.
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import tiny_models\n"
              "for name in sys.argv[3:]: tiny_models.BUILDERS[name](sys.argv[2] + '/' + name)")
    subprocess.run([python(), "-c", script, HERE, folder, *names], check=True, timeout=600,
                   stdout=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1"})
    print(f"\n  {len(names)} tiny pipelines built in {time.monotonic() - started:.1f} s", file=sys.stderr)
    with open(REGISTRY, encoding="utf-8") as handle:
        models = {model["name"]: model for model in json.load(handle)["models"]}
    _state.update(folder=folder, models=models, started=started)


def tearDownModule():
    if _state.get("folder"):
        print(f"\n  family tests: {time.monotonic() - _state['started']:.1f} s in all", file=sys.stderr)
        if os.environ.get("WISE_TEST_KEEP") != "1":
            shutil.rmtree(_state["folder"], ignore_errors=True)


class FamilyWorker:
    """One worker on a family's tiny pipeline for a test class, and requests carrying the options
    of the family's registry entry."""

    builder = ""                 # a tiny_models.BUILDERS name
    registry_name = ""           # the registry entry whose options and guidance the requests carry
    guidance = None              # None: the registry entry's
    worker_arguments = ()        # more worker flags

    @classmethod
    def setUpClass(cls):
        from worker_client import WorkerProcess, python

        cls.folder = os.path.join(_state["folder"], cls.builder + "-run")
        os.makedirs(os.path.join(cls.folder, "images"))
        entry = _state["models"][cls.registry_name]
        cls.options = entry.get("options", {})
        cls.base_guidance = cls.guidance if cls.guidance is not None else entry["guidance"]
        cls.started = time.monotonic()
        cls.worker = WorkerProcess(
            [python(), WORKER, "--model", os.path.join(_state["folder"], cls.builder), "--threads", "1",
             "--batch", "2", "--batch-wait", "0.5", "--steps", "2", "--width", "32", "--height", "32",
             "--name", cls.builder, *cls.worker_arguments],
            env={"OMP_NUM_THREADS": "1"}, stderr_path=os.path.join(cls.folder, "worker.stderr"))
        cls.ready = cls.worker.next_message(REPLY_TIMEOUT)

    @classmethod
    def tearDownClass(cls):
        cls.worker.kill()
        print(f"\n  {cls.builder}: {time.monotonic() - cls.started:.1f} s (worker start to exit)",
              file=sys.stderr)

    def out(self, name):
        return os.path.join(self.folder, "images", name)

    def request(self, rid, prompt, seed, output, options=None, **fields):
        message = {"id": rid, "prompt_id": 1, "sample_index": 0, "prompt": prompt, "seed": seed,
                   "width": 32, "height": 32, "steps": 2, "guidance": self.base_guidance,
                   "output": self.out(output), "options": dict(self.options, **(options or {}))}
        message.update(fields)
        return message

    def generate(self, *requests):
        self.worker.send(*requests)
        replies = self.worker.replies(len(requests), REPLY_TIMEOUT)
        self.assertEqual(set(replies), {r["id"] for r in requests})
        return replies

    def image(self, rid, prompt, seed, output, **fields):
        """Generates one image alone and checks the reply; returns the reply's metadata."""
        reply = self.generate(self.request(rid, prompt, seed, output, **fields))[rid]
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual(pixels(self.out(output))[:2], ("RGB", (32, 32)))
        return reply["metadata"]

    def refused(self, rid, **fields):
        """Sends a request that must be refused; returns its error line. No file may appear."""
        reply = self.generate(self.request(rid, "a red cat", 1, rid + ".png", **fields))[rid]
        self.assertEqual(reply["status"], "error", reply)
        self.assertNotIn("\n", reply["error"])
        self.assertFalse(os.path.exists(self.out(rid + ".png")))
        return reply["error"]

    def test_9_eof_exits_0(self):
        self.assertEqual(self.worker.close_stdin_and_wait(REPLY_TIMEOUT), 0)


class FamilyChecks(FamilyWorker):
    """The checks every family gets; a subclass names its builder, registry entry and expectations."""

    pipeline_class = ""
    takes_negative_prompt = True
    takes_max_sequence_length = True
    expected_call = {}           # the pipeline call's arguments for a plain request

    def test_1_ready_line(self):
        self.assertEqual(self.ready["ready"], True, self.ready)
        self.assertEqual(self.ready["metadata"]["pipeline"], self.pipeline_class)
        self.assertEqual(self.ready["metadata"]["size_multiple"], 8)

    def test_2_registry_options_reach_the_call(self):
        metadata = self.image("a", "a red cat", 1001, "a.png")
        self.assertEqual(metadata["call"], self.expected_call)
        self.assertEqual(metadata["guidance"], self.base_guidance)

    def test_3_same_seed_same_bytes_other_seed_other_image(self):
        self.image("a-again", "a red cat", 1001, "a-again.png")
        self.assertEqual(digest(self.out("a-again.png")), digest(self.out("a.png")))
        self.image("a-seed", "a red cat", 1002, "a-seed.png")
        self.assertNotEqual(pixels(self.out("a-seed.png")), pixels(self.out("a.png")))

    def test_4_batch_equals_alone_in_either_order(self):
        self.image("b", "blue sky of the moon", 2002, "b.png", prompt_id=2)
        for order, names in (("ab", ("a", "b")), ("ba", ("b", "a"))):
            requests = {"a": self.request("a-" + order, "a red cat", 1001, f"a-{order}.png"),
                        "b": self.request("b-" + order, "blue sky of the moon", 2002, f"b-{order}.png",
                                          prompt_id=2)}
            replies = self.generate(*(requests[name] for name in names))
            for name in names:
                reply = replies[f"{name}-{order}"]
                self.assertEqual(reply["status"], "ok", reply)
                self.assertEqual(reply["metadata"]["batch_size"], 2, "the two requests were not batched")
                self.assertEqual(digest(self.out(f"{name}-{order}.png")), digest(self.out(f"{name}.png")),
                                 f"{name} in a batch ({order}) differs from {name} alone")

    def test_5_guidance_reaches_the_image(self):
        metadata = self.image("g", "a red cat", 1001, "g.png", guidance=1.5)
        kind = self.options.get("guidance_kind", "guidance_scale")
        self.assertEqual((metadata["guidance_kind"], metadata["call"][kind]), (kind, 1.5))
        self.assertNotEqual(pixels(self.out("g.png")), pixels(self.out("a.png")))

    def test_6_negative_prompt(self):
        if not self.takes_negative_prompt:
            error = self.refused("negative", options={"negative_prompt": "blurry"})
            self.assertIn(f"{self.pipeline_class} takes no negative prompt", error)
            return
        metadata = self.image("n", "a red cat", 1001, "n.png", options={"negative_prompt": "blurry"})
        self.assertEqual(metadata["call"]["negative_prompt"], "blurry")
        self.assertNotEqual(pixels(self.out("n.png")), pixels(self.out("a.png")))

    def test_7_max_sequence_length(self):
        if not self.takes_max_sequence_length:
            error = self.refused("length", options={"max_sequence_length": 8})
            self.assertIn(f"{self.pipeline_class} takes no max_sequence_length", error)
            return
        self.image("long", LONG_PROMPT, 1001, "long.png")
        metadata = self.image("short", LONG_PROMPT, 1001, "short.png", options={"max_sequence_length": 8})
        self.assertEqual(metadata["call"]["max_sequence_length"], 8)
        self.assertNotEqual(pixels(self.out("short.png")), pixels(self.out("long.png")))
        error = self.refused("length-0", options={"max_sequence_length": 0})
        self.assertIn("max_sequence_length' must be a positive integer", error)

    def test_8_refusals_then_still_serving(self):
        error = self.refused("off-grid", width=36)
        self.assertIn(f"width 36 is not a multiple of 8, which {self.pipeline_class} needs", error)
        self.assertIn("ask for 32 or 40", error)
        error = self.refused("unknown-option", options={"cfg_scale": 3})
        self.assertIn("no option cfg_scale", error)
        error = self.refused("kwargs-own-guidance", options={"pipeline_kwargs": {"guidance_scale": 3}})
        self.assertIn("pipeline_kwargs may not set guidance_scale", error)
        self.image("after", "a red cat", 1001, "after.png")
        self.assertEqual(digest(self.out("after.png")), digest(self.out("a.png")))


class ZImageTests(FamilyChecks, unittest.TestCase):
    builder = "z-image"
    registry_name = "z-image"
    pipeline_class = "ZImagePipeline"
    expected_call = {"num_inference_steps": 2, "guidance_scale": 5.0, "width": 32, "height": 32,
                     "negative_prompt": ""}


class QwenImageTests(FamilyChecks, unittest.TestCase):
    builder = "qwen-image"
    registry_name = "qwen-image"
    pipeline_class = "QwenImagePipeline"
    expected_call = {"num_inference_steps": 2, "true_cfg_scale": 4.0, "width": 32, "height": 32,
                     "negative_prompt": " "}

    def test_8b_true_cfg_needs_a_negative_prompt_and_guidance_scale_is_refused(self):
        for rid, guidance in (("true-cfg-alone", 4.0), ("true-cfg-default", None)):   # None: the call's 4.0
            alone = self.request(rid, "a red cat", 1, rid + ".png", guidance=guidance)
            del alone["options"]["negative_prompt"]
            reply = self.generate(alone)[rid]
            self.assertEqual(reply["status"], "error", reply)
            self.assertIn("runs true_cfg_scale 4 only with a negative prompt", reply["error"])
        error = self.refused("plain-guidance", options={"guidance_kind": "guidance_scale"})
        self.assertIn("set option guidance_kind to true_cfg_scale", error)
        error = self.refused("too-long", options={"max_sequence_length": 2048})
        self.assertIn("max_sequence_length", error)   # the pipeline's own check (at most 1024)


class Flux2Tests(FamilyChecks, unittest.TestCase):
    """FLUX.2-dev's pipeline: guidance is embedded (one pass per step), no negative prompt."""

    builder = "flux2"
    registry_name = "flux.2-dev"
    pipeline_class = "Flux2Pipeline"
    takes_negative_prompt = False
    expected_call = {"num_inference_steps": 2, "guidance_scale": 4.0, "width": 32, "height": 32}


class Flux2KleinTests(FamilyChecks, unittest.TestCase):
    """The undistilled (base) FLUX.2-klein, whose guidance is real CFG against an empty prompt."""

    builder = "flux2-klein"
    registry_name = "flux.2-klein-4b"
    pipeline_class = "Flux2KleinPipeline"
    guidance = 4.0               # the registry's 1.0 is for the step-distilled release
    takes_negative_prompt = False
    expected_call = {"num_inference_steps": 2, "guidance_scale": 4.0, "width": 32, "height": 32}


class Flux2KleinDistilledTests(FamilyWorker, unittest.TestCase):
    """The step-distilled FLUX.2-klein (as released): the registry's guidance 1.0 runs, more is refused."""

    builder = "flux2-klein-distilled"
    registry_name = "flux.2-klein-4b"

    def test_1_registry_guidance_runs(self):
        metadata = self.image("one", "a red cat", 1001, "one.png")
        self.assertEqual(metadata["call"]["guidance_scale"], 1.0)

    def test_2_guidance_it_would_ignore_is_refused(self):
        error = self.refused("four", guidance=4.0)
        self.assertIn("Flux2KleinPipeline here is step-distilled", error)
        self.assertIn("ask for guidance 1", error)


class LongCatImageTests(FamilyChecks, unittest.TestCase):
    builder = "longcat-image"
    registry_name = "longcat-image"
    pipeline_class = "LongCatImagePipeline"
    takes_max_sequence_length = False      # its text length is fixed at 512 tokens
    expected_call = {"num_inference_steps": 2, "guidance_scale": 4.5, "width": 32, "height": 32,
                     "enable_cfg_renorm": True, "enable_prompt_rewrite": False, "negative_prompt": ""}

    def test_8b_cfg_renorm_reaches_the_image(self):
        metadata = self.image("no-renorm", "a red cat", 1001, "no-renorm.png", options={
            "pipeline_kwargs": {"enable_cfg_renorm": False, "enable_prompt_rewrite": False}})
        self.assertEqual(metadata["call"]["enable_cfg_renorm"], False)
        self.assertNotEqual(pixels(self.out("no-renorm.png")), pixels(self.out("a.png")))


class RemoteCodeSeedTests(FamilyWorker, unittest.TestCase):
    """A pipeline of the model's own code that takes seed= and no generator, as DeepGen 1.0's
    (deepgen-1.0's registry options): loaded only with --trust-remote-code, one call per image."""

    builder = "seed-only-remote"
    registry_name = "deepgen-1.0"
    worker_arguments = ("--trust-remote-code",)

    def test_1_ready_line(self):
        metadata = self.ready["metadata"]
        self.assertEqual((metadata["pipeline"], metadata["seeding"], metadata["trust_remote_code"]),
                         ("SeedOnlyPipeline", "seed", True))

    def test_2_seeds_reach_the_call_alone_and_in_a_batch(self):
        metadata = self.image("a", "a red cat", 1001, "a.png")
        self.assertEqual(metadata["call"], {"num_inference_steps": 2, "guidance_scale": 4.0,
                                            "width": 32, "height": 32})
        self.image("a-again", "a red cat", 1001, "a-again.png")
        self.assertEqual(digest(self.out("a-again.png")), digest(self.out("a.png")))
        self.image("a-seed", "a red cat", 1002, "a-seed.png")
        self.assertNotEqual(pixels(self.out("a-seed.png")), pixels(self.out("a.png")))
        self.image("b", "blue sky", 2002, "b.png")
        replies = self.generate(self.request("b2", "blue sky", 2002, "b2.png"),
                                self.request("a2", "a red cat", 1001, "a2.png"))
        self.assertEqual(replies["a2"]["metadata"]["batch_size"], 2, "the two requests were not batched")
        self.assertEqual(replies["a2"]["metadata"]["call_batch"], 1)
        self.assertEqual(digest(self.out("a2.png")), digest(self.out("a.png")))
        self.assertEqual(digest(self.out("b2.png")), digest(self.out("b.png")))

    def test_3_without_the_flag_the_worker_refuses_to_start(self):
        from worker_client import python

        result = subprocess.run([python(), WORKER, "--model", os.path.join(_state["folder"], self.builder)],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=REPLY_TIMEOUT,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "", "a ready line or reply from a worker that cannot load")
        self.assertIn("trust_remote_code", result.stderr)


FAMILY_CASES = [ZImageTests, QwenImageTests, Flux2Tests, Flux2KleinTests, Flux2KleinDistilledTests,
                LongCatImageTests, RemoteCodeSeedTests]


if __name__ == "__main__":
    unittest.main(verbosity=2)
