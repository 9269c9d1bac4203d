#!/usr/bin/env python3
"""A wise worker for BAGEL (ByteDance-Seed/Bagel), thinking on or off, from the user's checkout.

It imports BAGEL's own inference code from a checkout of https://github.com/ByteDance-Seed/Bagel
(``--repo DIR`` or $WISE_BAGEL_REPO), builds the model the way the repository's app.py does
(``Qwen2Config``/``SiglipVisionConfig`` from the weights folder, ``Bagel`` under accelerate's
``init_empty_weights``, ``load_checkpoint_and_dispatch`` of ``ema.safetensors`` onto one device),
and makes each image through ``InterleaveInferencer(text=prompt, think=..., ...)`` (without the
image transforms, which only input images use):

    python workers/bagel_worker.py --repo ~/src/Bagel --model models/BAGEL-7B-MoT \
        --dtype bfloat16 --device cuda

Request fields: ``steps`` is ``num_timesteps`` (default 50), ``guidance`` is ``cfg_text_scale``
(default 4.0), width and height (multiples of the model's 16-pixel latent step, at most
``max_latent_size`` x 16 = 1024; default 1024x1024). Request options (the registry's ``options``, so
the run's spec records them): ``think`` (bool: the model first writes a plan, which the reply's
metadata carries under ``thinking``), ``max_think_token_n``, ``do_sample``, ``text_temperature``
(the plan's sampling), ``cfg_img_scale``, ``cfg_interval`` ([start, end]), ``timestep_shift``,
``cfg_renorm_min``, ``cfg_renorm_type``. Unknown options are named under ``ignored_options``.

BAGEL draws its noise (and a sampled plan) from torch's global generator, so every request is one
call, with Python's, NumPy's and torch's generators seeded from its seed just before.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repo_worker as rw  # noqa: E402
import wise_protocol as wp  # noqa: E402

WORKER_NAME = "bagel"
UPSTREAM = "https://github.com/ByteDance-Seed/Bagel"
ENVIRONMENT = "WISE_BAGEL_REPO"
# Files whose presence says a folder is a BAGEL checkout (what the worker imports).
REQUIRED = ("inferencer.py", "modeling/bagel/bagel.py", "modeling/autoencoder.py", "data/data_utils.py")
WEIGHTS = ("llm_config.json", "vit_config.json", "ae.safetensors", "ema.safetensors")
# InterleaveInferencer's keyword arguments a request may set through its options, with the
# defaults of the repository's text-to-image settings (app.py, inferencer.py) and their checks.
OPTION_DEFAULTS = {"think": False, "max_think_token_n": 1000, "do_sample": False,
                   "text_temperature": 0.3, "cfg_img_scale": 1.0, "cfg_interval": [0.4, 1.0],
                   "timestep_shift": 3.0, "cfg_renorm_min": 0.0, "cfg_renorm_type": "global"}
RENORM_TYPES = ("global", "channel", "text_channel")


def parse_arguments(argv=None):
    parser = rw.argument_parser(__doc__, ENVIRONMENT, UPSTREAM,
                                "the weights: a folder, or a hub id (ByteDance-Seed/BAGEL-7B-MoT) "
                                "fetched into the hub cache", dtype="bfloat16", device="cuda")
    parser.add_argument("--local-files-only", action="store_true",
                        help="with a hub id: use the hub cache only, never the network")
    return parser.parse_args(argv)


def _number(value, name, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (positive and not value > 0):
        raise wp.BadRequest(f"option '{name}' must be a {'positive ' if positive else ''}number")
    return float(value)


def inference_options(options: dict) -> dict:
    """The InterleaveInferencer settings of a request's options (defaults filled in), checked."""
    settings = dict(OPTION_DEFAULTS)
    settings.update({key: options[key] for key in OPTION_DEFAULTS if key in options})
    for flag in ("think", "do_sample"):
        if not isinstance(settings[flag], bool):
            raise wp.BadRequest(f"option '{flag}' must be true or false")
    tokens = settings["max_think_token_n"]
    if not wp._is_int(tokens) or tokens <= 0:
        raise wp.BadRequest("option 'max_think_token_n' must be a positive integer")
    settings["text_temperature"] = _number(settings["text_temperature"], "text_temperature", positive=True)
    settings["cfg_img_scale"] = _number(settings["cfg_img_scale"], "cfg_img_scale")
    settings["timestep_shift"] = _number(settings["timestep_shift"], "timestep_shift", positive=True)
    settings["cfg_renorm_min"] = _number(settings["cfg_renorm_min"], "cfg_renorm_min")
    interval = settings["cfg_interval"]
    if (not isinstance(interval, list) or len(interval) != 2
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in interval)
            or not 0 <= interval[0] <= interval[1] <= 1):
        raise wp.BadRequest("option 'cfg_interval' must be [start, end] with 0 <= start <= end <= 1")
    settings["cfg_interval"] = [float(interval[0]), float(interval[1])]
    if settings["cfg_renorm_type"] not in RENORM_TYPES:
        raise wp.BadRequest(f"option 'cfg_renorm_type' must be one of {', '.join(RENORM_TYPES)}")
    return settings


def bagel_config(path: str, vae_config):
    """BAGEL's configuration from a weights folder's llm_config.json and vit_config.json, set up as
    the repository's app.py does (BAGEL's modules imported from the checkout)."""
    from modeling.bagel import BagelConfig, Qwen2Config, SiglipVisionConfig
    llm_config = Qwen2Config.from_json_file(os.path.join(path, "llm_config.json"))
    llm_config.qk_norm = True
    llm_config.tie_word_embeddings = False
    llm_config.layer_module = "Qwen2MoTDecoderLayer"
    vit_config = SiglipVisionConfig.from_json_file(os.path.join(path, "vit_config.json"))
    vit_config.rope = False
    vit_config.num_hidden_layers -= 1
    return BagelConfig(visual_gen=True, visual_und=True, llm_config=llm_config, vit_config=vit_config,
                       vae_config=vae_config, vit_max_num_patch_per_side=70,
                       connector_act="gelu_pytorch_tanh", latent_patch_size=2, max_latent_size=64)


