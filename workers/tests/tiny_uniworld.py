"""A tiny random UniWorld-V1, built on the CPU from the classes of a UniWorld-V1 checkout.

    python workers/tests/tiny_uniworld.py UNIWORLD_CHECKOUT OUT_DIR

Writes OUT_DIR/lvlm (a ``UnivaQwen2p5VLForConditionalGeneration``: a two-layer Qwen2.5-VL text
model, a one-block vision tower and the denoise tower holding a one-block FLUX transformer, with
a Qwen2.5-VL processor over a byte-level vocabulary of our own) and OUT_DIR/flux (a FLUX.1-dev
shaped folder: flow-matching scheduler, a small AutoencoderKL, CLIP and T5 text encoders with
tokenizers of our own). The denoise tower's projectors for SigLIP features are the repository's
hard-coded 1152 -> 12288 -> 4096 (about 64M parameters, 260 MB in float32); everything else is
small. Needs the checkout's pinned transformers (4.50) and diffusers (0.32).
"""

from __future__ import annotations

import os
import sys

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>",
                 "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
# Qwen2-VL's chat format, text parts only, with its default system turn (written for this test).
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def byte_level_tokenizer(fast_class, specials: list, **kwargs):
    """A fast tokenizer of ``fast_class`` over the 256 byte-level symbols (no merges) plus
    ``specials``: it encodes any text, a symbol a byte."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: index for index, symbol in enumerate(specials + alphabet)}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    # A sequence of one: CLIPTokenizerFast accepts only a sequence here.
    backend.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.ByteLevel(add_prefix_space=False)])
    backend.decoder = decoders.ByteLevel()
    tokenizer = fast_class(tokenizer_object=backend, **kwargs)
    tokenizer.add_special_tokens({"additional_special_tokens": specials})
    return tokenizer


def qwen_tokenizer():
    """A byte-level Qwen2 tokenizer with Qwen2.5-VL's special tokens, and the ids of its vision
    tokens as Qwen2.5-VL's config names them."""
    from transformers import Qwen2TokenizerFast

    tokenizer = byte_level_tokenizer(Qwen2TokenizerFast, QWEN_SPECIALS, eos_token="<|im_end|>",
                                     pad_token="<|endoftext|>", unk_token=None)
    ids = {name: tokenizer.convert_tokens_to_ids(token) for name, token in [
        ("vision_start_token_id", "<|vision_start|>"), ("vision_end_token_id", "<|vision_end|>"),
        ("image_token_id", "<|image_pad|>"), ("video_token_id", "<|video_pad|>")]}
    return tokenizer, ids


def tiny_flux_parts(transformer):
    """The FLUX.1-dev folder's other parts, sized for ``transformer``."""
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler
    from transformers import (CLIPTextConfig, CLIPTextModel, CLIPTokenizerFast, T5Config,
                              T5EncoderModel, T5TokenizerFast)

    clip_tokenizer = byte_level_tokenizer(
        CLIPTokenizerFast, ["<|startoftext|>", "<|endoftext|>"], model_max_length=77,
        bos_token="<|startoftext|>", eos_token="<|endoftext|>", pad_token="<|endoftext|>",
        unk_token="<|endoftext|>")
    clip = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(clip_tokenizer), hidden_size=transformer.config.pooled_projection_dim,
        intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
        max_position_embeddings=77, bos_token_id=0, eos_token_id=1, pad_token_id=1))
    t5_tokenizer = byte_level_tokenizer(T5TokenizerFast, ["<pad>", "</s>", "<unk>"], extra_ids=0,
                                        pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    t5 = T5EncoderModel(T5Config(
        vocab_size=len(t5_tokenizer), d_model=transformer.config.joint_attention_dim, d_kv=8,
        d_ff=64, num_layers=1, num_heads=4, pad_token_id=0, eos_token_id=1))
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=transformer.config.in_channels // 4,
        layers_per_block=1, block_out_channels=(32, 32), norm_num_groups=32,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
        sample_size=32, scaling_factor=0.3611, shift_factor=0.1159,
        use_quant_conv=False, use_post_quant_conv=False)
    # FLUX.1-dev's scheduler settings (resolution-dependent shift).
    scheduler = FlowMatchEulerDiscreteScheduler(
        shift=3.0, use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15,
        base_image_seq_len=256, max_image_seq_len=4096)
    return dict(scheduler=scheduler, vae=vae, text_encoder=clip, tokenizer=clip_tokenizer,
                text_encoder_2=t5, tokenizer_2=t5_tokenizer)


def save_tiny_uniworld(checkout: str, folder: str, seed: int = 0) -> str:
    import torch
    from diffusers import FluxPipeline, FluxTransformer2DModel
    from transformers import Qwen2VLImageProcessor

    sys.path.insert(0, checkout)
    from univa.models.qwen2p5vl.configuration_univa_qwen2p5vl import UnivaQwen2p5VLConfig
    from univa.models.qwen2p5vl.modeling_univa_qwen2p5vl import UnivaQwen2p5VLForConditionalGeneration
    from transformers import Qwen2_5_VLProcessor

    torch.manual_seed(seed)
    tokenizer, ids = qwen_tokenizer()
    # FLUX.1-dev's shape, shrunk: 16 latent channels become 4 (packed 2x2: 16 in), guidance embedded.
    denoiser = FluxTransformer2DModel(
        patch_size=1, in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=8,
        num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=32,
        guidance_embeds=True, axes_dims_rope=(2, 2, 4))
    config = UnivaQwen2p5VLConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        max_window_layers=2, rope_theta=10000.0, tie_word_embeddings=False,
        rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},
        vision_config={"depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
                       "out_hidden_size": 64, "fullatt_block_indexes": [0]},
        denoise_tower={"denoiser_type": "flux", "output_hidden_size": 32,
                       "denoiser_config": dict(denoiser.config)},
        bos_token_id=None, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        **ids)
    model = UnivaQwen2p5VLForConditionalGeneration(config).eval()
    lvlm = os.path.join(folder, "lvlm")
    model.save_pretrained(lvlm)
    processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(), tokenizer=tokenizer,
                                    chat_template=QWEN_CHAT_TEMPLATE)
    processor.save_pretrained(lvlm)
    flux = FluxPipeline(transformer=model.denoise_tower.denoiser, **tiny_flux_parts(denoiser))
    flux.save_pretrained(os.path.join(folder, "flux"))
    return folder


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: tiny_uniworld.py UNIWORLD_CHECKOUT OUT_DIR")
    print(save_tiny_uniworld(sys.argv[1], sys.argv[2]))
