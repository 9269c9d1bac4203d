#!/usr/bin/env python3
"""A wise worker for unified models that transformers itself drives to make images (protocol 1).

What transformers 5.24 supports (read in its source, models/janus and models/emu3):

- Janus / Janus-Pro (``JanusForConditionalGeneration``, checkpoints such as
  ``deepseek-community/Janus-Pro-7B``): ``generate(..., generation_mode="image")`` runs the
  autoregressive image loop with classifier-free guidance (``guidance_scale``, default 5; it
  must be above 1: the loop always runs the unconditional twin and only merges it through
  ``ClassifierFreeGuidanceLogitsProcessor``, so this worker refuses 1 or less) and
  ``decode_image_tokens`` turns the 576 tokens into a 384x384 image (channels last);
  ``JanusProcessor`` builds the prompt (``generation_mode="image"`` appends the begin-of-image
  token) and ``postprocess`` undoes the normalisation (asked for uint8 arrays, channels first: its
  two image-processor backends, with and without torchvision, agree only on that). Sampling draws
  from torch's global generator: there is no per-image generator argument, so this worker seeds
  the global generator per request and runs one image per call.
- Emu3 (``Emu3ForConditionalGeneration``, ``BAAI/Emu3-Gen-hf``): the processor's
  ``return_for_image_generation=True`` appends the image header and returns ``image_sizes`` (the
  token grid); generation is plain ``generate`` constrained to visual tokens row by row by a
  ``prefix_allowed_tokens_fn`` the caller writes (below), with negative-prompt CFG; then
  ``decode_image_tokens(image_tokens, height, width)`` and ``postprocess``. The grid comes from
  the processor's ``image_area`` (518400 = 720x720 by default; it is not saved with the
  processor, so ``--image-area`` sets it) at 8x8 pixels a token.
- HunyuanImage-3.0 (``tencent/HunyuanImage-3.0``, downloaded to a folder): not in transformers;
  the checkpoint brings its own code (``HunyuanImage3ForCausalMM``), loaded with
  ``AutoModelForCausalLM`` and ``--trust-remote-code`` as its card does, then
  ``generate_image(prompt, seed, image_size="HxW"|"auto", diff_infer_steps, diff_guidance_scale)``.
  Its code needs CUDA (its MoE layer calls ``torch.cuda.set_device`` on every forward), so it is
  tested against a stand-in with the same entry points (workers/tests/hunyuan_standin).
- Janus-1.3B: no transformers-format checkpoint is published; transformers'
  convert_janus_weights_to_hf.py makes one, with ``boi_token_id`` where 5.24 does not read it
  (see ``janus_begin_of_image``).
- Not in transformers: BAGEL, Show-o, UniWorld-V1, MetaQueries (their own repositories: use the
  harness's ``command`` adapter); Chameleon's released weights cannot emit images.

    python workers/transformers_worker.py --model deepseek-community/Janus-Pro-7B \
        --dtype bfloat16 --device cuda --guidance 5
    python workers/transformers_worker.py --model HunyuanImage-3 --dtype bfloat16 \
        --trust-remote-code --device-map auto --moe-impl eager --attn-implementation sdpa

Tested on CPU against tiny random Janus and Emu3 models built in code
(workers/tests/test_transformers_worker.py), and on CUDA by tools/gpu_check_transformers.sh;
not yet run on released weights.

Request options: ``temperature`` (number, default 1.0), ``negative_prompt`` (Emu3 only),
``bot_task`` and ``use_system_prompt`` (HunyuanImage-3.0 only, strings), and the load settings
``trust_remote_code``, ``device_map``, ``moe_impl``, ``attn_implementation`` (any family: they must
match how the worker was started); others are ignored and named in the reply's metadata under
``ignored_options``. For Janus and Emu3, width, height and steps are fixed: a request naming other
values gets an error. The size is the model's (Janus-Pro 384x384;
Emu3 from its processor's image area, 720x720, or ``--image-area``) and is in the ready line.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wise_protocol as wp  # noqa: E402

WORKER_NAME = "transformers"
EMU3_POSITIVE = " masterpiece, film grained, best quality."
EMU3_NEGATIVE = ("lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, "
                 "cropped, worst quality, low quality, normal quality, jpeg artifacts, signature, watermark, "
                 "username, blurry.")
# Janus's image loop always runs the prompt beside its unconditional twin and only merges the two
# with a guidance above 1 (ClassifierFreeGuidanceLogitsProcessor refuses 1 or less).
JANUS_GUIDANCE = "guidance: Janus makes images only with classifier-free guidance above 1"
# Settings a model is loaded with, which the registry may also send with each request: a request
# must agree with how the worker was started (they cannot change per request).
LOAD_OPTIONS = ("trust_remote_code", "device_map", "moe_impl", "attn_implementation")
HUNYUAN_OPTIONS = {"bot_task", "use_system_prompt"}
KNOWN_OPTIONS = {"janus": {"temperature", *LOAD_OPTIONS}, "emu3": {"temperature", "negative_prompt", *LOAD_OPTIONS},
                 "hunyuan": HUNYUAN_OPTIONS | set(LOAD_OPTIONS)}
HUNYUAN_SEEDING = ("generate_image(seed=seed) (its diffusion noise) and every global generator seeded "
                   "with the seed, one image per call")
# HunyuanImage-3.0's checkpoint names the class its own hunyuan.py defines.
HUNYUAN_ARCHITECTURE = "HunyuanImage3ForCausalMM"


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model id on the hub or a local folder")
    parser.add_argument("--revision", default=None)
    parser.add_argument("--family", choices=["auto", "janus", "emu3", "hunyuan"], default="auto",
                        help="auto: from the checkpoint's model_type and architectures")
    parser.add_argument("--trust-remote-code", action="store_true",
                        help="allow a checkpoint that brings its own modelling code (HunyuanImage-3.0): "
                             "it runs Python files from the model folder")
    parser.add_argument("--device-map", default=None,
                        help="spread the model over the visible GPUs (auto; needs accelerate) "
                             "instead of moving it to --device (inputs still start there)")
    parser.add_argument("--moe-impl", choices=["eager", "flashinfer"], default=None,
                        help="HunyuanImage-3.0's mixture-of-experts kernel (its default: eager)")
    parser.add_argument("--attn-implementation", default=None,
                        help="sdpa, flash_attention_2 or eager (default: the model's)")
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="bfloat16")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--guidance", type=float, default=None,
                        help="CFG scale (default: Janus 5, Emu3 3)")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--image-area", type=int, default=None,
                        help="Emu3 only: the image's area in pixels, square (default: the "
                             "processor's, 518400 = 720x720)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--local-files-only", action="store_true")
    parser.add_argument("--name", default=None)
    arguments = parser.parse_args(argv)
    if not arguments.temperature > 0:
        parser.error("--temperature must be positive")
    if arguments.image_area is not None and arguments.image_area <= 0:
        parser.error("--image-area must be positive")
    return arguments


class TransformersWorker:
    def __init__(self, arguments):
        import torch
        if arguments.threads:
            torch.set_num_threads(arguments.threads)
        import transformers

        self.torch = torch
        self.arguments = arguments
        self.dtype = getattr(torch, arguments.dtype)
        common = dict(revision=arguments.revision, local_files_only=arguments.local_files_only)
        family = arguments.family
        if family == "auto":
            # The raw config.json: reading it runs none of a checkpoint's own code.
            config, _ = transformers.PretrainedConfig.get_config_dict(arguments.model, **common)
            model_type = config.get("model_type")
            family = {"janus": "janus", "emu3": "emu3"}.get(model_type)
            if HUNYUAN_ARCHITECTURE in (config.get("architectures") or []):
                family = "hunyuan"
            if family is None:
                raise SystemExit(f"transformers_worker: model_type {model_type!r} cannot make "
                                 "images through transformers (supported: janus, emu3, and "
                                 f"{HUNYUAN_ARCHITECTURE} with --trust-remote-code)")
        if family == "hunyuan" and not arguments.trust_remote_code:
            raise SystemExit(f"transformers_worker: {arguments.model} is HunyuanImage-3.0, whose modelling "
                             "code comes with the checkpoint: start the worker with --trust-remote-code to "
                             "run it (it executes the Python files in the model folder)")
        if family != "hunyuan" and arguments.moe_impl is not None:
            raise SystemExit("transformers_worker: --moe-impl is for HunyuanImage-3.0 only")
        if arguments.image_area is not None and family != "emu3":
            raise SystemExit("transformers_worker: --image-area is for Emu3 only (Janus makes one size)")
        self.family = family
        self.boi_source = None
        if family == "hunyuan":
            self.load_hunyuan(transformers, common)
            return
        self.guidance = arguments.guidance if arguments.guidance is not None else (5.0 if family == "janus" else 3.0)
        if family == "janus" and not self.guidance > 1:
            raise SystemExit(f"transformers_worker: {JANUS_GUIDANCE}; --guidance is {self.guidance}")
        started = time.monotonic()
        model_class = {"janus": transformers.JanusForConditionalGeneration,
                       "emu3": transformers.Emu3ForConditionalGeneration}[family]
        self.processor = transformers.AutoProcessor.from_pretrained(arguments.model, **common)
        self.model = model_class.from_pretrained(arguments.model, dtype=self.dtype,
                                                 **self.placement(), **common)
        self.model = self.model.eval() if arguments.device_map else self.model.to(arguments.device).eval()
        self.boi_source = self.janus_begin_of_image() if family == "janus" else None
        self.load_seconds = time.monotonic() - started
        self.width, self.height = self.image_size()

    def placement(self) -> dict:
        """from_pretrained's placement and attention arguments, as the worker was started."""
        a = self.arguments
        placed = {}
        if a.device_map:
            placed["device_map"] = a.device_map
        if a.attn_implementation:
            placed["attn_implementation"] = a.attn_implementation
        return placed

    def load_hunyuan(self, transformers, common: dict) -> None:
        """Loads HunyuanImage-3.0 as its model card does: AutoModelForCausalLM with its own code,
        then ``load_tokenizer`` from the same folder. Its size is chosen per request (or by the model)."""
        a = self.arguments
        started = time.monotonic()
        extra = {"moe_impl": a.moe_impl} if a.moe_impl else {}
        self.model = transformers.AutoModelForCausalLM.from_pretrained(
            a.model, trust_remote_code=True, dtype=self.dtype, **self.placement(), **extra, **common)
        self.model = self.model.eval() if a.device_map else self.model.to(a.device).eval()
        self.model.load_tokenizer(a.model)
        self.guidance = a.guidance
        self.width = self.height = None
        self.load_seconds = time.monotonic() - started

    def janus_begin_of_image(self) -> str:
        """Makes sure ``generate(generation_mode="image")`` finds the begin-of-image token id where
        transformers 5.24 reads it (``generation_config.generation_kwargs["boi_token_id"]``), and says
        where it came from.

        The deepseek-community conversions carry it there. transformers' own
        convert_janus_weights_to_hf.py (the way to a Janus-1.3B in this format: none is published)
        writes ``generation_config.boi_token_id`` instead, and with no ``generation_kwargs`` the
        image loop fails on its first request; the processor's tokenizer knows the token too."""
        config = self.model.generation_config
        extra = dict(getattr(config, "generation_kwargs", None) or {})
        if extra.get("boi_token_id") is not None:
            return "generation_kwargs"
        boi, source = getattr(config, "boi_token_id", None), "generation_config.boi_token_id"
        if boi is None:
            tokenizer = self.processor.tokenizer
            boi, source = tokenizer.convert_tokens_to_ids(self.processor.image_start_token), "tokenizer"
            if boi is None or boi == tokenizer.unk_token_id:
                raise SystemExit(f"transformers_worker: {self.arguments.model} names no begin-of-image "
                                 "token (generation_config.generation_kwargs.boi_token_id, "
                                 "generation_config.boi_token_id or the tokenizer's boi_token): add "
                                 "\"generation_kwargs\": {\"boi_token_id\": ID} to its generation_config.json")
        config.generation_kwargs = {**extra, "boi_token_id": int(boi)}
        return source

    def loaded_with(self) -> dict:
        """The load settings, by the names the registry's request options use."""
        a = self.arguments
        return {"trust_remote_code": a.trust_remote_code, "device_map": a.device_map,
                "moe_impl": a.moe_impl, "attn_implementation": a.attn_implementation}

    def image_size(self) -> tuple:
        """The (width, height) every image of this model has, known before any is made."""
        if self.family == "janus":
            # The VQ decoder turns a num_patches^2 token grid into pixels, doubling the size at
            # each level but the last (Janus-Pro: 24 * 2^4 = 384).
            vq = self.model.config.vq_config
            side = vq.num_patches * 2 ** (len(vq.channel_multiplier) - 1)
            return side, side
        grid_height, grid_width = self.emu3_grid()
        if grid_height < 1 or grid_width < 1:
            raise SystemExit(f"transformers_worker: an image area of {self.arguments.image_area} pixels "
                             "is less than one Emu3 token (8x8 pixels)")
        scale = self.model.model.vqmodel.spatial_scale_factor
        return grid_width * scale, grid_height * scale

    def emu3_prompt(self, texts: list, **kwargs):
        if self.arguments.image_area is not None:
            kwargs["image_area"] = self.arguments.image_area
        return self.processor(text=texts, return_tensors="pt", return_for_image_generation=True, **kwargs)

    def emu3_grid(self) -> tuple:
        """Emu3's token grid (rows, columns), as its processor reckons it from the image area."""
        height, width = self.emu3_prompt([""])["image_sizes"][0]
        return int(height), int(width)

    def metadata(self) -> dict:
        import transformers
        torch = self.torch
        a = self.arguments
        return {"python": platform.python_version(), "torch": torch.__version__,
                "transformers": transformers.__version__, "cuda": torch.version.cuda,
                "device": a.device, "family": self.family, "model_class": type(self.model).__name__,
                "dtype": a.dtype, "revision": a.revision, "guidance": self.guidance,
                "width": self.width, "height": self.height,
                "temperature": a.temperature, "threads": torch.get_num_threads(),
                "seeding": HUNYUAN_SEEDING if self.family == "hunyuan" else
                           "torch.manual_seed(seed) per request, one image per call",
                "load_seconds": round(self.load_seconds, 3), **self.loaded_with(),
                **({"boi_token_id_from": self.boi_source} if self.boi_source else {}),
                **({"devices": sorted({str(d) for d in self.model.hf_device_map.values()})}
                   if getattr(self.model, "hf_device_map", None) else {})}

    def check_load_options(self, request) -> None:
        """Refuses a request whose load settings (sent by the registry with every request) differ
        from those the worker was started with."""
        loaded = self.loaded_with()
        for key in LOAD_OPTIONS:
            if key in request.options and request.options[key] != loaded[key]:
                wanted, flag = request.options[key], "--" + key.replace("_", "-")
                start = (f"without {flag}" if wanted in (None, False) else
                         f"with {flag}" if wanted is True else f"with {flag} {wanted}")
                raise wp.BadRequest(f"option '{key}' is {wanted!r} but this worker was loaded with "
                                    f"{loaded[key]!r}: start it {start} (it cannot change per request)")

    def seed(self, seed: int) -> None:
        self.torch.manual_seed(seed)
        if self.arguments.device.startswith("cuda"):
            self.torch.cuda.manual_seed_all(seed)

    def run_batch(self, batch: list) -> None:
        for request in batch:   # one image per call: sampling uses the global generator
            try:
                self.check_load_options(request)
                started = time.monotonic()
                if self.family == "hunyuan":
                    image, metadata = self.hunyuan(request)
                else:
                    image, metadata = self.autoregressive(request)
                if self.arguments.device.startswith("cuda"):
                    self.torch.cuda.synchronize()
                seconds = time.monotonic() - started
                wp.write_png_atomically(image, request.output)
            except Exception as error:
                self.channel.error(request.id, f"{type(error).__name__}: {error}"
                                   if not isinstance(error, wp.BadRequest) else str(error))
                continue
            ignored = sorted(set(request.options) - KNOWN_OPTIONS[self.family])
            if ignored:
                metadata["ignored_options"] = ignored
            self.channel.ok(request, request.output, seconds, metadata)

    def autoregressive(self, request) -> tuple:
        """One Janus or Emu3 image for a request, and its reply metadata."""
        if request.steps is not None:
            raise wp.BadRequest("steps: autoregressive models have none (send null)")
        temperature = request.options.get("temperature", self.arguments.temperature)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0:
            raise wp.BadRequest("option 'temperature' must be a positive number")
        if (request.width not in (None, self.width)) or (request.height not in (None, self.height)):
            raise wp.BadRequest(f"this model makes {self.width}x{self.height} images; asked for "
                                f"{request.width}x{request.height} (send null or these)")
        guidance = request.guidance if request.guidance is not None else self.guidance
        if self.family == "janus" and not guidance > 1:
            raise wp.BadRequest(JANUS_GUIDANCE + f"; asked for {guidance}")
        with self.torch.inference_mode():
            if self.family == "janus":
                image, extra = self.janus(request, guidance, float(temperature))
            else:
                image, extra = self.emu3(request, guidance, float(temperature))
        if image.size != (self.width, self.height):
            raise RuntimeError(f"the model made a {image.width}x{image.height} image, "
                               f"not {self.width}x{self.height}")
        metadata = {"seed": request.seed, "guidance": guidance, "temperature": float(temperature),
                    "width": image.width, "height": image.height, "family": self.family,
                    "dtype": self.arguments.dtype}
        metadata.update(extra)
        return image, metadata

    def hunyuan(self, request) -> tuple:
        """One HunyuanImage-3.0 image through its ``generate_image`` (the entry point its model card
        and run_image_gen.py use), and its reply metadata.

        The size goes as ``image_size="HxW"`` (height first), which the model snaps to its preset
        sizes: a size it would change is refused before any work. Null width and height send
        ``"auto"`` (the model picks the size; the reply records it). Steps and guidance go as
        ``diff_infer_steps`` and ``diff_guidance_scale`` (null: the checkpoint's generation config).
        The seed goes to ``generate_image`` (its diffusion noise) and to every global generator
        (any sampling its text steps do)."""
        import repo_checkout

        options = request.options
        for key in HUNYUAN_OPTIONS & set(options):
            if not isinstance(options[key], str):
                raise wp.BadRequest(f"option '{key}' must be a string")
        if (request.width is None) != (request.height is None):
            raise wp.BadRequest(f"give both width and height, or neither (the model's choice); asked for "
                                f"{request.width}x{request.height}")
        image_size = "auto"
        if request.width is not None:
            image_size = f"{request.height}x{request.width}"
            build = getattr(getattr(self.model, "image_processor", None), "build_image_info", None)
            if build is not None:
                info = build(image_size)
                if (info.image_width, info.image_height) != (request.width, request.height):
                    raise wp.BadRequest(f"HunyuanImage-3.0 would make {info.image_width}x{info.image_height} "
                                        f"for {request.width}x{request.height} (its preset sizes): ask for "
                                        "that size, or send null for the model's choice")
        kwargs = {key: options[key] for key in sorted(HUNYUAN_OPTIONS & set(options))}
        if request.steps is not None:
            kwargs["diff_infer_steps"] = request.steps
        guidance = request.guidance if request.guidance is not None else self.guidance
        if guidance is not None:
            kwargs["diff_guidance_scale"] = guidance
        repo_checkout.seed_everything(request.seed)
        with self.torch.inference_mode():
            image = self.model.generate_image(prompt=request.prompt, seed=request.seed,
                                              image_size=image_size, stream=False, **kwargs)
        if not hasattr(image, "save") or not hasattr(image, "size"):
            raise RuntimeError(f"generate_image returned {type(image).__name__}, not a PIL image")
        if request.width is not None and image.size != (request.width, request.height):
            raise RuntimeError(f"the model made a {image.width}x{image.height} image, "
                               f"not {request.width}x{request.height}")
        defaults = getattr(self.model, "generation_config", None)
        metadata = {"seed": request.seed, "width": image.width, "height": image.height,
                    "image_size": image_size, "family": self.family, "dtype": self.arguments.dtype,
                    "steps": kwargs.get("diff_infer_steps", getattr(defaults, "diff_infer_steps", None)),
                    "guidance": kwargs.get("diff_guidance_scale", getattr(defaults, "diff_guidance_scale", None))}
        for key in sorted(HUNYUAN_OPTIONS):
            metadata[key] = options.get(key, getattr(defaults, key, None))
        return image.convert("RGB"), metadata

    def _pil(self, pixels):
        """The first image of a (batch, channels, height, width) tensor as a PIL image, through the
        processor's ``postprocess`` (it undoes the normalisation and rescales to 0-255).

        Janus has two image-processor backends with different ``postprocess`` contracts: the PIL
        one (used without torchvision) misreads channels-last arrays, and the torchvision one
        refuses ``return_tensors="PIL.Image.Image"``. So Janus is asked for plain uint8 arrays,
        channels first, and this worker makes the PIL image. Emu3 has one backend, whose
        non-PIL output is not an image list, so it is asked for PIL images."""
        from PIL import Image
        import numpy as np

        channels_first = list(pixels.float())
        if self.family == "emu3":
            images = self.processor.postprocess(channels_first, return_tensors="PIL.Image.Image")
        else:
            images = self.processor.postprocess(channels_first)
        if not isinstance(images, (list, tuple)):
            images = images["pixel_values"]    # a BatchFeature (a UserDict, not a dict)
        first = images[0]
        if isinstance(first, Image.Image):
            return first
        array = first.detach().cpu().numpy() if hasattr(first, "detach") else np.asarray(first)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[0] not in (1, 3):
            raise RuntimeError(f"the image processor gave {array.dtype} {array.shape}; expected uint8 channels first")
        array = array.transpose(1, 2, 0)
        return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)

    def janus(self, request, guidance, temperature):
        device = self.arguments.device
        messages = [{"role": "user", "content": [{"type": "text", "text": request.prompt}]}]
        text = self.processor.apply_chat_template(messages, add_generation_prompt=True)
        inputs = self.processor(text=text, generation_mode="image", return_tensors="pt")
        inputs = inputs.to(device)
        self.seed(request.seed)
        tokens = self.model.generate(**inputs, generation_mode="image", do_sample=True, use_cache=True,
                                     guidance_scale=guidance, temperature=temperature,
                                     num_return_sequences=1)
        pixels = self.model.decode_image_tokens(tokens)   # channels last
        return self._pil(pixels.permute(0, 3, 1, 2)), {"image_tokens": int(tokens.shape[-1])}

    def emu3(self, request, guidance, temperature):
        torch = self.torch
        device = self.arguments.device
        negative = request.options.get("negative_prompt", EMU3_NEGATIVE)
        if not isinstance(negative, str):
            raise wp.BadRequest("option 'negative_prompt' must be a string")
        inputs = self.emu3_prompt([request.prompt + EMU3_POSITIVE], padding=True).to(device)
        negative_inputs = self.processor(text=[negative], return_tensors="pt").to(device)
        height, width = (int(x) for x in inputs.pop("image_sizes")[0])
        tokenizer = self.processor.tokenizer
        visual = torch.tensor(sorted(self.model.vocabulary_mapping.image_tokens), device=device)
        wrapper = tokenizer.image_wrapper_token_id
        eol = tokenizer.encode("<|extra_200|>", add_special_tokens=False)[0]
        tail = {1: tokenizer.eof_token_id, 2: tokenizer.eoi_token_id, 3: tokenizer.eos_token_id}
        rows = (width + 1) * height

        def allowed(batch_id, input_ids):
            start = torch.nonzero(input_ids == wrapper, as_tuple=True)[0][0]
            offset = int(input_ids.shape[0] - start)
            if offset > rows + 3:
                return [tokenizer.pad_token_id]
            if offset > rows:
                return [tail[offset - rows]]
            if offset % (width + 1) == 0:
                return [eol]
            return visual

        self.seed(request.seed)
        out = self.model.generate(**inputs, max_new_tokens=rows + 4, do_sample=True,
                                  temperature=temperature, guidance_scale=guidance,
                                  prefix_allowed_tokens_fn=allowed,
                                  negative_prompt_ids=negative_inputs.input_ids,
                                  negative_prompt_attention_mask=negative_inputs.attention_mask)
        # The rows (each ending with its end-of-line token), then end-of-frame, end-of-image and
        # end-of-sequence: decode_image_tokens drops the last three.
        generated = out[:, inputs["input_ids"].shape[1]:][:, :rows + 3]
        if generated.shape[1] != rows + 3:
            raise RuntimeError(f"Emu3 stopped after {generated.shape[1]} of {rows + 3} image tokens")
        pixels = self.model.decode_image_tokens(image_tokens=generated, height=height, width=width)
        return self._pil(pixels), {"token_grid": [height, width], "negative_prompt": negative}


def main(argv=None) -> int:
    channel = wp.Channel.claim()
    arguments = parse_arguments(argv)
    try:
        worker = TransformersWorker(arguments)
    except SystemExit:
        raise
    except Exception as error:
        message = f"transformers_worker: cannot load {arguments.model}: {type(error).__name__}: {error}"
        print(wp.one_line(message), file=sys.stderr)
        return 1
    worker.channel = channel
    channel.ready(WORKER_NAME, arguments.name or arguments.model, worker.metadata())
    reader = wp.RequestReader(channel).start()
    return wp.serve(channel, reader, 1, 0.0, worker.run_batch)


if __name__ == "__main__":
    sys.exit(main())