class BagelWorker(rw.RepoWorker):
    """BAGEL loaded from the checkout, answering requests one image at a time."""

    worker_name = WORKER_NAME
    known_options = frozenset(OPTION_DEFAULTS)
    reply_names = {"steps": "num_timesteps", "guidance": "cfg_text_scale", "dtype": None}
    seeding = "random, numpy and torch global generators seeded per request, one image per call"

    def prepare(self) -> None:
        """Finds the weights and checks they are BAGEL's."""
        a = self.arguments
        a.name = a.name or a.model   # the id asked for, not the cache folder
        try:
            a.model = weights_folder(a.model, a.local_files_only)
        except Exception as error:
            raise rw.StartError(f"cannot fetch the weights {a.model}: {type(error).__name__}: "
                                f"{error}; pass --model DIR (a download of ByteDance-Seed/BAGEL-7B-MoT)")
        missing = [name for name in WEIGHTS if not os.path.isfile(os.path.join(a.model, name))]
        if missing:
            raise rw.StartError(f"{a.model} is not a BAGEL weights folder: it lacks {', '.join(missing)}; "
                                "download ByteDance-Seed/BAGEL-7B-MoT there and pass --model DIR")

    def load(self) -> None:
        """Builds BAGEL as the repository's app.py does, on one device."""
        from accelerate import init_empty_weights, load_checkpoint_and_dispatch
        from data.data_utils import add_special_tokens
        from inferencer import InterleaveInferencer
        from modeling.autoencoder import load_ae
        from modeling.bagel import Bagel, Qwen2ForCausalLM, SiglipVisionModel
        from modeling.qwen2 import Qwen2Tokenizer

        path = self.arguments.model
        device = self.arguments.device
        vae_model, vae_config = load_ae(local_path=os.path.join(path, "ae.safetensors"))
        config = bagel_config(path, vae_config)
        llm_config, vit_config = config.llm_config, config.vit_config
        with init_empty_weights():
            language_model = Qwen2ForCausalLM(llm_config)
            vit_model = SiglipVisionModel(vit_config)
            model = Bagel(language_model, vit_model, config)
            model.vit_model.vision_model.embeddings.convert_conv2d_to_linear(vit_config, meta=True)
        tokenizer = Qwen2Tokenizer.from_pretrained(path)
        tokenizer, new_token_ids, _ = add_special_tokens(tokenizer)
        model = load_checkpoint_and_dispatch(model, checkpoint=os.path.join(path, "ema.safetensors"),
                                             device_map={"": device}, dtype=self.dtype).eval()
        vae_model = vae_model.to(device).eval()
        # No image transforms: they resize input images, which text-to-image has none of, and
        # data/transforms.py would bring in cv2 and torchvision for nothing.
        self.inferencer = InterleaveInferencer(model=model, vae_model=vae_model, tokenizer=tokenizer,
                                               vae_transform=None, vit_transform=None,
                                               new_token_ids=new_token_ids)
        self.step = int(model.latent_downsample)
        self.largest = int(model.max_latent_size) * self.step

    def defaults(self) -> dict:
        return {"width": self.largest, "height": self.largest, "steps": 50, "guidance": 4.0}

    def settings(self) -> dict:
        return {"model_path": self.arguments.model,
                "defaults": {"num_timesteps": 50, "cfg_text_scale": 4.0, "width": self.largest,
                             "height": self.largest, **OPTION_DEFAULTS},
                "size_step": self.step, "largest_side": self.largest}

    def context(self):
        """BAGEL's code casts to bfloat16 in places and relies on CUDA autocast (which it enters
        itself) for the rest; on another device the worker enters that device's autocast with
        --dtype, to the same effect."""
        import contextlib
        device = self.torch.device(self.arguments.device).type
        if device == "cuda" or self.arguments.dtype == "float32":
            return contextlib.nullcontext()
        return self.torch.autocast(device_type=device, dtype=self.dtype)

    def checked_size(self, request) -> tuple:
        width, height = super().checked_size(request)
        for name, value in (("width", width), ("height", height)):
            if value % self.step or value > self.largest:
                raise wp.BadRequest(f"{name} {value}: BAGEL makes sides that are multiples of "
                                    f"{self.step} up to {self.largest}")
        return width, height

    def generate(self, request, width, height, steps, guidance):
        settings = inference_options(request.options)
        result = self.inferencer(text=request.prompt, num_timesteps=steps, cfg_text_scale=guidance,
                                 image_shapes=(height, width), **settings)
        image = result.get("image")
        if image is None:
            raise RuntimeError("BAGEL returned no image")
        extra = dict(settings)
        if settings["think"]:
            extra["thinking"] = result.get("text") or ""
        return image, extra


def weights_folder(model: str, local_files_only: bool) -> str:
    """The folder holding the weights: ``model`` itself, or its snapshot in the hub cache when it
    is a hub id (owner/name) rather than a folder."""
    if os.path.isdir(model) or model.startswith((".", "/", "~")) or model.count("/") != 1:
        return model
    from huggingface_hub import snapshot_download
    return snapshot_download(model, local_files_only=local_files_only)


def main(argv=None) -> int:
    return rw.main(BagelWorker, parse_arguments, REQUIRED, ENVIRONMENT, UPSTREAM, argv)


if __name__ == "__main__":
    sys.exit(main())
