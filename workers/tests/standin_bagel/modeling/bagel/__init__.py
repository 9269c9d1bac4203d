"""Stand-in for BAGEL's modeling/bagel package: the names the worker imports."""

import json

import torch

from .bagel import Bagel, BagelConfig


class _JSONConfig:
    @classmethod
    def from_json_file(cls, path):
        config = cls()
        with open(path, encoding="utf-8") as handle:
            config.__dict__.update(json.load(handle))
        return config


class Qwen2Config(_JSONConfig):
    pass


class SiglipVisionConfig(_JSONConfig):
    pass


class Qwen2ForCausalLM(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.lm_head = torch.nn.Linear(2, 2)


class _Embeddings(torch.nn.Module):
    def convert_conv2d_to_linear(self, config, meta=False):
        self.converted = True


class _VisionModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = _Embeddings()


class SiglipVisionModel(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        self.vision_model = _VisionModel()
