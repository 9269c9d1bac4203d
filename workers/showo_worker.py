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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repo_worker as rw  # noqa: E402
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
# The repository's demo configs by the checkpoint's number of image tokens.
DEMO_CONFIGS = {1024: "configs/showo_demo_512x512.yaml", 256: "configs/showo_demo.yaml"}


def parse_arguments(argv=None):
    parser = rw.argument_parser(__doc__, ENVIRONMENT, UPSTREAM,
                                "the Show-o checkpoint (hub id or folder; default: the config's)",
                                model_required=False, dtype="float32", device="cuda")
    parser.add_argument("--config", default="auto",
                        help="the repository's YAML config (relative to the checkout, or a path); "
                             "auto: its demo config for the checkpoint's size")
    parser.add_argument("--vq-model", default=None, help="the MAGVIT-v2 checkpoint (default: the config's)")
    parser.add_argument("--llm-model", default=None,
                        help="where the tokenizer and Phi config come from (default: the config's)")
    return parser.parse_args(argv)


class ShowoWorker(rw.RepoWorker):
    """Show-o, MAGVIT-v2 and the prompting loaded from the checkout, one image at a time."""

    worker_name = WORKER_NAME
    known_options = frozenset({"temperature"})
    any_size = False
    size_owner = "config"
    reply_names = {"steps": "generation_timesteps", "guidance": "guidance_scale", "dtype": None}
    seeding = "a torch.Generator per request on the device, passed to t2i_generate; one image per call"

    def prepare(self) -> None:
        """Finds the config (in the checkout when relative)."""
        a = self.arguments
        try:
            config_path = choose_config(a.config, a.model)
        except Exception as error:
            raise rw.StartError(f"cannot choose a config for {a.model}: {type(error).__name__}: {error}; "
                                "pass --config")
        if not os.path.isabs(config_path) and not os.path.isfile(config_path):
            config_path = os.path.join(self.checkout.path, config_path)
        if not os.path.isfile(config_path):
            raise rw.StartError(f"no config {a.config} (looked in {self.checkout.path} too): pass --config "
                                "with one of the checkout's configs, e.g. configs/showo_demo_512x512.yaml")
        self.config_path = os.path.abspath(config_path)

    def load(self) -> None:
        """Reads the config and loads the tokenizer, MAGVIT-v2 and Show-o as inference_t2i.py does."""
        from models import MAGVITv2, Showo, get_mask_chedule
        from omegaconf import OmegaConf
        from training.prompting_utils import UniversalPrompting, create_attention_mask_predict_next
        from transformers import AutoTokenizer

        a = self.arguments
        config = OmegaConf.load(self.config_path)
        showo = config.model.showo
        if a.model:
            showo.pretrained_model_path = a.model
        if a.vq_model:
            config.model.vq_model.vq_model_name = a.vq_model
        if a.llm_model:
            showo.llm_model_path = a.llm_model
        self.config = config
        self.name = a.name or showo.pretrained_model_path
        self.resolution = int(config.dataset.params.resolution)
        self.tokens = int(showo.num_vq_tokens)
        if config.model.vq_model.type != "magvitv2":
            raise ValueError(f"model.vq_model.type {config.model.vq_model.type!r} is not supported "
                             "(inference_t2i.py knows magvitv2 only)")
        tokenizer = AutoTokenizer.from_pretrained(showo.llm_model_path, padding_side="left")
        self.prompting = UniversalPrompting(tokenizer, max_text_len=config.dataset.preprocessing.max_seq_length,
                                            special_tokens=SPECIAL_TOKENS, ignore_id=-100,
                                            cond_dropout_prob=config.training.cond_dropout_prob)
        self.vq_model = MAGVITv2.from_pretrained(config.model.vq_model.vq_model_name).to(a.device, self.dtype)
        self.vq_model.requires_grad_(False)
        self.vq_model.eval()
        self.model = Showo.from_pretrained(showo.pretrained_model_path).to(a.device, self.dtype)
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

    def default_temperature(self) -> float:
        return float(self.config.training.get("generation_temperature", 1.0))

    def defaults(self) -> dict:
        return {"width": self.resolution, "height": self.resolution, "steps": DEFAULT_STEPS,
                "guidance": DEFAULT_GUIDANCE}

    def settings(self) -> dict:
        showo = self.config.model.showo
        return {**rw.versions("transformers"), "config": self.config_path,
                "pretrained_model_path": showo.pretrained_model_path,
                "vq_model_name": self.config.model.vq_model.vq_model_name,
                "llm_model_path": showo.llm_model_path,
                "width": self.resolution, "height": self.resolution, "num_vq_tokens": self.tokens,
                "max_seq_length": int(self.config.dataset.preprocessing.max_seq_length),
                "defaults": {"generation_timesteps": DEFAULT_STEPS, "guidance_scale": DEFAULT_GUIDANCE,
                             "temperature": self.default_temperature()}}

    def generate(self, request, width, height, steps, guidance):
        temperature = request.options.get("temperature", self.default_temperature())
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0:
            raise wp.BadRequest("option 'temperature' must be a positive number")
        if guidance < 0:
            raise wp.BadRequest(f"guidance {guidance}: Show-o's guidance_scale is 0 (none) or more")
        torch = self.torch
        from PIL import Image
        config = self.config
        device = self.arguments.device
        prompting = self.prompting
        image_tokens = torch.full((1, self.tokens), self.mask_token_id, dtype=torch.long, device=device)
        input_ids, _ = prompting(([request.prompt], image_tokens), "t2i_gen")
        special = {name: int(prompting.sptids_dict[name]) for name in ("<|pad|>", "<|soi|>", "<|eoi|>")}
        if guidance > 0:
            uncond_input_ids, _ = prompting(([""], image_tokens), "t2i_gen")
            sequences = torch.cat([input_ids, uncond_input_ids], dim=0)
        else:
            uncond_input_ids, sequences = None, input_ids
        attention_mask = self.attention_mask(sequences, pad_id=special["<|pad|>"], soi_id=special["<|soi|>"],
                                             eoi_id=special["<|eoi|>"], rm_pad_in_image=True)
        # The global generators are seeded already (nothing above draws from them).
        generator = torch.Generator(device=device).manual_seed(request.seed)
        tokens = self.model.t2i_generate(
            input_ids=input_ids, uncond_input_ids=uncond_input_ids, attention_mask=attention_mask,
            guidance_scale=guidance, temperature=float(temperature), timesteps=steps,
            noise_schedule=self.schedule, noise_type=config.training.get("noise_type", "mask"),
            seq_len=self.tokens, uni_prompting=prompting, config=config, generator=generator)
        tokens = torch.clamp(tokens, max=config.model.showo.codebook_size - 1, min=0)
        pixels = self.vq_model.decode_code(tokens)
        pixels = torch.clamp((pixels.float() + 1.0) / 2.0, min=0.0, max=1.0) * 255.0
        array = pixels.permute(0, 2, 3, 1).cpu().numpy().astype("uint8")
        return Image.fromarray(array[0]), {"temperature": float(temperature)}


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


def main(argv=None) -> int:
    return rw.main(ShowoWorker, parse_arguments, REQUIRED, ENVIRONMENT, UPSTREAM, argv)


if __name__ == "__main__":
    sys.exit(main())
