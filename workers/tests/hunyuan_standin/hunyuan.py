"""A stand-in for HunyuanImage-3.0's ``HunyuanImage3ForCausalMM`` at the worker's import boundary.

The real class cannot run on a CPU (its mixture-of-experts layer calls
``torch.cuda.set_device(hidden_states.device.index)``, and its image processor imports
torchvision), so wise's tests load this one instead, from a model folder, through
``AutoModelForCausalLM.from_pretrained(..., trust_remote_code=True)`` exactly as the worker loads
the real one. It keeps the real entry points' names and signatures (``load_tokenizer``,
``image_processor.build_image_info``, ``generate_image``) and how they behave where the worker
depends on it: ``image_size`` "HxW" snapped to preset sizes, "auto" letting the model pick with the
global generator, the diffusion noise from a ``torch.Generator`` seeded with ``seed``, steps and
guidance from ``diff_infer_steps`` / ``diff_guidance_scale`` or the generation config, a PIL image
back. Written for wise; none of Tencent's code.
"""

import os
from types import SimpleNamespace

import torch
from PIL import Image
from torch import nn
from transformers import GenerationMixin, PreTrainedModel

from .configuration_hunyuan import HunyuanImage3Config


class StandInImageProcessor:
    """Snaps a requested size to the nearest preset size, as the real image processor does."""

    def __init__(self, config):
        self.presets = [tuple(size) for size in config.preset_sizes]

    def build_image_info(self, image_size):
        height, width = (int(part) for part in image_size.split("x"))
        target = min(self.presets, key=lambda size: (abs(size[0] / size[1] - height / width),
                                                     abs(size[0] * size[1] - height * width)))
        return SimpleNamespace(image_height=target[0], image_width=target[1])


class HunyuanImage3ForCausalMM(PreTrainedModel, GenerationMixin):
    """A few random weights that turn seeded noise into an RGB image over ``steps`` updates."""

    config_class = HunyuanImage3Config
    base_model_prefix = "model"

    def __init__(self, config):
        super().__init__(config)
        self.text = nn.Embedding(256, config.hidden_size)
        self.mix = nn.Linear(config.hidden_size + 3, 3)
        self.image_processor = StandInImageProcessor(config)
        self._tokenizer = None
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(0.0, 0.5)
        if isinstance(module, nn.Linear) and module.bias is not None:
            module.bias.data.zero_()

    def load_tokenizer(self, path):
        if not os.path.isfile(os.path.join(path, "tokenizer.json")):
            raise ValueError(f"no tokenizer.json in {path}")
        self._tokenizer = path

    def generate_image(self, prompt, seed=None, image_size="auto", use_system_prompt=None,
                       system_prompt=None, bot_task=None, stream=False, **kwargs):
        if self._tokenizer is None:
            raise ValueError("Attribute `tokenizer` has not been initialized yet. Please set it first.")
        if seed is None:
            raise ValueError("the stand-in wants a seed")
        config = self.generation_config
        steps = kwargs.get("diff_infer_steps", config.diff_infer_steps)
        guidance = kwargs.get("diff_guidance_scale", config.diff_guidance_scale)
        bot_task = bot_task or config.bot_task
        if image_size == "auto":    # the real model samples a ratio token from the global generator
            index = int(torch.randint(len(self.image_processor.presets), (1,)))
            height, width = self.image_processor.presets[index]
        else:
            info = self.image_processor.build_image_info(image_size)
            height, width = info.image_height, info.image_width
        codes = torch.tensor([ord(c) % 256 for c in f"{bot_task}:{prompt}"] or [0], device=self.device)
        meaning = self.text(codes).mean(0)
        generator = torch.Generator(self.device).manual_seed(seed)
        x = torch.randn((height, width, 3), generator=generator, device=self.device)
        for _ in range(steps):
            features = torch.cat([meaning.expand(height, width, -1), x], dim=-1)
            x = x + guidance / steps * torch.tanh(self.mix(features))
        pixels = ((torch.tanh(x) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).cpu().numpy()
        return Image.fromarray(pixels)
