#!/usr/bin/env python3
"""A wise worker for any diffusers text-to-image pipeline (protocol 1; see wise_protocol.py).

    python workers/diffusers_worker.py --model stabilityai/stable-diffusion-3.5-large \
        --dtype bfloat16 --device cuda --steps 28 --guidance 3.5 --batch 4

Every image gets a torch.Generator of its own seeded from its request, so an image depends
only on (model, settings, prompt, seed), never on which requests shared its batch.
Requests with equal settings (width, height, steps, guidance, options) that are queued together
are run as one pipeline call of up to --batch images. Batched float kernels are not batch-size
invariant (on CPU a 1-row matmul takes another path than a 2-row one, and oneDNN picks convolution
algorithms by shape; measured: about 1e-6 apart, enough to move some 8-bit pixels by one level), so
by default every call is padded to exactly --batch images with copies of its first request, whose
images are dropped: an image then depends on the batch size setting, which is recorded, but never on
which requests shared its call or their order. ``--batch-padding none`` runs short batches as they are
(faster at the tail of a run; pixels may then differ by a level between batch sizes).

Request options understood: ``negative_prompt`` (string) and ``pipeline_kwargs`` (an object
passed to the pipeline call as it is, e.g. {"max_sequence_length": 512}). Other keys are
ignored and named in the reply's metadata under ``ignored_options``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wise_protocol as wp  # noqa: E402

WORKER_NAME = "diffusers"
KNOWN_OPTIONS = {"negative_prompt", "pipeline_kwargs"}
# Pipeline arguments the worker sets from the request; pipeline_kwargs may not override them.
OWNED_ARGUMENTS = {"prompt", "negative_prompt", "generator", "num_images_per_prompt", "output_type",
                   "num_inference_steps", "guidance_scale", "width", "height", "latents",
                   "return_dict", "callback_on_step_end"}


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model id on the hub or a local folder")
    parser.add_argument("--revision", default=None)
    parser.add_argument("--variant", default=None, help="weights variant, e.g. fp16")
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--scheduler", default=None,
                        help="a diffusers scheduler class name, e.g. EulerDiscreteScheduler")
    parser.add_argument("--steps", type=int, default=None, help="default inference steps")
    parser.add_argument("--guidance", type=float, default=None, help="default guidance scale")
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--height", type=int, default=None)
    parser.add_argument("--batch", type=int, default=1, help="most images per pipeline call")
    parser.add_argument("--batch-padding", choices=["fixed", "none"], default="fixed",
                        help="fixed: every call has exactly --batch images (batch-invariant pixels)")
    parser.add_argument("--batch-wait", type=float, default=0.0,
                        help="seconds to wait for a batch to fill (default 0: take what is queued)")
    parser.add_argument("--generator-device", choices=["cpu", "device"], default="cpu",
                        help="where the per-image generators live (cpu: same noise on any card)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--offload", choices=["none", "model", "sequential"], default="none",
                        help="diffusers CPU offload, for models larger than the GPU")
    parser.add_argument("--local-files-only", action="store_true")
    parser.add_argument("--name", default=None, help="model name to report (default --model)")
    arguments = parser.parse_args(argv)
    if arguments.batch < 1:
        parser.error("--batch must be at least 1")
    return arguments


def call_defaults(pipeline) -> dict:
    """The pipeline's own defaults for the settings the protocol names."""
    parameters = inspect.signature(pipeline.__call__).parameters

    def default(name):
        parameter = parameters.get(name)
        if parameter is None or parameter.default is inspect.Parameter.empty:
            return None
        return parameter.default

    return {"steps": default("num_inference_steps"), "guidance": default("guidance_scale"),
            "accepts_negative_prompt": "negative_prompt" in parameters}


