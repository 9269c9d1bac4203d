"""The diffusers worker reports a safety checker's refusal: a tiny Stable Diffusion pipeline whose
tiny random safety checker flags every image (WISE_TEST_MODELS=1, as test_diffusers_worker.py).

    WISE_TEST_MODELS=1 python -m pytest -v workers/tests/test_safety_checker.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "diffusers_worker.py")
sys.path.insert(0, HERE)
from worker_client import pixels  # noqa: E402

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"


@unittest.skipUnless(ENABLED, "set WISE_TEST_MODELS=1 to run the model worker tests")
class SafetyCheckerTests(unittest.TestCase):
    def test_a_flagged_image_is_answered_as_a_refusal(self):
        from worker_client import WorkerProcess, python

        folder = tempfile.mkdtemp(prefix="wise-safety-test-")
        self.addCleanup(shutil.rmtree, folder, True)
        model = os.path.join(folder, "tiny-sd-flagging")
        subprocess.run([python(), os.path.join(HERE, "tiny_models.py"), "stable-diffusion-flagging", model],
                       check=True, timeout=300, stdout=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1"})
        worker = WorkerProcess(
            [python(), WORKER, "--model", model, "--threads", "1", "--steps", "2", "--width", "64", "--height", "64",
             "--name", "tiny-sd-flagging"],
            env={"OMP_NUM_THREADS": "1"}, stderr_path=os.path.join(folder, "worker.stderr"))
        self.addCleanup(worker.kill)
        ready = worker.next_message(120.0)
        self.assertTrue(ready.get("ready"), ready)
        output = os.path.join(folder, "images", "1.png")
        os.makedirs(os.path.dirname(output), exist_ok=True)
        worker.send({"id": "1", "prompt_id": 1, "sample_index": 0, "prompt": "a cat", "seed": 3, "width": 64,
                     "height": 64, "steps": 2, "guidance": 7.0, "output": output, "options": {}})
        reply = worker.replies(1, 120.0)["1"]
        # The image is written (black, as the pipeline returns it), and the reply says it is a refusal
        self.assertEqual(reply["status"], "ok", reply)
        self.assertIn("safety checker", reply["refused"])
        self.assertEqual(reply["metadata"]["safety_checker"], "flagged")
        mode, size, data = pixels(output)
        self.assertEqual((mode, size), ("RGB", (64, 64)))
        self.assertEqual(set(data), {0})


if __name__ == "__main__":
    unittest.main()
