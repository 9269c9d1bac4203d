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
- Not in transformers: BAGEL, Show-o, UniWorld-V1, MetaQueries (their own repositories: use the
  harness's ``command`` adapter); Chameleon's released weights cannot emit images.

    python workers/transformers_worker.py --model deepseek-community/Janus-Pro-7B \
        --dtype bfloat16 --device cuda --guidance 5

Tested on CPU against tiny random Janus and Emu3 models built in code
(workers/tests/test_transformers_worker.py), and on CUDA by tools/gpu_check_transformers.sh;
not yet run on released weights.

Request options: ``temperature`` (number, default 1.0), ``negative_prompt`` (Emu3 only); others
are ignored and named in the reply's metadata under ``ignored_options``. Width, height and steps are
fixed: a request naming other values gets an error. The size is the model's (Janus-Pro 384x384;
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
KNOWN_OPTIONS = {"janus": {"temperature"}, "emu3": {"temperature", "negative_prompt"}}


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model id on the hub or a local folder")
    parser.add_argument("--revision", default=None)
    parser.add_argument("--family", choices=["auto", "janus", "emu3"], default="auto",
                        help="auto: from the checkpoint's model_type")
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
            config = transformers.AutoConfig.from_pretrained(arguments.model, **common)
            family = {"janus": "janus", "emu3": "emu3"}.get(config.model_type)
            if family is None:
                raise SystemExit(f"transformers_worker: model_type {config.model_type!r} cannot make "
                                 "images through transformers (supported: janus, emu3)")
        if arguments.image_area is not None and family != "emu3":
            raise SystemExit("transformers_worker: --image-area is for Emu3 only (Janus makes one size)")
        self.family = family
        self.guidance = arguments.guidance if arguments.guidance is not None else (5.0 if family == "janus" else 3.0)
        if family == "janus" and not self.guidance > 1:
            raise SystemExit(f"transformers_worker: {JANUS_GUIDANCE}; --guidance is {self.guidance}")
        started = time.monotonic()
        model_class = {"janus": transformers.JanusForConditionalGeneration,
                       "emu3": transformers.Emu3ForConditionalGeneration}[family]
        self.processor = transformers.AutoProcessor.from_pretrained(arguments.model, **common)
        self.model = model_class.from_pretrained(arguments.model, dtype=self.dtype, **common)
        self.model = self.model.to(arguments.device).eval()
        self.load_seconds = time.monotonic() - started
        self.width, self.height = self.image_size()

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
                "seeding": "torch.manual_seed(seed) per request, one image per call",
                "load_seconds": round(self.load_seconds, 3)}

    def seed(self, seed: int) -> None:
        self.torch.manual_seed(seed)
        if self.arguments.device.startswith("cuda"):
            self.torch.cuda.manual_seed_all(seed)

    def run_batch(self, batch: list) -> None:
        for request in batch:   # one image per call: sampling uses the global generator
            try:
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
                started = time.monotonic()
                with self.torch.inference_mode():
                    if self.family == "janus":
                        image, extra = self.janus(request, guidance, float(temperature))
                    else:
                        image, extra = self.emu3(request, guidance, float(temperature))
                if self.arguments.device.startswith("cuda"):
                    self.torch.cuda.synchronize()
                seconds = time.monotonic() - started
                if image.size != (self.width, self.height):
                    raise RuntimeError(f"the model made a {image.width}x{image.height} image, "
                                       f"not {self.width}x{self.height}")
                wp.write_png_atomically(image, request.output)
            except Exception as error:
                self.channel.error(request.id, f"{type(error).__name__}: {error}"
                                   if not isinstance(error, wp.BadRequest) else str(error))
                continue
            metadata = {"seed": request.seed, "guidance": guidance, "temperature": float(temperature),
                        "width": image.width, "height": image.height, "family": self.family,
                        "dtype": self.arguments.dtype}
            metadata.update(extra)
            ignored = sorted(set(request.options) - KNOWN_OPTIONS[self.family])
            if ignored:
                metadata["ignored_options"] = ignored
            self.channel.ok(request, request.output, seconds, metadata)

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
