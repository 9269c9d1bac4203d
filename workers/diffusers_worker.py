#!/usr/bin/env python3
"""A wise worker for any diffusers text-to-image pipeline (protocol 1; see wise_protocol.py).

    python workers/diffusers_worker.py --model stabilityai/stable-diffusion-3.5-large \
        --dtype bfloat16 --device cuda --steps 28 --guidance 3.5 --batch 4

Every image gets a torch.Generator of its own seeded from its request, so an image depends
only on (model, settings, prompt, seed), never on which requests shared its batch. A pipeline of
the model's own code (--trust-remote-code) whose call takes seed= and no generator, as DeepGen
1.0's, gets one call per image with that image's seed; one that takes neither is refused.
Requests with equal settings (width, height, steps, guidance, options) that are queued together
are run as one pipeline call of up to --batch images. Batched float kernels are not batch-size
invariant (on CPU a 1-row matmul takes another path than a 2-row one, and oneDNN picks convolution
algorithms by shape; measured: about 1e-6 apart, enough to move some 8-bit pixels by one level), so
by default every call is padded to exactly --batch images with copies of its first request, whose
images are dropped: an image then depends on the batch size setting, which is recorded, but never on
which requests shared its call or their order. ``--batch-padding none`` runs short batches as they are
(faster at the tail of a run; pixels may then differ by a level between batch sizes).

Request options understood (anything else gets an error reply, so no option is dropped unseen):

- ``negative_prompt`` (string): for pipelines whose call takes one (Stable Diffusion, Qwen-Image,
  Z-Image, LongCat-Image); FLUX.2 takes none, so asking for one there is an error.
- ``guidance_kind``: the call argument the request's guidance goes to, ``guidance_scale`` (the
  default), ``true_cfg_scale`` (Qwen-Image: real CFG, which needs a negative prompt; an empty one
  is " ") or ``distilled_guidance_scale`` (HunyuanImage 2.1).
- ``max_sequence_length`` (integer): the text encoder's token budget, where the call takes one.
- ``trust_remote_code`` (boolean): the model's own pipeline code must be loaded; that happens at
  start, so the worker must be started with ``--trust-remote-code`` (a request saying true to a
  worker started without it gets an error).
- ``pipeline_kwargs`` (object): other arguments of the pipeline's call, passed as they are, e.g.
  {"enable_cfg_renorm": true}; names the call does not take, or that the fields above own, are errors.

Sizes must be multiples of what the pipeline's latents need (8 for Stable Diffusion; 16 for the
packed-latent FLUX.2, Qwen-Image, Z-Image and LongCat-Image pipelines): another size is an error,
never an image silently cropped or resized. A step-distilled FLUX.2-klein refuses guidance above 1,
which it would ignore. Every reply records the arguments the pipeline was called with (``call``).
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
KNOWN_OPTIONS = {"negative_prompt", "pipeline_kwargs", "guidance_kind", "max_sequence_length",
                 "trust_remote_code"}
# The call arguments a request's guidance may go to (option guidance_kind), the first the default.
GUIDANCE_KINDS = ("guidance_scale", "true_cfg_scale", "distilled_guidance_scale")
# Pipeline arguments the worker sets from the request; pipeline_kwargs may not override them.
OWNED_ARGUMENTS = {"prompt", "negative_prompt", "generator", "num_images_per_prompt", "output_type",
                   "num_inference_steps", "width", "height", "latents", "max_sequence_length",
                   "return_dict", "callback_on_step_end", "seed", *GUIDANCE_KINDS}


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
    parser.add_argument("--trust-remote-code", action="store_true",
                        help="run the pipeline code the model's repository ships (e.g. DeepGen 1.0)")
    parser.add_argument("--name", default=None, help="model name to report (default --model)")
    arguments = parser.parse_args(argv)
    if arguments.batch < 1:
        parser.error("--batch must be at least 1")
    return arguments


def call_defaults(pipeline) -> dict:
    """The pipeline's own defaults for the settings the protocol names, guidance by kind."""
    parameters = inspect.signature(pipeline.__call__).parameters

    def default(name):
        parameter = parameters.get(name)
        if parameter is None or parameter.default is inspect.Parameter.empty:
            return None
        return parameter.default

    return {"steps": default("num_inference_steps"), "guidance": default("guidance_scale"),
            "guidance_by_kind": {kind: default(kind) for kind in GUIDANCE_KINDS}}


