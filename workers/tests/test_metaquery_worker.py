"""The MetaQuery worker against a tiny random MetaQuery built by a checkout's own classes.

Needs WISE_TEST_MODELS=1, WISE_TEST_METAQUERY_REPO (a checkout of
https://github.com/facebookresearch/metaquery) and a Python with the libraries it pins
(transformers 4.49/4.50, diffusers with SANA; workers/README.md), named by
WISE_TEST_METAQUERY_PYTHON (else WISE_TEST_PYTHON):

    WISE_TEST_MODELS=1 WISE_TEST_METAQUERY_REPO=~/metaquery \
        WISE_TEST_METAQUERY_PYTHON=/work/venv-unified-b/bin/python \
        python -m pytest -v workers/tests/test_metaquery_worker.py

The checkout's models/model.py imports torchvision at the top but uses it only for
LLaVA-OneVision's image inputs, and torchvision has no CPU build here (its PyPI wheel is built for
CUDA and breaks transformers). Unless torchvision imports, the test puts a stub package of that
name (classes that raise if used) on the worker's PYTHONPATH: the stub stands in for a library the
text-to-image path never calls, not for any of MetaQuery's code.

The model (tests/tiny_metaquery.py: Qwen2.5-VL of two layers, 8 meta-queries, a one-layer
connector, a one-layer SANA transformer, a two-level AutoencoderDC; 32x32) is built once in a
child process and served by one worker (one torch thread, float32, CPU, 2 steps). The refusal
tests without a checkout need neither torch nor a model and always run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import repo_worker_checks as checks  # noqa: E402

VARIABLE = "WISE_TEST_METAQUERY_REPO"
UPSTREAM = "https://github.com/facebookresearch/metaquery"
WORKER = os.path.join(checks.WORKERS, "metaquery_worker.py")
TORCHVISION_STUB = '''"""A stub: the test's Python has no torchvision; MetaQuery's text-to-image path never uses it."""
class _Unavailable:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("torchvision is a stub in this test")
Compose = Resize = CenterCrop = _Unavailable
'''


def stub_torchvision_if_missing(python: str, folder: str) -> dict:
    """The environment for ``python``'s children: PYTHONPATH gains a stub torchvision when
    ``python`` cannot import the real one."""
    if subprocess.run([python, "-c", "import torchvision"], capture_output=True).returncode == 0:
        return {}
    package = os.path.join(folder, "stubs", "torchvision")
    os.makedirs(package)
    with open(os.path.join(package, "__init__.py"), "w") as handle:
        handle.write("from . import transforms\n")
    with open(os.path.join(package, "transforms.py"), "w") as handle:
        handle.write(TORCHVISION_STUB)
    return {"PYTHONPATH": os.pathsep.join(filter(None, [os.path.dirname(package),
                                                        os.environ.get("PYTHONPATH")]))}


class MetaQueryWorkerTests(checks.RepoWorkerChecks, unittest.TestCase):
    worker_name = "metaquery"
    extra_fields = {"steps": 2}

    @classmethod
    def start_worker(cls):
        checks.skip_unless_enabled()
        env = stub_torchvision_if_missing(checks.worker_python("WISE_TEST_METAQUERY_PYTHON"), cls.fixture.folder)
        python, checkout = cls.build_tiny(VARIABLE, UPSTREAM, "WISE_TEST_METAQUERY_PYTHON", "tiny_metaquery.py",
                                          env=env)
        cls.fixture.start([python, WORKER, "--repo", checkout,
                           "--model", os.path.join(cls.fixture.folder, "checkpoint"),
                           "--dtype", "float32", "--device", "cpu", "--threads", "1",
                           "--name", "tiny-metaquery"], env=env)

    def test_1_ready_line(self):
        metadata = self.check_ready_line(checks.checkout_commit(self.checkout), width=32, height=32, steps=30, guidance=7.5,
                                         negative_prompt="", num_metaqueries=8,
                                         model_class="MetaQueryPipeline",
                                         scheduler="DPMSolverMultistepScheduler")
        self.assertEqual(metadata["checkpoint"], os.path.join(self.fixture.folder, "checkpoint"))

    def test_2_seeds(self):
        replies = self.check_seeds()
        self.assertEqual(replies["s1"]["metadata"]["steps"], 2)

    def test_3_options_reach_the_pipeline(self):
        """A negative prompt, another guidance, another step count and another prompt each
        change the image."""
        prompt = "a red apple on a table"
        messages = [self.req("plain", prompt, 5),
                    self.req("negative", prompt, 5, options={"negative_prompt": "blurry", "other": 1}),
                    self.req("guided", prompt, 5, guidance=2.0),
                    self.req("longer", prompt, 5, steps=3),
                    self.req("prompt", "a blue car", 5)]
        replies = self.ask_ok(*messages)
        self.assertEqual(replies["negative"]["metadata"]["negative_prompt"], "blurry")
        self.assertEqual(replies["negative"]["metadata"]["ignored_options"], ["other"])
        self.assertEqual(len({checks.pixels(m["output"])[2] for m in messages}), len(messages))

    def test_4_refusals_and_the_worker_keeps_serving(self):
        self.check_refusals_then_serving([
            ({"width": 64}, ["makes 32x32 images", "64x32"]),
            ({"options": {"negative_prompt": 3}}, ["negative_prompt", "string"]),
        ])


MetaQueryCheckoutRefusals = checks.refusal_tests("MetaQueryCheckoutRefusals", "metaquery_worker.py",
                                                 "WISE_METAQUERY_REPO", UPSTREAM,
                                                 ["--model", "xcpan/MetaQuery_Instruct_2.4B_SANA"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
