#!/usr/bin/env python3
"""A wise worker for Show-o (showlab/Show-o) text-to-image, from the user's checkout.

It imports Show-o's own code from a checkout of https://github.com/showlab/Show-o (``--repo DIR``
or $WISE_SHOWO_REPO) and makes each image the way the repository's inference_t2i.py does in its
``t2i`` mode: the prompt and a fully masked image go through ``UniversalPrompting(...,
't2i_gen')``, the empty prompt beside it when guidance is above 0 (with
``create_attention_mask_predict_next`` over both), ``Showo.t2i_generate`` unmasks the tokens over
``generation_timesteps`` MaskGIT steps under the config's mask schedule, and ``MAGVITv2.decode_code``
turns them into pixels:

    python workers/showo_worker.py --repo ~/src/Show-o --model showlab/show-o-512x512 --device cuda

``--config`` is one of the repository's YAML configs (relative to the checkout, or a path); it
names the checkpoints (``--model``, ``--vq-model`` and ``--llm-model`` override them), the image
resolution and the number of image tokens, so the size is the config's and is in the ready line.
``--config auto`` (the default) takes the demo config that matches ``--model``'s number of image
tokens: configs/showo_demo_512x512.yaml for 1024 (show-o-512x512), configs/showo_demo.yaml for
256 (show-o); without ``--model``, the 512x512 one.
Request fields: ``steps`` is ``generation_timesteps`` (default 18) and ``guidance`` is
``guidance_scale`` (default 1.75, the README's; 0 runs without the unconditional twin). Request
option: ``temperature`` (the config's ``training.generation_temperature``, default 1.0); others are
named under ``ignored_options``.

Show-o's sampler takes a torch.Generator, which the worker makes per request from its seed (on
the device; Python's, NumPy's and torch's global generators are seeded too); one image per call.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repo_checkout  # noqa: E402
import wise_protocol as wp  # noqa: E402

WORKER_NAME = "showo"
UPSTREAM = "https://github.com/showlab/Show-o"
ENVIRONMENT = "WISE_SHOWO_REPO"
REQUIRED = ("inference_t2i.py", "models/modeling_showo.py", "models/modeling_magvitv2.py",
            "training/prompting_utils.py")
# inference_t2i.py's special tokens, in its order.
SPECIAL_TOKENS = ("<|soi|>", "<|eoi|>", "<|sov|>", "<|eov|>", "<|t2i|>", "<|mmu|>", "<|t2v|>",
                  "<|v2v|>", "<|lvg|>")
DEFAULT_STEPS = 18
DEFAULT_GUIDANCE = 1.75
KNOWN_OPTIONS = {"temperature"}
# The repository's demo configs by the checkpoint's number of image tokens.
DEMO_CONFIGS = {1024: "configs/showo_demo_512x512.yaml", 256: "configs/showo_demo.yaml"}


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    repo_checkout.add_repo_argument(parser, ENVIRONMENT, UPSTREAM)
    parser.add_argument("--config", default="auto",
                        help="the repository's YAML config (relative to the checkout, or a path); "
                             "auto: its demo config for the checkpoint's size")
    parser.add_argument("--model", default=None,
                        help="the Show-o checkpoint (hub id or folder; default: the config's)")
    parser.add_argument("--vq-model", default=None, help="the MAGVIT-v2 checkpoint (default: the config's)")
    parser.add_argument("--llm-model", default=None,
                        help="where the tokenizer and Phi config come from (default: the config's)")
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32")
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--name", default=None)
    return parser.parse_args(argv)


class ShowoWorker:
    """Show-o, MAGVIT-v2 and the prompting loaded from the checkout, one image at a time."""

    def __init__(self, arguments, checkout: repo_checkout.Checkout, config_path: str):
        import torch
        if arguments.threads:
            torch.set_num_threads(arguments.threads)
        from omegaconf import OmegaConf
        self.torch = torch
        self.arguments = arguments
        self.checkout = checkout
        self.config_path = config_path
        config = OmegaConf.load(config_path)
        showo = config.model.showo
        if arguments.model:
            showo.pretrained_model_path = arguments.model
        if arguments.vq_model:
            config.model.vq_model.vq_model_name = arguments.vq_model
        if arguments.llm_model:
            showo.llm_model_path = arguments.llm_model
        self.config = config
        self.name = arguments.name or showo.pretrained_model_path
        self.resolution = int(config.dataset.params.resolution)
        self.tokens = int(showo.num_vq_tokens)
        started = time.monotonic()
        self.load()
        self.load_seconds = time.monotonic() - started

    def load(self):
        """Loads the tokenizer, MAGVIT-v2 and Show-o as inference_t2i.py does."""
        torch = self.torch
        from models import MAGVITv2, Showo, get_mask_chedule
        from training.prompting_utils import UniversalPrompting, create_attention_mask_predict_next
        from transformers import AutoTokenizer

        config = self.config
        device = self.arguments.device
        dtype = getattr(torch, self.arguments.dtype)
        if config.model.vq_model.type != "magvitv2":
            raise ValueError(f"model.vq_model.type {config.model.vq_model.type!r} is not supported "
                             "(inference_t2i.py knows magvitv2 only)")
        tokenizer = AutoTokenizer.from_pretrained(config.model.showo.llm_model_path, padding_side="left")
        self.prompting = UniversalPrompting(tokenizer, max_text_len=config.dataset.preprocessing.max_seq_length,
                                            special_tokens=SPECIAL_TOKENS, ignore_id=-100,
                                            cond_dropout_prob=config.training.cond_dropout_prob)
        self.vq_model = MAGVITv2.from_pretrained(config.model.vq_model.vq_model_name).to(device, dtype)
        self.vq_model.requires_grad_(False)
        self.vq_model.eval()
        self.model = Showo.from_pretrained(config.model.showo.pretrained_model_path).to(device, dtype)
        self.model.eval()
        self.mask_token_id = self.model.config.mask_token_id
        self.attention_mask = create_attention_mask_predict_next
        if config.get("mask_schedule", None) is not None:
            self.schedule = get_mask_chedule(config.mask_schedule.schedule,
                                             **config.mask_schedule.get("params", {}))
        else:
            self.schedule = get_mask_chedule(config.training.get("mask_schedule", "cosine"))
        side = int(round(self.tokens ** 0.5))
        if side * side != self.tokens or side * 16 != self.resolution:
            raise ValueError(f"the config's {self.tokens} image tokens do not make a "
                             f"{self.resolution}x{self.resolution} image (16 pixels a token)")

    def metadata(self) -> dict:
        torch = self.torch
        a = self.arguments
        import transformers
        showo = self.config.model.showo
        metadata = {"python": platform.python_version(), "torch": torch.__version__,
                    "transformers": transformers.__version__, "cuda": torch.version.cuda,
                    "device": a.device, "dtype": a.dtype, "config": self.config_path,
                    "pretrained_model_path": showo.pretrained_model_path,
                    "vq_model_name": self.config.model.vq_model.vq_model_name,
                    "llm_model_path": showo.llm_model_path,
                    "width": self.resolution, "height": self.resolution, "num_vq_tokens": self.tokens,
                    "max_seq_length": int(self.config.dataset.preprocessing.max_seq_length),
                    "defaults": {"generation_timesteps": DEFAULT_STEPS, "guidance_scale": DEFAULT_GUIDANCE,
                                 "temperature": self.default_temperature()},
                    "threads": torch.get_num_threads(),
                    "seeding": "a torch.Generator per request on the device, passed to t2i_generate; "
                               "one image per call",
                    "load_seconds": round(self.load_seconds, 3)}
        metadata.update(self.checkout.metadata())
        return metadata

    def default_temperature(self) -> float:
        return float(self.config.training.get("generation_temperature", 1.0))

    def run_batch(self, batch: list) -> None:
        for request in batch:   # one image per call: one generator per image
            try:
                if (request.width not in (None, self.resolution)) or (request.height not in (None, self.resolution)):
                    raise wp.BadRequest(f"this config makes {self.resolution}x{self.resolution} images; asked "
                                        f"for {request.width}x{request.height} (send null or these)")
                temperature = request.options.get("temperature", self.default_temperature())
                if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0:
                    raise wp.BadRequest("option 'temperature' must be a positive number")
                guidance = request.guidance if request.guidance is not None else DEFAULT_GUIDANCE
                if guidance < 0:
                    raise wp.BadRequest(f"guidance {guidance}: Show-o's guidance_scale is 0 (none) or more")
                steps = request.steps if request.steps is not None else DEFAULT_STEPS
                started = time.monotonic()
                image = self.generate(request.prompt, request.seed, steps, guidance, float(temperature))
                if self.arguments.device.startswith("cuda"):
                    self.torch.cuda.synchronize()
                seconds = time.monotonic() - started
                wp.write_png_atomically(image, request.output)
            except wp.BadRequest as error:
                self.channel.error(request.id, str(error))
                continue
            except Exception as error:
                self.channel.error(request.id, f"{type(error).__name__}: {error}")
                continue
            metadata = {"seed": request.seed, "generation_timesteps": steps, "guidance_scale": guidance,
                        "temperature": float(temperature), "width": image.width, "height": image.height}
            ignored = sorted(set(request.options) - KNOWN_OPTIONS)
            if ignored:
                metadata["ignored_options"] = ignored
            self.channel.ok(request, request.output, seconds, metadata)

    def generate(self, prompt: str, seed: int, steps: int, guidance: float, temperature: float):
        torch = self.torch
        from PIL import Image
        config = self.config
        device = self.arguments.device
        prompting = self.prompting
        image_tokens = torch.full((1, self.tokens), self.mask_token_id, dtype=torch.long, device=device)
        input_ids, _ = prompting(([prompt], image_tokens), "t2i_gen")
        special = {name: int(prompting.sptids_dict[name]) for name in ("<|pad|>", "<|soi|>", "<|eoi|>")}
        if guidance > 0:
            uncond_input_ids, _ = prompting(([""], image_tokens), "t2i_gen")
            sequences = torch.cat([input_ids, uncond_input_ids], dim=0)
        else:
            uncond_input_ids, sequences = None, input_ids
        attention_mask = self.attention_mask(sequences, pad_id=special["<|pad|>"], soi_id=special["<|soi|>"],
                                             eoi_id=special["<|eoi|>"], rm_pad_in_image=True)
        repo_checkout.seed_everything(seed)
        generator = torch.Generator(device=device).manual_seed(seed)
        with torch.no_grad():
            tokens = self.model.t2i_generate(
                input_ids=input_ids, uncond_input_ids=uncond_input_ids, attention_mask=attention_mask,
                guidance_scale=guidance, temperature=temperature, timesteps=steps,
                noise_schedule=self.schedule, noise_type=config.training.get("noise_type", "mask"),
                seq_len=self.tokens, uni_prompting=prompting, config=config, generator=generator)
            tokens = torch.clamp(tokens, max=config.model.showo.codebook_size - 1, min=0)
            pixels = self.vq_model.decode_code(tokens)
        pixels = torch.clamp((pixels.float() + 1.0) / 2.0, min=0.0, max=1.0) * 255.0
        array = pixels.permute(0, 2, 3, 1).cpu().numpy().astype("uint8")
        return Image.fromarray(array[0])


def choose_config(config: str, model) -> str:
    """The config to use: ``config`` itself, or for "auto" the repository's demo config whose
    image-token count matches the checkpoint's (read from its config.json)."""
    if config != "auto":
        return config
    if not model:
        return DEMO_CONFIGS[1024]
    from models import Showo
    tokens = Showo.load_config(model).get("num_vq_tokens")
    if tokens not in DEMO_CONFIGS:
        raise ValueError(f"its {tokens} image tokens match no demo config (1024: 512x512, 256: 256x256)")
    return DEMO_CONFIGS[tokens]


def load(arguments, checkout: repo_checkout.Checkout) -> ShowoWorker:
    """Finds the config (in the checkout when relative) and loads the worker."""
    try:
        config_path = choose_config(arguments.config, arguments.model)
    except Exception as error:
        raise repo_checkout.StartError(f"cannot choose a config for {arguments.model}: "
                                       f"{type(error).__name__}: {error}; pass --config")
    if not os.path.isabs(config_path) and not os.path.isfile(config_path):
        config_path = os.path.join(checkout.path, config_path)
    if not os.path.isfile(config_path):
        raise repo_checkout.StartError(f"no config {arguments.config} (looked in {checkout.path} too): pass "
                                       "--config with one of the checkout's configs, e.g. "
                                       "configs/showo_demo_512x512.yaml")
    return ShowoWorker(arguments, checkout, os.path.abspath(config_path))


def main(argv=None) -> int:
    channel = wp.Channel.claim()
    arguments = parse_arguments(argv)
    return repo_checkout.run_worker(channel, "showo_worker", WORKER_NAME, arguments, REQUIRED, ENVIRONMENT,
                                    UPSTREAM, lambda checkout: load(arguments, checkout))


if __name__ == "__main__":
    sys.exit(main())
