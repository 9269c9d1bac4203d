"""Builds a tiny random BAGEL weights folder from a BAGEL checkout's own classes, for the tests.

    PYTHONPATH=workers/tests/cpu_flash_attn python workers/tests/tiny_bagel.py CHECKOUT FOLDER

FOLDER gets what bagel_worker.py reads from BAGEL-7B-MoT: ``llm_config.json`` (a two-layer
Qwen2 with the mixture-of-transformers layers, hidden size 64), ``vit_config.json`` (a two-layer
SigLIP), ``ema.safetensors`` (the ``Bagel`` built from them, as the worker builds it, seeded
random weights), a byte-level tokenizer of our own (``vocab.json``, ``merges.txt``) and
``ae.safetensors``: empty, because ``load_ae`` fixes the autoencoder's sizes (FLUX's) and loads
with ``strict=False``, so the worker's autoencoder keeps its random initial weights.
BAGEL's modules import flash-attn, hence the CPU stand-in on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # workers/
from tiny_showo import byte_vocabulary  # noqa: E402

LLM = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
       "num_key_value_heads": 2, "max_position_embeddings": 4096, "rope_theta": 10000.0,
       "rms_norm_eps": 1e-6, "hidden_act": "silu", "tie_word_embeddings": False, "model_type": "qwen2"}
VIT = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
       "patch_size": 14, "image_size": 28, "num_channels": 3, "layer_norm_eps": 1e-6,
       "hidden_act": "gelu_pytorch_tanh", "model_type": "siglip_vision_model"}


def build(checkout: str, folder: str) -> None:
    sys.path.insert(0, checkout)
    import torch
    from safetensors.torch import save_file
    from modeling.autoencoder import AutoEncoderParams
    from modeling.bagel import Bagel, Qwen2ForCausalLM, SiglipVisionModel

    torch.manual_seed(0)
    os.makedirs(folder, exist_ok=True)
    vocabulary = byte_vocabulary()
    # Exactly the tokenizer's ids once add_special_tokens has added its four (<|im_start|>,
    # <|im_end|>, <|vision_start|>, <|vision_end|>): a plan can then only hold tokens that decode.
    llm = {**LLM, "vocab_size": len(vocabulary) + 4}
    for name, config in (("llm_config.json", llm), ("vit_config.json", VIT)):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
            json.dump(config, handle)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as handle:
        json.dump(vocabulary, handle)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as handle:
        handle.write("#version: 0.2\n")
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as handle:
        json.dump({"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
                   "model_max_length": 4096}, handle)
    save_file({}, os.path.join(folder, "ae.safetensors"))

    # Configured exactly as the worker configures it.
    from bagel_worker import bagel_config
    config = bagel_config(folder, AutoEncoderParams(resolution=256, in_channels=3, downsample=8, ch=128,
                                                    out_ch=3, ch_mult=[1, 2, 4, 4], num_res_blocks=2,
                                                    z_channels=16, scale_factor=0.3611, shift_factor=0.1159))
    llm_config, vit_config = config.llm_config, config.vit_config
    model = Bagel(Qwen2ForCausalLM(llm_config), SiglipVisionModel(vit_config), config)
    model.vit_model.vision_model.embeddings.convert_conv2d_to_linear(vit_config)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0.0, 0.05)
    save_file({key: value.contiguous() for key, value in model.state_dict().items()},
              os.path.join(folder, "ema.safetensors"))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: tiny_bagel.py CHECKOUT FOLDER")
    build(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
