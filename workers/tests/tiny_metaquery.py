"""A tiny random MetaQuery checkpoint, built on the CPU by a metaquery checkout's own classes.

    python workers/tests/tiny_metaquery.py METAQUERY_CHECKOUT OUT_DIR

MetaQuery builds itself from the ids in its config (the MLLM, the SANA transformer, VAE and
schedulers, each loaded with ``from_pretrained``) and tells the MLLM kind and the decoder kind by
substrings of those ids ("Qwen2.5-VL", "Sana"). So this writes OUT_DIR/tiny-Qwen2.5-VL (a
two-layer Qwen2.5-VL with a processor over a byte-level vocabulary of our own) and
OUT_DIR/tiny-Sana (a one-layer SanaTransformer2DModel, a two-level AutoencoderDC, SANA's
flow DPM-Solver scheduler), then has ``models.metaquery.MetaQuery`` build the model from them and
saves it as OUT_DIR/checkpoint, a 32x32 model (16x16 latents, 8 meta-queries, one connector
layer). The checkout's models/model.py imports torchvision, which only its LLaVA-OneVision path
uses; run with a torchvision on the path (the test puts a stub there: workers/README.md).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tiny_uniworld import QWEN_CHAT_TEMPLATE, qwen_tokenizer  # noqa: E402

LATENT_SIZE = 16
VAE_DOWNSAMPLE = 2      # a two-level AutoencoderDC


def save_tiny_qwen2p5vl(folder: str) -> str:
    """A two-layer Qwen2.5-VL and its processor, saved where MetaQuery will see "Qwen2.5-VL"."""
    from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration,
                              Qwen2_5_VLProcessor, Qwen2VLImageProcessor)

    tokenizer, ids = qwen_tokenizer()
    # hidden 64: MetaQuery's connector gives itself hidden_size // 64 heads.
    config = Qwen2_5_VLConfig(
        vocab_size=len(tokenizer) + 4, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        max_window_layers=2, rope_theta=10000.0, tie_word_embeddings=False,
        rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},
        vision_config={"depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
                       "out_hidden_size": 64, "fullatt_block_indexes": [0]},
        bos_token_id=None, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        **ids)
    path = os.path.join(folder, "tiny-Qwen2.5-VL")
    Qwen2_5_VLForConditionalGeneration(config).save_pretrained(path)
    Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(), tokenizer=tokenizer,
                        chat_template=QWEN_CHAT_TEMPLATE).save_pretrained(path)
    return path


def save_tiny_sana(folder: str) -> str:
    """SANA's transformer, deep-compression VAE and scheduler, tiny, in SANA's folder layout."""
    from diffusers import AutoencoderDC, DPMSolverMultistepScheduler, SanaTransformer2DModel

    path = os.path.join(folder, "tiny-Sana")
    SanaTransformer2DModel(
        in_channels=4, out_channels=4, num_attention_heads=2, attention_head_dim=8, num_layers=1,
        num_cross_attention_heads=2, cross_attention_head_dim=8, cross_attention_dim=16,
        caption_channels=16, sample_size=LATENT_SIZE, patch_size=1,
    ).save_pretrained(os.path.join(path, "transformer"))
    AutoencoderDC(
        in_channels=3, latent_channels=4, attention_head_dim=8,
        encoder_block_out_channels=(8, 16), decoder_block_out_channels=(8, 16),
        encoder_layers_per_block=(1, 1), decoder_layers_per_block=(1, 1),
        encoder_qkv_multiscales=((), ()), decoder_qkv_multiscales=((), ()),
        upsample_block_type="interpolate", downsample_block_type="Conv", scaling_factor=0.41407,
    ).save_pretrained(os.path.join(path, "vae"))
    # SANA's released scheduler: DPM-Solver++ over flow sigmas.
    DPMSolverMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0,
    ).save_pretrained(os.path.join(path, "scheduler"))
    return path


def save_tiny_metaquery(checkout: str, folder: str, seed: int = 0) -> str:
    import torch

    torch.manual_seed(seed)
    mllm = save_tiny_qwen2p5vl(folder)
    sana = save_tiny_sana(folder)
    sys.path.insert(0, checkout)
    from models.metaquery import MetaQuery, MetaQueryConfig

    config = MetaQueryConfig(
        mllm_id=mllm, diffusion_model_id=sana, vae_id=sana, noise_scheduler_id=sana,
        scheduler_id=sana, input_size=LATENT_SIZE, in_channels=4, vae_downsample_f=VAE_DOWNSAMPLE,
        num_metaqueries=8, connector_num_hidden_layers=1, max_input_text_tokens=256,
        _gradient_checkpointing=False, loss_type="flow")
    model = MetaQuery(config).eval()
    checkpoint = os.path.join(folder, "checkpoint")
    model.save_pretrained(checkpoint)
    return checkpoint


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: tiny_metaquery.py METAQUERY_CHECKOUT OUT_DIR")
    print(save_tiny_metaquery(sys.argv[1], sys.argv[2]))
