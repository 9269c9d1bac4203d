"""The transformers worker against tiny random-initialised Janus and Emu3 models built in code.

Needs torch and transformers (workers/requirements-test.txt); runs only with WISE_TEST_MODELS=1:

    WISE_TEST_MODELS=1 python -m pytest -v workers/tests
    WISE_TEST_MODELS=1 python -m unittest discover -v -s workers/tests

Both models (a 32x32 image each: 16 Janus tokens, a 4x4 Emu3 grid) are built once, each in a
child process of its own, and each is served by one worker process (one torch thread, float32 on
the CPU) for the whole of its test class; the tests of a class run in the order they are written
(pytest) or by name (unittest), and the last one closes the worker's stdin.
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
WORKER = os.path.join(os.path.dirname(HERE), "transformers_worker.py")
sys.path.insert(0, HERE)
from worker_client import digest, pixels, request  # noqa: E402  (stdlib only: safe without torch)

ENABLED = os.environ.get("WISE_TEST_MODELS") == "1"
REPLY_TIMEOUT = 60.0
# Four workers load side by side on a shared machine: on 2 busy cores (a Swift build beside them)
# the first ready line took over 60 s.
READY_TIMEOUT = 300.0
SIZE = 32
EMU3_AREA = SIZE * SIZE        # Emu3's processor forgets its image area on save: the worker is told

_state = {}


def worker_argv(model, *extra):
    from worker_client import python
    return [python(), WORKER, "--model", model, "--local-files-only", "--threads", "1",
            "--dtype", "float32", "--device", "cpu", *extra]


def setUpModule():
    if not ENABLED:
        raise unittest.SkipTest("set WISE_TEST_MODELS=1 to run the model worker tests")
    from worker_client import WorkerProcess, python

    folder = tempfile.mkdtemp(prefix="wise-transformers-test-")
    models = {kind: os.path.join(folder, f"tiny-{kind}")
              for kind in ("janus", "janus-converted", "emu3", "hunyuan-standin")}
    # trust_remote_code copies a checkpoint's code into this cache: keep it in the test's folder.
    modules = {"HF_MODULES_CACHE": os.path.join(folder, "modules")}
    started = time.monotonic()
    # Built side by side, each in a child process of its own, so this process need not import torch.
    builders = {kind: subprocess.Popen([python(), os.path.join(HERE, "tiny_models.py"), kind, path],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       env={**os.environ, "OMP_NUM_THREADS": "1", **modules})
                for kind, path in models.items()}
    for kind, builder in builders.items():
        _, stderr = builder.communicate(timeout=300)
        if builder.returncode != 0:
            raise RuntimeError(f"building tiny {kind} failed: {stderr.decode(errors='replace')[-2000:]}")
    built = time.monotonic()
    workers = {
        "janus": WorkerProcess(worker_argv(models["janus"], "--name", "tiny-janus"),
                               env={"OMP_NUM_THREADS": "1"},
                               stderr_path=os.path.join(folder, "janus.stderr")),
        "janus-converted": WorkerProcess(worker_argv(models["janus-converted"], "--name", "tiny-janus-converted"),
                                         env={"OMP_NUM_THREADS": "1"},
                                         stderr_path=os.path.join(folder, "janus-converted.stderr")),
        "emu3": WorkerProcess(worker_argv(models["emu3"], "--name", "tiny-emu3",
                                          "--image-area", str(EMU3_AREA)),
                              env={"OMP_NUM_THREADS": "1"},
                              stderr_path=os.path.join(folder, "emu3.stderr")),
        "hunyuan": WorkerProcess(worker_argv(models["hunyuan-standin"], "--name", "tiny-hunyuan",
                                             "--trust-remote-code", "--moe-impl", "eager"),
                                 env={"OMP_NUM_THREADS": "1", **modules},
                                 stderr_path=os.path.join(folder, "hunyuan.stderr")),
    }
    _state.update(folder=folder, models=models, workers=workers, started=started, built=built)


def tearDownModule():
    for worker in _state.get("workers", {}).values():
        worker.kill()
    if _state.get("folder") and os.environ.get("WISE_TEST_KEEP") != "1":
        shutil.rmtree(_state["folder"], ignore_errors=True)


class WorkerChecks:
    """What both families share; each test class names its worker and its own numbered tests."""

    family = ""
    key = ""        # which tiny model and worker: the family's name unless a class sets another

    @property
    def name(self):
        return self.key or self.family

    @property
    def worker(self):
        return _state["workers"][self.name]

    def out(self, name):
        return os.path.join(_state["folder"], f"images-{self.name}", name)

    def generate(self, *requests):
        self.worker.send(*requests)
        replies = self.worker.replies(len(requests), REPLY_TIMEOUT)
        self.assertEqual(set(replies), {r["id"] for r in requests})
        return replies

    def assert_ok(self, reply, path):
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual(reply["path"], path)
        self.assertIsInstance(reply["seconds"], float)
        self.assertEqual(pixels(path)[:2], ("RGB", (SIZE, SIZE)))

    def assert_error(self, reply, *words):
        self.assertEqual(reply["status"], "error", reply)
        self.assertNotIn("\n", reply["error"])
        for word in words:
            self.assertIn(word, reply["error"])

    def check_ready_line(self, model_class, guidance):
        started = time.monotonic()
        ready = self.worker.next_message(READY_TIMEOUT)
        waited = time.monotonic() - started
        self.assertEqual((ready["ready"], ready["protocol"]), (True, 1))
        self.assertEqual(ready["worker"], "transformers")
        self.assertEqual(ready["model"], f"tiny-{self.name}")
        metadata = ready["metadata"]
        for key in ("python", "torch", "transformers", "device", "revision", "seeding", "load_seconds"):
            self.assertIn(key, metadata)
        self.assertEqual(metadata["family"], self.family)
        self.assertEqual(metadata["model_class"], model_class)
        self.assertEqual((metadata["dtype"], metadata["device"], metadata["threads"]), ("float32", "cpu", 1))
        self.assertEqual((metadata["width"], metadata["height"]), (SIZE, SIZE))
        self.assertEqual((metadata["guidance"], metadata["temperature"]), (guidance, 1.0))
        print(f"\n  {self.name}: models built in {_state['built'] - _state['started']:.1f} s; worker "
              f"ready {time.monotonic() - _state['built']:.1f} s after start (waited {waited:.1f} s here)",
              file=sys.stderr)
        return metadata

    def check_image_of_the_model_size(self, guidance):
        # Given a worker that has said it makes 32x32 images
        # When one request leaves the size unset and another names the model's own size
        a, b = self.out("1.png"), self.out("1-sized.png")
        replies = self.generate(request("a1", "a red cat and the sea", 1001, a))
        replies.update(self.generate(request("a1-sized", "a red cat and the sea", 1001, b,
                                             width=SIZE, height=SIZE)))
        # Then both are 32x32 PNGs at their declared paths, and naming the size changes nothing
        self.assert_ok(replies["a1"], a)
        self.assert_ok(replies["a1-sized"], b)
        self.assertEqual(digest(a), digest(b))
        metadata = replies["a1"]["metadata"]
        self.assertEqual((metadata["seed"], metadata["guidance"], metadata["temperature"]),
                         (1001, guidance, 1.0))
        self.assertEqual((metadata["width"], metadata["height"]), (SIZE, SIZE))
        self.assertEqual((metadata["family"], metadata["dtype"]), (self.family, "float32"))
        self.assertNotIn("ignored_options", metadata)
        with open(a, "rb") as handle:
            self.assertEqual(handle.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(sorted(os.listdir(os.path.dirname(a))), ["1-sized.png", "1.png"],
                         "a temporary file was left beside the images")
        print(f"\n  {self.name}: one {SIZE}x{SIZE} image: {replies['a1']['seconds']:.3f} s",
              file=sys.stderr)
        return metadata

    def check_seeds(self):
        # Given the image that seed 1001 made for a prompt
        first = self.out("1.png")
        # When the same prompt is asked again with the same seed, and then with another seed
        again, other = self.out("1-again.png"), self.out("1-other-seed.png")
        replies = self.generate(request("a2", "a red cat and the sea", 1001, again))
        replies.update(self.generate(request("a3", "a red cat and the sea", 1003, other)))
        self.assert_ok(replies["a2"], again)
        self.assert_ok(replies["a3"], other)
        # Then the same seed gives the same bytes and the other seed another image
        self.assertEqual(digest(again), digest(first))
        self.assertNotEqual(digest(other), digest(first))

    def check_temperature_and_guidance_reach_the_sampler(self, guidance):
        # Given the image that seed 1001 made at the defaults (temperature 1, the family's guidance)
        first = self.out("1.png")
        # When the same seed is asked at another temperature, and at another guidance
        cool, guided = self.out("cool.png"), self.out("guided.png")
        replies = self.generate(request("t1", "a red cat and the sea", 1001, cool,
                                        options={"temperature": 0.5, "other": 1}),
                                request("g1", "a red cat and the sea", 1001, guided, guidance=guidance))
        self.assert_ok(replies["t1"], cool)
        self.assert_ok(replies["g1"], guided)
        # Then each is recorded and each changes the image; an unknown option is named, not used
        self.assertEqual(replies["t1"]["metadata"]["temperature"], 0.5)
        self.assertEqual(replies["t1"]["metadata"]["ignored_options"], ["other"])
        self.assertEqual(replies["g1"]["metadata"]["guidance"], guidance)
        self.assertNotEqual(digest(cool), digest(first))
        self.assertNotEqual(digest(guided), digest(first))

    def check_refusals_and_serving_on(self):
        # Given requests the model cannot honour: steps, another size, bad temperatures
        x = self.out("refused.png")
        requests = [request("steps", "p", 1, x, steps=2),
                    request("width", "p", 1, x, width=2 * SIZE),
                    request("height", "p", 1, x, width=SIZE, height=SIZE + 8),
                    request("temp-string", "p", 1, x, options={"temperature": "hot"}),
                    request("temp-zero", "p", 1, x, options={"temperature": 0}),
                    request("temp-negative", "p", 1, x, options={"temperature": -1.5}),
                    request("temp-bool", "p", 1, x, options={"temperature": True})]
        # When they are sent together, followed by a good one
        good = self.out("after-refusals.png")
        replies = self.generate(*requests, request("after", "a red cat and the sea", 1001, good))
        # Then each gets a one-line error that says what is wrong, and nothing is written
        self.assert_error(replies["steps"], "steps", "null")
        self.assert_error(replies["width"], f"{SIZE}x{SIZE}", f"{2 * SIZE}xNone")
        self.assert_error(replies["height"], f"{SIZE}x{SIZE}", f"{SIZE}x{SIZE + 8}")
        for rid in ("temp-string", "temp-zero", "temp-negative", "temp-bool"):
            self.assert_error(replies[rid], "temperature", "positive")
        self.assertFalse(os.path.exists(x))
        # And the worker keeps serving: the good request makes the same image as before
        self.assert_ok(replies["after"], good)
        self.assertEqual(digest(good), digest(self.out("1.png")))

    def check_eof(self):
        # Given a request in flight
        path = self.out("last.png")
        self.worker.send(request("last", "a red cat and the sea", 1001, path))
        started = time.monotonic()
        # When stdin closes
        status = self.worker.close_stdin_and_wait(REPLY_TIMEOUT)
        # Then the worker answers it, prints nothing more and exits 0
        self.assertEqual(status, 0)
        reply = self.worker.next_message(1)
        self.assertEqual((reply["id"], reply["status"]), ("last", "ok"))
        self.assertEqual(digest(path), digest(self.out("1.png")))
        self.assertIsNone(self.worker.lines.get(timeout=5), "more output after the last reply")
        print(f"\n  {self.name}: exit after EOF: {time.monotonic() - started:.2f} s", file=sys.stderr)


class JanusWorkerTests(WorkerChecks, unittest.TestCase):
    family = "janus"

    def test_1_ready_line(self):
        metadata = self.check_ready_line("JanusForConditionalGeneration", 5.0)
        self.assertEqual(metadata["boi_token_id_from"], "generation_kwargs")

    def test_2_image_of_the_model_size(self):
        metadata = self.check_image_of_the_model_size(5.0)
        self.assertEqual(metadata["image_tokens"], (SIZE // 8) ** 2)

    def test_3_same_seed_same_bytes_other_seed_other_image(self):
        self.check_seeds()

    def test_4_temperature_and_guidance_reach_the_sampler(self):
        self.check_temperature_and_guidance_reach_the_sampler(2.0)

    def test_5_refusals_and_the_worker_keeps_serving(self):
        self.check_refusals_and_serving_on()

    def test_6_guidance_of_1_or_less_is_refused(self):
        # Given Janus, whose image loop in transformers has no path without classifier-free guidance
        # When requests ask for guidance 1 and 0.5
        x = self.out("refused.png")
        replies = self.generate(request("g-one", "p", 1, x, guidance=1.0),
                                request("g-half", "p", 1, x, guidance=0.5))
        # Then both are refused up front with a reason, and nothing is written
        self.assert_error(replies["g-one"], "guidance", "above 1", "1.0")
        self.assert_error(replies["g-half"], "guidance", "above 1", "0.5")
        self.assertFalse(os.path.exists(x))

    def test_7_eof_finishes_in_flight_work_and_exits_0(self):
        self.check_eof()


class JanusConvertedWorkerTests(WorkerChecks, unittest.TestCase):
    """A Janus as transformers' convert_janus_weights_to_hf.py saves one (how Janus-1.3B reaches this
    format), in the shape family of Janus-1.3B and Janus-Pro-1B (multi-head attention)."""

    family = "janus"
    key = "janus-converted"

    def test_1_ready_line_says_where_the_begin_of_image_token_came_from(self):
        # Given a checkpoint whose generation config holds boi_token_id where the converter puts it
        # (before the worker read it there, the first image failed: 'GenerationConfig' object has
        # no attribute 'generation_kwargs')
        # When the worker is ready
        metadata = self.check_ready_line("JanusForConditionalGeneration", 5.0)
        # Then it says it took the token from there
        self.assertEqual(metadata["boi_token_id_from"], "generation_config.boi_token_id")

    def test_2_image_of_the_model_size(self):
        metadata = self.check_image_of_the_model_size(5.0)
        self.assertEqual(metadata["image_tokens"], (SIZE // 8) ** 2)

    def test_3_same_seed_same_bytes_other_seed_other_image(self):
        self.check_seeds()

    def test_4_eof_finishes_in_flight_work_and_exits_0(self):
        self.check_eof()


class Emu3WorkerTests(WorkerChecks, unittest.TestCase):
    family = "emu3"

    def test_1_ready_line(self):
        self.check_ready_line("Emu3ForConditionalGeneration", 3.0)

    def test_2_image_of_the_model_size(self):
        metadata = self.check_image_of_the_model_size(3.0)
        self.assertEqual(metadata["token_grid"], [SIZE // 8, SIZE // 8])
        self.assertIn("lowres", metadata["negative_prompt"])   # the worker's default

    def test_3_same_seed_same_bytes_other_seed_other_image(self):
        self.check_seeds()

    def test_4_temperature_and_guidance_reach_the_sampler(self):
        self.check_temperature_and_guidance_reach_the_sampler(1.0)   # 1: no CFG at all

    def test_5_negative_prompt(self):
        # Given the image that seed 1001 made with the default negative prompt
        # When the same seed is asked with a negative prompt of the request's own, and with a bad one
        path, bad = self.out("negative.png"), self.out("bad-negative.png")
        replies = self.generate(
            request("n1", "a red cat and the sea", 1001, path, options={"negative_prompt": "blurry"}),
            request("n2", "a red cat and the sea", 1001, bad, options={"negative_prompt": ["blurry"]}))
        # Then the first is recorded and changes the image; the second is refused
        self.assert_ok(replies["n1"], path)
        self.assertEqual(replies["n1"]["metadata"]["negative_prompt"], "blurry")
        self.assertNotEqual(digest(path), digest(self.out("1.png")))
        self.assert_error(replies["n2"], "negative_prompt", "string")
        self.assertFalse(os.path.exists(bad))

    def test_6_refusals_and_the_worker_keeps_serving(self):
        self.check_refusals_and_serving_on()

    def test_7_eof_finishes_in_flight_work_and_exits_0(self):
        self.check_eof()


class HunyuanWorkerTests(WorkerChecks, unittest.TestCase):
    """HunyuanImage-3.0 through the worker, its own code replaced at the import boundary by wise's
    stand-in (hunyuan_standin/: same class names, loading path and generate_image signature), since
    the real code cannot run on a CPU. The folder is laid out like the real checkpoint and loaded
    with AutoModelForCausalLM and trust_remote_code; its presets are 32x32, 32x48 and 48x32."""

    family = "hunyuan"

    def test_1_ready_line(self):
        # Given the worker started with --trust-remote-code --moe-impl eager
        ready = self.worker.next_message(READY_TIMEOUT)
        # When it is ready, its line names the model's own class and the load settings
        self.assertEqual((ready["ready"], ready["worker"], ready["model"]), (True, "transformers", "tiny-hunyuan"))
        metadata = ready["metadata"]
        self.assertEqual((metadata["family"], metadata["model_class"]), ("hunyuan", "HunyuanImage3ForCausalMM"))
        self.assertEqual((metadata["trust_remote_code"], metadata["moe_impl"], metadata["device_map"]),
                         (True, "eager", None))
        # Then the size is per request, and the seeding says how the seed reaches the model
        self.assertEqual((metadata["width"], metadata["height"]), (None, None))
        self.assertIn("generate_image(seed=seed)", metadata["seeding"])

    def test_2_image_of_the_asked_size_and_seeds(self):
        # Given requests for a preset size: a seed twice, another seed once
        a, again, other = self.out("1.png"), self.out("1-again.png"), self.out("1-other-seed.png")
        replies = self.generate(request("h1", "a red cat and the sea", 1001, a, width=SIZE, height=SIZE))
        replies.update(self.generate(request("h2", "a red cat and the sea", 1001, again, width=SIZE, height=SIZE),
                                     request("h3", "a red cat and the sea", 1003, other, width=SIZE, height=SIZE)))
        # Then each is a PNG of that size; the same seed gives the same bytes, another seed another image
        for rid, path in (("h1", a), ("h2", again), ("h3", other)):
            self.assert_ok(replies[rid], path)
        self.assertEqual(digest(again), digest(a))
        self.assertNotEqual(digest(other), digest(a))
        # And the reply records the size asked ("HxW"), the checkpoint's steps and guidance, the task
        metadata = replies["h1"]["metadata"]
        self.assertEqual((metadata["image_size"], metadata["steps"], metadata["guidance"]), ("32x32", 4, 5.0))
        self.assertEqual((metadata["bot_task"], metadata["use_system_prompt"]), ("image", "None"))
        self.assertNotIn("ignored_options", metadata)

    def test_3_steps_guidance_and_options_reach_the_model(self):
        # Given the image seed 1001 made at the checkpoint's settings
        first = self.out("1.png")
        # When the same seed is asked with other steps, another guidance, and another bot task
        steps, guided, task = self.out("steps.png"), self.out("guided.png"), self.out("task.png")
        replies = self.generate(
            request("s", "a red cat and the sea", 1001, steps, width=SIZE, height=SIZE, steps=2),
            request("g", "a red cat and the sea", 1001, guided, width=SIZE, height=SIZE, guidance=1.5),
            request("t", "a red cat and the sea", 1001, task, width=SIZE, height=SIZE,
                    options={"bot_task": "recaption", "other": 1}))
        # Then each is recorded and changes the image; an unknown option is named, not used
        self.assertEqual(replies["s"]["metadata"]["steps"], 2)
        self.assertEqual(replies["g"]["metadata"]["guidance"], 1.5)
        self.assertEqual(replies["t"]["metadata"]["bot_task"], "recaption")
        self.assertEqual(replies["t"]["metadata"]["ignored_options"], ["other"])
        for path in (steps, guided, task):
            self.assertNotEqual(digest(path), digest(first))

    def test_4_null_size_is_the_models_choice_and_reproduces(self):
        # Given requests that leave the size to the model ("auto": it draws a preset)
        a, b = self.out("auto.png"), self.out("auto-again.png")
        replies = self.generate(request("auto1", "a red cat and the sea", 7, a))
        replies.update(self.generate(request("auto2", "a red cat and the sea", 7, b)))
        # Then the reply records the size made, and the same seed makes the same choice and bytes
        metadata = replies["auto1"]["metadata"]
        self.assertEqual(metadata["image_size"], "auto")
        self.assertIn([metadata["height"], metadata["width"]], [[32, 32], [48, 32], [32, 48]])
        self.assertEqual(pixels(a)[1], (metadata["width"], metadata["height"]))
        self.assertEqual(digest(a), digest(b))

    def test_5_refusals_and_the_worker_keeps_serving(self):
        # Given requests the worker must refuse: a size the model would change, half a size, no
        # steps, load settings it was not started with, an option of the wrong type
        x = self.out("refused.png")
        good = self.out("after-refusals.png")
        replies = self.generate(
            request("snap", "p", 1, x, width=40, height=40),
            request("half", "p", 1, x, width=SIZE),
            request("steps", "p", 1, x, width=SIZE, height=SIZE, steps=0),
            request("map", "p", 1, x, width=SIZE, height=SIZE, options={"device_map": "auto"}),
            request("moe", "p", 1, x, width=SIZE, height=SIZE, options={"moe_impl": "flashinfer"}),
            request("task", "p", 1, x, width=SIZE, height=SIZE, options={"bot_task": 3}),
            # What the registry sends, matching how the worker was started: accepted
            request("after", "a red cat and the sea", 1001, good, width=SIZE, height=SIZE,
                    options={"trust_remote_code": True, "moe_impl": "eager", "attn_implementation": None}))
        # Then each refusal is one line saying what to do, and nothing is written
        self.assert_error(replies["snap"], "32x32 for 40x40", "preset")
        self.assert_error(replies["half"], "both width and height")
        self.assert_error(replies["steps"], "steps", "positive")      # the protocol's own check
        self.assert_error(replies["map"], "device_map", "--device-map auto")
        self.assert_error(replies["moe"], "moe_impl", "--moe-impl flashinfer")
        self.assert_error(replies["task"], "bot_task", "string")
        self.assertFalse(os.path.exists(x))
        # And the worker keeps serving: the good request makes the same image as before
        self.assert_ok(replies["after"], good)
        self.assertEqual(digest(good), digest(self.out("1.png")))
        self.assertNotIn("ignored_options", replies["after"]["metadata"])

    def test_6_eof_finishes_in_flight_work_and_exits_0(self):
        path = self.out("last.png")
        self.worker.send(request("last", "a red cat and the sea", 1001, path, width=SIZE, height=SIZE))
        self.assertEqual(self.worker.close_stdin_and_wait(REPLY_TIMEOUT), 0)
        reply = self.worker.next_message(1)
        self.assertEqual((reply["id"], reply["status"]), ("last", "ok"))
        self.assertEqual(digest(path), digest(self.out("1.png")))


class StartRefusalTests(unittest.TestCase):
    def start_and_fail(self, name, argv, env=None):
        from worker_client import WorkerProcess
        stderr_path = os.path.join(_state["folder"], f"{name}.stderr")
        worker = WorkerProcess(argv, env={"OMP_NUM_THREADS": "1", **(env or {})}, stderr_path=stderr_path)
        try:
            status = worker.close_stdin_and_wait(REPLY_TIMEOUT)
            self.assertIsNone(worker.lines.get(timeout=5), "a refused worker printed on stdout")
            worker.process.stdout.close()       # its reader has seen EOF
        finally:
            worker.kill()
        with open(stderr_path, encoding="utf-8", errors="replace") as handle:
            lines = [line for line in handle.read().splitlines() if line.startswith("transformers_worker:")]
        return status, lines

    def test_a_model_type_that_is_not_janus_or_emu3(self):
        # Given a checkpoint whose config says it is a Llama (no weights: the worker reads the config first)
        folder = os.path.join(_state["folder"], "tiny-llama")
        os.makedirs(folder)
        with open(os.path.join(folder, "config.json"), "w") as handle:
            json.dump({"model_type": "llama", "vocab_size": 64, "hidden_size": 32,
                       "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4}, handle)
        # When the worker starts on it
        status, lines = self.start_and_fail("llama", worker_argv(folder))
        # Then it exits non-zero without a ready line, saying so on one line that names the families
        self.assertNotEqual(status, 0)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("'llama'", lines[0])
        self.assertIn("supported: janus, emu3", lines[0])
        self.assertIn("--trust-remote-code", lines[0])

    def test_hunyuan_without_trust_remote_code_runs_none_of_its_code(self):
        # Given a checkpoint that brings its own modelling code, and an empty module cache
        cache = os.path.join(_state["folder"], "modules-refused")
        # When the worker starts on it without --trust-remote-code
        status, lines = self.start_and_fail(
            "hunyuan-untrusted", worker_argv(_state["models"]["hunyuan-standin"]), {"HF_MODULES_CACHE": cache})
        # Then it refuses on one line naming the flag, having read only config.json: the model's
        # code was never copied into the module cache (trust_remote_code copies it before import)
        self.assertNotEqual(status, 0)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--trust-remote-code", lines[0])
        copied = [name for _, _, names in os.walk(cache) for name in names if name.endswith(".py")]
        self.assertNotIn("hunyuan.py", copied)

    def test_moe_impl_for_janus(self):
        status, lines = self.start_and_fail(
            "janus-moe", worker_argv(_state["models"]["janus"], "--moe-impl", "eager"))
        self.assertNotEqual(status, 0)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--moe-impl is for HunyuanImage-3.0 only", lines[0])

    def test_an_image_area_for_janus(self):
        # Given the tiny Janus, which makes one size only
        # When the worker is started on it with an Emu3 image area
        status, lines = self.start_and_fail(
            "janus-area", worker_argv(_state["models"]["janus"], "--image-area", "4096"))
        # Then it refuses at start, on one line
        self.assertNotEqual(status, 0)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--image-area is for Emu3 only", lines[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