def size_multiple(pipeline) -> int:
    """What width and height must be multiples of: the pipeline's image processor's scale factor
    (the VAE's downsampling, times 2 where latents are packed in 2x2 patches), and at least 8,
    which the Stable Diffusion pipelines ask of any VAE."""
    processor = getattr(pipeline, "image_processor", None)
    factor = getattr(getattr(processor, "config", None), "vae_scale_factor", None)
    return max(8, factor) if isinstance(factor, int) and factor > 0 else 8


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
            variant=arguments.variant, local_files_only=arguments.local_files_only,
            trust_remote_code=arguments.trust_remote_code)
        if arguments.scheduler:
            scheduler_class = getattr(diffusers, arguments.scheduler, None)
            if scheduler_class is None or not hasattr(scheduler_class, "from_config"):
                raise SystemExit(f"diffusers_worker: no scheduler class {arguments.scheduler!r}")
            if getattr(pipeline, "scheduler", None) is None:
                raise SystemExit(f"diffusers_worker: {type(pipeline).__name__} has no scheduler to "
                                 "replace; drop --scheduler")
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
        # How images are seeded: a torch.Generator per image, or, for pipelines whose own code takes
        # seed= instead (DeepGen 1.0's), one call per image with its seed.
        self.seeding = ("generator" if "generator" in self.call_parameters else
                        "seed" if "seed" in self.call_parameters else None)
        self.size_multiple = size_multiple(pipeline)
        # A step-distilled FLUX.2-klein says so in its config; it ignores guidance.
        self.distilled = bool(getattr(pipeline, "config", {}).get("is_distilled", False))
        # Qwen-Image's guidance_scale acts only on a guidance-distilled transformer (guidance_embeds).
        transformer_config = getattr(getattr(pipeline, "transformer", None), "config", {})
        self.guidance_embedded = bool(transformer_config.get("guidance_embeds", False))

    def scheduler(self):
        """The pipeline's scheduler, or None for a pipeline of its own code that has none."""
        return getattr(self.pipeline, "scheduler", None)

    def scheduler_name(self):
        return type(self.scheduler()).__name__ if self.scheduler() is not None else None

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
            "scheduler": self.scheduler_name(),
            "scheduler_config": _plain(dict(getattr(self.scheduler(), "config", None) or {})),
            "steps": a.steps if a.steps is not None else self.defaults["steps"],
            "guidance": a.guidance if a.guidance is not None else self.defaults["guidance"],
            "width": a.width,
            "height": a.height,
            "batch": a.batch,
            "batch_padding": a.batch_padding,
            "generator_device": self.generator_device,
            "seeding": self.seeding,
            "offload": a.offload,
            "size_multiple": self.size_multiple,
            "trust_remote_code": a.trust_remote_code,
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

    def call_arguments(self, request: wp.Request, settings: dict):
        """The pipeline call's arguments (besides prompts and generators) for a request's settings
        and options, its negative prompt, its guidance kind and the guidance in effect (the
        request's, else the pipeline's default for that kind); a wp.BadRequest names any option or
        size this pipeline cannot take."""
        name = type(self.pipeline).__name__
        options = request.options
        if self.seeding is None:
            raise wp.BadRequest(f"{name}'s call takes neither generator nor seed, so the worker "
                                "cannot seed its images; it runs no request")
        unknown = sorted(set(options) - KNOWN_OPTIONS)
        if unknown:
            raise wp.BadRequest(f"the diffusers worker has no option {', '.join(unknown)} "
                                f"(it knows {', '.join(sorted(KNOWN_OPTIONS))})")
        remote = options.get("trust_remote_code", False)
        if not isinstance(remote, bool):
            raise wp.BadRequest("option 'trust_remote_code' must be true or false")
        if remote and not self.arguments.trust_remote_code:
            raise wp.BadRequest("option trust_remote_code is true but this worker was started without "
                                "--trust-remote-code; the pipeline code is loaded at start: restart "
                                "the worker with --trust-remote-code")
        kind = options.get("guidance_kind", GUIDANCE_KINDS[0])
        if kind not in GUIDANCE_KINDS:
            raise wp.BadRequest(f"option guidance_kind {kind!r} is not one of {', '.join(GUIDANCE_KINDS)}")
        kwargs = {}
        if settings["steps"] is not None:
            kwargs["num_inference_steps"] = settings["steps"]
        if settings["guidance"] is not None:
            if kind not in self.call_parameters:
                takes = [k for k in GUIDANCE_KINDS if k in self.call_parameters]
                hint = f"; set option guidance_kind to {' or '.join(takes)}" if takes else ""
                raise wp.BadRequest(f"{name} takes no {kind}{hint}")
            if self.distilled and kind == "guidance_scale" and settings["guidance"] > 1:
                raise wp.BadRequest(f"{name} here is step-distilled (is_distilled in its config) and "
                                    f"would ignore guidance {settings['guidance']:g}; ask for guidance 1")
            if (kind == "guidance_scale" and "true_cfg_scale" in self.call_parameters
                    and not self.guidance_embedded):
                raise wp.BadRequest(f"{name}'s transformer has no guidance embedding, so it would ignore "
                                    "guidance_scale; set option guidance_kind to true_cfg_scale")
            kwargs[kind] = settings["guidance"]
        for side in ("width", "height"):
            size = settings[side]
            if size is None:
                continue
            if size % self.size_multiple:
                lower = size - size % self.size_multiple
                nearest = " or ".join(str(n) for n in (lower, lower + self.size_multiple) if n > 0)
                raise wp.BadRequest(f"{side} {size} is not a multiple of {self.size_multiple}, which "
                                    f"{name} needs (it would change the size): ask for {nearest}")
            kwargs[side] = size
        negative = options.get("negative_prompt")
        if negative is not None:
            if not isinstance(negative, str):
                raise wp.BadRequest("option 'negative_prompt' must be a string")
            if "negative_prompt" not in self.call_parameters:
                raise wp.BadRequest(f"{name} takes no negative prompt; drop option negative_prompt")
        guidance = settings["guidance"]
        if guidance is None:
            guidance = self.defaults["guidance_by_kind"].get(kind)
        if kind == "true_cfg_scale" and negative is None and (guidance or 0) > 1:
            raise wp.BadRequest(f"{name} runs true_cfg_scale {guidance:g} only with a "
                                "negative prompt (without one it silently skips guidance); set option "
                                "negative_prompt, \" \" for an empty one")
        length = options.get("max_sequence_length")
        if length is not None:
            if isinstance(length, bool) or not isinstance(length, int) or length < 1:
                raise wp.BadRequest("option 'max_sequence_length' must be a positive integer")
            if "max_sequence_length" not in self.call_parameters:
                raise wp.BadRequest(f"{name} takes no max_sequence_length (its text length is fixed); "
                                    "drop the option")
            kwargs["max_sequence_length"] = length
        extra = options.get("pipeline_kwargs") or {}
        if not isinstance(extra, dict):
            raise wp.BadRequest("option 'pipeline_kwargs' must be an object")
        owned = sorted(set(extra) & OWNED_ARGUMENTS)
        if owned:
            raise wp.BadRequest(f"pipeline_kwargs may not set {', '.join(owned)}: "
                                "use the request's own fields or the worker's options")
        unknown = sorted(set(extra) - self.call_parameters)
        if unknown:
            raise wp.BadRequest(f"{name} takes no argument {', '.join(unknown)}")
        kwargs.update(extra)
        return kwargs, negative, kind, guidance

    def run_batch(self, batch: list) -> None:
        """Answers every request of the batch exactly once."""
        first = batch[0]
        try:
            settings = self.settings(first)
            kwargs, negative, kind, guidance = self.call_arguments(first, settings)
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
        expected = (settings["width"], settings["height"])
        wrong = [image.size for image in images if None not in expected and image.size != expected]
        if wrong:
            for request in batch:
                self.channel.error(request.id, f"{type(self.pipeline).__name__} made a {wrong[0][0]}x"
                                   f"{wrong[0][1]} image for {expected[0]}x{expected[1]}; not written")
            return
        call = _plain({**kwargs, **({"negative_prompt": negative} if negative is not None else {})})
        for request, image, flagged in zip(batch, images, flags):
            try:
                wp.write_png_atomically(image, request.output)
            except Exception as error:
                self.channel.error(request.id, f"cannot write {request.output}: {error}")
                continue
            metadata = {
                "seed": request.seed,
                "steps": settings["steps"] if settings["steps"] is not None else self.defaults["steps"],
                "guidance": guidance,
                "guidance_kind": kind,
                "width": image.width,
                "height": image.height,
                "scheduler": self.scheduler_name(),
                "dtype": self.arguments.dtype,
                "batch_size": len(batch),
                "call_batch": (1 if self.seeding == "seed" else self.arguments.batch
                               if self.arguments.batch_padding == "fixed" else len(batch)),
                "batch_seconds": round(seconds, 6),
            }
            if negative is not None:
                metadata["negative_prompt"] = negative
            if first.options.get("pipeline_kwargs"):
                metadata["pipeline_kwargs"] = _plain(first.options["pipeline_kwargs"])
            metadata["call"] = call
            refused = None
            if flagged:
                metadata["safety_checker"] = "flagged"
                refused = "the pipeline's safety checker flagged the image (it returns a blank one instead)"
            self.channel.ok(request, request.output, seconds / len(batch), metadata, refused=refused)

    def generate(self, batch: list, kwargs: dict, negative):
        if self.seeding == "seed":
            return self.generate_by_seed(batch, kwargs, negative)
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

    def generate_by_seed(self, batch: list, kwargs: dict, negative):
        """One call per image for a pipeline that takes seed= (its own generator, seeded once per
        call): an image then depends only on its own request."""
        torch = self.torch
        images, seconds = [], 0.0
        for request in batch:
            call = dict(kwargs, prompt=request.prompt, seed=request.seed)
            for name, value in (("num_images_per_prompt", 1), ("output_type", "pil"),
                                ("negative_prompt", negative)):
                if name in self.call_parameters and value is not None:
                    call[name] = value
            started = time.monotonic()
            with torch.inference_mode():
                result = self.pipeline(**call)
            if self.arguments.device.startswith("cuda"):
                torch.cuda.synchronize()
            seconds += time.monotonic() - started
            made = list(result.images)
            if len(made) != 1:
                raise RuntimeError(f"pipeline returned {len(made)} images for one prompt and seed")
            images.append(made[0])
        return images, [False] * len(images), seconds


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