class DiffusersWorker:
    def __init__(self, arguments):
        self.arguments = arguments
        import torch
        if arguments.threads:
            torch.set_num_threads(arguments.threads)
        import diffusers

        self.torch = torch
        dtype = getattr(torch, arguments.dtype)
        started = time.monotonic()
        pipeline = diffusers.DiffusionPipeline.from_pretrained(
            arguments.model, torch_dtype=dtype, revision=arguments.revision,
            variant=arguments.variant, local_files_only=arguments.local_files_only)
        if arguments.scheduler:
            scheduler_class = getattr(diffusers, arguments.scheduler, None)
            if scheduler_class is None or not hasattr(scheduler_class, "from_config"):
                raise SystemExit(f"diffusers_worker: no scheduler class {arguments.scheduler!r}")
            pipeline.scheduler = scheduler_class.from_config(pipeline.scheduler.config)
        if arguments.offload == "model":
            pipeline.enable_model_cpu_offload(device=arguments.device)
        elif arguments.offload == "sequential":
            pipeline.enable_sequential_cpu_offload(device=arguments.device)
        else:
            pipeline = pipeline.to(arguments.device)
        if hasattr(pipeline, "set_progress_bar_config"):
            pipeline.set_progress_bar_config(disable=True)
        self.pipeline = pipeline
        self.load_seconds = time.monotonic() - started
        self.defaults = call_defaults(pipeline)
        self.call_parameters = {name for name, parameter in
                                inspect.signature(pipeline.__call__).parameters.items()
                                if parameter.kind not in (inspect.Parameter.VAR_KEYWORD,
                                                          inspect.Parameter.VAR_POSITIONAL)}
        self.generator_device = "cpu" if arguments.generator_device == "cpu" else arguments.device

    def metadata(self) -> dict:
        import diffusers
        import transformers
        torch = self.torch
        a = self.arguments
        return {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "diffusers": diffusers.__version__,
            "transformers": transformers.__version__,
            "cuda": torch.version.cuda,
            "device": a.device,
            "device_name": torch.cuda.get_device_name() if a.device.startswith("cuda") else platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(),
            "pipeline": type(self.pipeline).__name__,
            "dtype": a.dtype,
            "variant": a.variant,
            "revision": a.revision,
            "scheduler": type(self.pipeline.scheduler).__name__,
            "scheduler_config": _plain(dict(self.pipeline.scheduler.config)),
            "steps": a.steps if a.steps is not None else self.defaults["steps"],
            "guidance": a.guidance if a.guidance is not None else self.defaults["guidance"],
            "width": a.width,
            "height": a.height,
            "batch": a.batch,
            "batch_padding": a.batch_padding,
            "generator_device": self.generator_device,
            "offload": a.offload,
            "load_seconds": round(self.load_seconds, 3),
        }

    def settings(self, request: wp.Request) -> dict:
        a = self.arguments
        return {
            "steps": request.steps if request.steps is not None else a.steps,
            "guidance": request.guidance if request.guidance is not None else a.guidance,
            "width": request.width if request.width is not None else a.width,
            "height": request.height if request.height is not None else a.height,
        }

    def pipeline_kwargs(self, request: wp.Request, settings: dict) -> dict:
        kwargs = {}
        if settings["steps"] is not None:
            kwargs["num_inference_steps"] = settings["steps"]
        if settings["guidance"] is not None:
            kwargs["guidance_scale"] = settings["guidance"]
        if settings["width"] is not None:
            kwargs["width"] = settings["width"]
        if settings["height"] is not None:
            kwargs["height"] = settings["height"]
        extra = request.options.get("pipeline_kwargs") or {}
        if not isinstance(extra, dict):
            raise wp.BadRequest("option 'pipeline_kwargs' must be an object")
        owned = sorted(set(extra) & OWNED_ARGUMENTS)
        if owned:
            raise wp.BadRequest(f"pipeline_kwargs may not set {', '.join(owned)}: "
                                "use the request's own fields")
        unknown = sorted(set(extra) - self.call_parameters)
        if unknown:
            raise wp.BadRequest(f"{type(self.pipeline).__name__} takes no argument "
                                f"{', '.join(unknown)}")
        kwargs.update(extra)
        return kwargs

    def run_batch(self, batch: list) -> None:
        """Answers every request of the batch exactly once."""
        first = batch[0]
        try:
            settings = self.settings(first)
            kwargs = self.pipeline_kwargs(first, settings)
            negative = first.options.get("negative_prompt")
            if negative is not None and not isinstance(negative, str):
                raise wp.BadRequest("option 'negative_prompt' must be a string")
        except wp.BadRequest as error:
            for request in batch:
                self.channel.error(request.id, str(error))
            return
        try:
            images, flags, seconds = self.generate(batch, kwargs, negative)
        except Exception as error:
            if len(batch) == 1:
                self.channel.error(first.id, f"{type(error).__name__}: {error}")
                return
            print(f"diffusers_worker: batch of {len(batch)} failed ({type(error).__name__}: "
                  f"{wp.one_line(error)}); running its requests one by one", file=sys.stderr)
            for request in batch:
                self.run_batch([request])
            return
        ignored = sorted(set(first.options) - KNOWN_OPTIONS)
        for request, image, flagged in zip(batch, images, flags):
            try:
                wp.write_png_atomically(image, request.output)
            except Exception as error:
                self.channel.error(request.id, f"cannot write {request.output}: {error}")
                continue
            metadata = {
                "seed": request.seed,
                "steps": settings["steps"] if settings["steps"] is not None else self.defaults["steps"],
                "guidance": settings["guidance"] if settings["guidance"] is not None else self.defaults["guidance"],
                "width": image.width,
                "height": image.height,
                "scheduler": type(self.pipeline.scheduler).__name__,
                "dtype": self.arguments.dtype,
                "batch_size": len(batch),
                "call_batch": self.arguments.batch if self.arguments.batch_padding == "fixed" else len(batch),
                "batch_seconds": round(seconds, 6),
            }
            if negative is not None:
                metadata["negative_prompt"] = negative
            if first.options.get("pipeline_kwargs"):
                metadata["pipeline_kwargs"] = _plain(first.options["pipeline_kwargs"])
            if ignored:
                metadata["ignored_options"] = ignored
            refused = None
            if flagged:
                metadata["safety_checker"] = "flagged"
                refused = "the pipeline's safety checker flagged the image (it returns a blank one instead)"
            self.channel.ok(request, request.output, seconds / len(batch), metadata, refused=refused)

    def generate(self, batch: list, kwargs: dict, negative):
        torch = self.torch
        real = len(batch)
        if self.arguments.batch_padding == "fixed" and real < self.arguments.batch:
            batch = batch + [batch[0]] * (self.arguments.batch - real)
        generators = [torch.Generator(device=self.generator_device).manual_seed(r.seed) for r in batch]
        call = dict(kwargs)
        call["prompt"] = [r.prompt for r in batch]
        call["generator"] = generators
        call["num_images_per_prompt"] = 1
        call["output_type"] = "pil"
        if negative is not None:
            call["negative_prompt"] = [negative] * len(batch)
        started = time.monotonic()
        with torch.inference_mode():
            result = self.pipeline(**call)
        if self.arguments.device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = time.monotonic() - started
        images = list(result.images)
        if len(images) != len(batch):
            raise RuntimeError(f"pipeline returned {len(images)} images for {len(batch)} prompts")
        # Stable Diffusion 1.x/2.x pipelines say which images their safety checker replaced.
        flags = getattr(result, "nsfw_content_detected", None)
        if not isinstance(flags, (list, tuple)) or len(flags) != len(images):
            flags = [False] * len(images)
        return images[:real], [bool(f) for f in flags[:real]], seconds


def _plain(value):
    """Something json.dumps can write: tuples become lists, other objects their repr."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def main(argv=None) -> int:
    channel = wp.Channel.claim()
    arguments = parse_arguments(argv)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        worker = DiffusersWorker(arguments)
    except SystemExit:
        raise
    except Exception as error:
        print(f"diffusers_worker: cannot load {arguments.model}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    worker.channel = channel
    channel.ready(WORKER_NAME, arguments.name or arguments.model, worker.metadata())
    reader = wp.RequestReader(channel).start()   # after the ready line: no reply may precede it
    return wp.serve(channel, reader, arguments.batch, arguments.batch_wait, worker.run_batch)


if __name__ == "__main__":
    sys.exit(main())
