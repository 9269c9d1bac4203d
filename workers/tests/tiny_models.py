"""Tiny random-initialised models built in code, for tests and device checks (no hub needed).

    python workers/tests/tiny_models.py NAME OUT_DIR      (NAME: a key of BUILDERS, at the end)

The weights are drawn from a fixed torch seed, so the same versions of torch, transformers and
diffusers build the same model every time. Tokenizers are built from vocabularies of our own.
"""

from __future__ import annotations

import importlib
import os
import string
import sys


def tiny_clip_tokenizer():
    """A CLIP BPE tokenizer over a small vocabulary of our own: letters, digits, a few merges."""
    from transformers import CLIPTokenizer

    symbols = list(string.ascii_lowercase + string.digits + ".,'!?-")
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in symbols:
        vocab[symbol] = len(vocab)
    for symbol in symbols:
        vocab[symbol + "</w>"] = len(vocab)
    merges = [("t", "h"), ("th", "e</w>"), ("a", "n"), ("an", "d</w>"), ("o", "f</w>"),
              ("i", "n"), ("e", "r"), ("o", "n</w>")]
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77,
                         bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                         pad_token="<|endoftext|>", unk_token="<|endoftext|>")


def tiny_stable_diffusion(seed: int = 0):
    """A StableDiffusionPipeline of a few hundred thousand random parameters; 64x64 by default."""
    import torch
    from diffusers import (AutoencoderKL, DDIMScheduler, StableDiffusionPipeline,
                           UNet2DConditionModel)
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    tokenizer = tiny_clip_tokenizer()
    unet = UNet2DConditionModel(
        sample_size=32, in_channels=4, out_channels=4, layers_per_block=1,
        block_out_channels=(32, 64), norm_num_groups=32,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, attention_head_dim=8)
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1,
        block_out_channels=(32, 64), norm_num_groups=32,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"), sample_size=64)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=77, bos_token_id=0, eos_token_id=1,
        pad_token_id=1, projection_dim=32))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    return StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                   unet=unet, scheduler=scheduler, safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)


def tiny_flagging_stable_diffusion(seed: int = 0):
    """The tiny pipeline with a tiny random safety checker whose thresholds flag every image.

    The checker compares an image's embedding with 17 concept embeddings and flags it when a
    cosine similarity exceeds that concept's threshold; thresholds of -2 (below any cosine) make it
    flag everything, so the pipeline returns black images and says so in nsfw_content_detected.
    """
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    pipeline = tiny_stable_diffusion(seed)
    config = CLIPConfig(
        text_config=dict(vocab_size=64, hidden_size=32, intermediate_size=37, num_hidden_layers=1,
                         num_attention_heads=4, max_position_embeddings=77),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1,
                           num_attention_heads=4, image_size=32, patch_size=8),
        projection_dim=32)
    checker = StableDiffusionSafetyChecker(config)
    with torch.no_grad():
        checker.concept_embeds_weights.fill_(-2.0)
    extractor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    return type(pipeline)(vae=pipeline.vae, text_encoder=pipeline.text_encoder, tokenizer=pipeline.tokenizer,
                          unet=pipeline.unet, scheduler=pipeline.scheduler, safety_checker=checker,
                          feature_extractor=extractor, requires_safety_checker=True)


def save_tiny_stable_diffusion(folder: str, seed: int = 0) -> str:
    tiny_stable_diffusion(seed).save_pretrained(folder)
    return folder


def spread_logits(*layers, scale: float = 3.0) -> None:
    """Redraws linear layers that lead to logits with weights of std scale / sqrt(fan-in).

    At transformers' initialisation (std 0.02) a tiny model's logits are all ~0, so sampling is
    near uniform and temperature or guidance hardly moves a draw; spread logits make them matter,
    as in a trained model. Drawn from torch's global generator, so the builder's seed fixes them.
    """
    import torch
    with torch.no_grad():
        for layer in layers:
            layer.weight.normal_(0.0, scale / layer.weight.shape[1] ** 0.5)


JANUS_CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>: "
    "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{{ '\\n\\n' }}{% endfor %}{% if add_generation_prompt %}<|assistant|>:{% endif %}")


def tiny_janus_tokenizer():
    """A Llama (Metaspace BPE) tokenizer: specials, byte fallback, letters, digits, punctuation."""
    from transformers import LlamaTokenizer

    vocab = {}
    for token in ("<unk>", "<s>", "</s>", "<pad>", "<image_placeholder>", "<begin_of_image>",
                  "<end_of_image>"):
        vocab[token] = len(vocab)
    for byte in range(256):                 # byte fallback: any text has tokens, none are lost
        vocab[f"<0x{byte:02X}>"] = len(vocab)
    for symbol in ["\u2581"] + list(string.ascii_letters + string.digits + ".,'!?-:|<>"):
        vocab.setdefault(symbol, len(vocab))
    return LlamaTokenizer(vocab=vocab, merges=[], unk_token="<unk>", bos_token="<s>",
                          eos_token="</s>", pad_token="<pad>", add_bos_token=True,
                          extra_special_tokens={"image_token": "<image_placeholder>",
                                                "boi_token": "<begin_of_image>",
                                                "eoi_token": "<end_of_image>"})


def tiny_janus(seed: int = 0, image_size: int = 32, patch_size: int = 8, heads_per_kv: int = 2):
    """A JanusForConditionalGeneration and its JanusProcessor, ~450k random parameters.

    The image is ``image_size`` square, made of (image_size / patch_size)^2 image tokens (16 by
    default) from a 64-code VQ whose decoder upsamples each token by ``patch_size``.
    """
    import torch
    from transformers import (GenerationConfig, JanusConfig, JanusForConditionalGeneration,
                              JanusImageProcessorPil, JanusProcessor, JanusVisionConfig,
                              JanusVQVAEConfig, LlamaConfig)

    levels = patch_size.bit_length()        # the VQ decoder doubles the size levels - 1 times
    assert patch_size == 2 ** (levels - 1) and image_size % patch_size == 0
    tokens = (image_size // patch_size) ** 2
    torch.manual_seed(seed)
    tokenizer = tiny_janus_tokenizer()
    ids = tokenizer.convert_tokens_to_ids
    hidden = 32
    text_config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4 // heads_per_kv, max_position_embeddings=512,
        bos_token_id=ids("<s>"), eos_token_id=ids("</s>"), pad_token_id=ids("<pad>"))
    vision_config = JanusVisionConfig(
        hidden_size=hidden, num_hidden_layers=1, num_attention_heads=4, mlp_ratio=2.0,
        image_size=image_size, patch_size=patch_size, projection_dim=hidden,
        num_image_tokens=tokens)
    vq_config = JanusVQVAEConfig(
        embed_dim=8, num_embeddings=64, latent_channels=32, base_channels=32,
        channel_multiplier=[1] * levels, num_res_blocks=1, projection_dim=hidden,
        image_token_embed_dim=hidden, num_hidden_layers=2)
    config = JanusConfig(text_config=text_config, vision_config=vision_config, vq_config=vq_config,
                         image_token_id=ids("<image_placeholder>"))
    model = JanusForConditionalGeneration(config).eval()
    head = model.model.generation_head          # image-token logits
    spread_logits(head.proj_out, scale=1.0)
    spread_logits(head.vision_head)
    # What Janus checkpoints carry: generate(generation_mode="image") reads boi_token_id here.
    model.generation_config = GenerationConfig(
        bos_token_id=ids("<s>"), eos_token_id=ids("</s>"), pad_token_id=ids("<pad>"),
        guidance_scale=5.0, generation_kwargs={"boi_token_id": ids("<begin_of_image>")})
    image_processor = JanusImageProcessorPil(size={"height": image_size, "width": image_size},
                                             min_size=4)
    processor = JanusProcessor(image_processor=image_processor, tokenizer=tokenizer,
                               chat_template=JANUS_CHAT_TEMPLATE, num_image_tokens=tokens)
    return model, processor


# The chat template transformers' convert_janus_weights_to_hf.py gives every converted checkpoint
# (roles <|User|> and <|Assistant|>, turns ended by a blank line): shortened to text parts.
JANUS_CONVERTED_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role']|lower == 'user' %}<|User|>: {% else %}<|Assistant|>: {% endif %}"
    "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{{ '\\n\\n' }}{% endfor %}{% if add_generation_prompt %}<|Assistant|>:{% endif %}")


def tiny_janus_converted(seed: int = 0):
    """A tiny Janus saved the way transformers' convert_janus_weights_to_hf.py saves a checkpoint it
    converts from DeepSeek's original format (how a user gets a Janus-1.3B in transformers format:
    no converted one is published): ``boi_token_id`` at the top of the generation config, where
    ``generate(generation_mode="image")`` in transformers 5.24 reads it from ``generation_kwargs``;
    the converter's chat template and its default system prompt setting.

    The same shape family as Janus-1.3B and Janus-Pro-1B (both a 24-layer, 2048-wide DeepSeek LLM
    with multi-head attention, a SigLIP-L encoder and a 16384-code VQ at 384x384): one key-value
    head per attention head and the aligners as wide as the text model, scaled down.
    """
    from transformers import GenerationConfig, JanusProcessor

    model, processor = tiny_janus(seed, heads_per_kv=1)
    ids = processor.tokenizer.convert_tokens_to_ids
    model.generation_config = GenerationConfig(
        bos_token_id=ids("<s>"), eos_token_id=ids("</s>"), pad_token_id=ids("<pad>"),
        temperature=1.0, guidance_scale=5.0, boi_token_id=ids("<begin_of_image>"))
    processor = JanusProcessor(image_processor=processor.image_processor, tokenizer=processor.tokenizer,
                               chat_template=JANUS_CONVERTED_CHAT_TEMPLATE, use_default_system_prompt=True,
                               num_image_tokens=processor.num_image_tokens)
    return model, processor


def save_model_and_processor(build, folder: str, seed: int = 0) -> str:
    """Saves what ``build(seed)`` returns, a model and its processor, into one folder."""
    model, processor = build(seed)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def tiny_emu3_tokenizer(codebook_size: int):
    """A GPT-2 byte-level BPE tokenizer: the 256 byte symbols, Emu3's special tokens (as the
    BAAI/Emu3 checkpoints name them) and one ``<|visual tokenNNNNNN|>`` per VQ code."""
    from tokenizers import pre_tokenizers
    from transformers import GPT2Tokenizer

    vocab = {}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    named = {"image_token": "<image>", "boi_token": "<|image start|>", "eoi_token": "<|image end|>",
             "image_wrapper_token": "<|image token|>", "eof_token": "<|extra_201|>"}
    eol = "<|extra_200|>"                   # ends each row of visual tokens
    visual = [f"<|visual token{code:06d}|>" for code in range(codebook_size)]
    for token in ["<|endoftext|>", "<|extra_203|>", "<|extra_204|>", eol, *named.values(), *visual]:
        vocab[token] = len(vocab)
    tokenizer = GPT2Tokenizer(vocab=vocab, merges=[], bos_token="<|extra_203|>",
                              eos_token="<|extra_204|>", pad_token="<|endoftext|>",
                              unk_token="<|endoftext|>", extra_special_tokens=named)
    tokenizer.add_tokens([eol, *visual], special_tokens=True)   # never split, keep their ids
    return tokenizer


def tiny_emu3(seed: int = 0, codebook_size: int = 32):
    """An Emu3ForConditionalGeneration and its Emu3Processor, ~430k random parameters.

    The VQ has 4 levels like Emu3's, so a token stands for 8x8 pixels, as Emu3Processor assumes;
    the processor's default image area (720x720) does not survive save_pretrained, so the worker
    is told the area (``--image-area 1024``: a 4x4 token grid, a 32x32 image).
    """
    import torch
    from transformers import (Emu3Config, Emu3ForConditionalGeneration, Emu3ImageProcessor,
                              Emu3Processor, Emu3TextConfig, Emu3VQVAEConfig, GenerationConfig)

    torch.manual_seed(seed)
    tokenizer = tiny_emu3_tokenizer(codebook_size)
    text_config = Emu3TextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id)
    vq_config = Emu3VQVAEConfig(
        codebook_size=codebook_size, embed_dim=4, latent_channels=4, temporal_downsample_factor=4,
        base_channels=32, channel_multiplier=[1, 1, 1, 1], num_res_blocks=1, attn_resolutions=[3],
        hidden_size=32, num_attention_heads=1)
    config = Emu3Config(text_config=text_config, vq_config=vq_config,
                        vocabulary_map=tokenizer.get_vocab())
    model = Emu3ForConditionalGeneration(config).eval()
    spread_logits(model.lm_head)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id)
    image_processor = Emu3ImageProcessor(min_pixels=16 * 16, max_pixels=64 * 64)
    processor = Emu3Processor(image_processor=image_processor, tokenizer=tokenizer)
    return model, processor


HUNYUAN_STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hunyuan_standin")


def save_tiny_hunyuan_standin(folder: str, seed: int = 0) -> str:
    """A model folder laid out like tencent/HunyuanImage-3.0's (config.json naming
    HunyuanImage3ForCausalMM and, in auto_map, the folder's own configuration_hunyuan.py and
    hunyuan.py; weights; generation_config.json with the diffusion settings; tokenizer.json) whose
    code is wise's stand-in (hunyuan_standin/), since the real code needs CUDA. Loaded with
    AutoModelForCausalLM and trust_remote_code, like the real one."""
    import importlib.util
    import json
    import shutil
    import torch
    from transformers import GenerationConfig

    os.makedirs(folder, exist_ok=True)
    for name in ("configuration_hunyuan.py", "hunyuan.py"):
        shutil.copy(os.path.join(HUNYUAN_STANDIN, name), os.path.join(folder, name))
    # Imported as a package from the copy, as trust_remote_code will import it.
    package = f"hunyuan_standin_build_{os.getpid()}"
    spec = importlib.util.spec_from_file_location(package, os.path.join(folder, "__init__.py"),
                                                  submodule_search_locations=[folder])
    open(os.path.join(folder, "__init__.py"), "w").close()
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    spec.loader.exec_module(module)
    modeling = importlib.import_module(f"{package}.hunyuan")
    torch.manual_seed(seed)
    config = modeling.HunyuanImage3Config()
    config.auto_map = {"AutoConfig": "configuration_hunyuan.HunyuanImage3Config",
                       "AutoModelForCausalLM": "hunyuan.HunyuanImage3ForCausalMM"}
    model = modeling.HunyuanImage3ForCausalMM(config)
    model.generation_config = GenerationConfig(diff_infer_steps=4, diff_guidance_scale=5.0,
                                               bot_task="image", use_system_prompt="None")
    model.save_pretrained(folder)
    model.generation_config.save_pretrained(folder)
    os.remove(os.path.join(folder, "__init__.py"))
    with open(os.path.join(folder, "tokenizer.json"), "w") as handle:
        json.dump({"stand-in": True}, handle)
    return folder


QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}{{ part['text'] }}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def tiny_qwen_tokenizer():
    """A Qwen2 byte-level BPE tokenizer: the 256 byte symbols, a few merges, Qwen's chat markers
    (<|im_start|>, <|im_end|>) and a ChatML template, as the Qwen text encoders of FLUX.2-klein,
    Z-Image, Qwen-Image and LongCat-Image expect."""
    from tokenizers import pre_tokenizers
    from transformers import Qwen2Tokenizer

    vocab = {}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    merges = [("\u0120", "t"), ("h", "e"), ("\u0120t", "he"), ("\u0120", "a"), ("i", "n"), ("e", "r")]
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    markers = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    for token in markers:
        vocab[token] = len(vocab)
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges, eos_token="<|im_end|>",
                               pad_token="<|endoftext|>", unk_token="<|endoftext|>")
    tokenizer.add_special_tokens({"additional_special_tokens": markers[1:]})   # never split
    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    return tokenizer


def tiny_qwen_vl_text_encoder(vocab_size: int):
    """A Qwen2.5-VL of 2 text layers (hidden 16) and a 1-layer vision tower it never uses; the
    vision token ids lie past the vocabulary, so no text token is taken for an image one."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    config = Qwen2_5_VLConfig(
        text_config={"vocab_size": vocab_size, "hidden_size": 16, "intermediate_size": 32,
                     "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
                     "bos_token_id": vocab_size - 2, "eos_token_id": vocab_size - 1,   # im_start, im_end
                     "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"}},
        vision_config={"depth": 1, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2,
                       "out_hidden_size": 16},
        vision_start_token_id=vocab_size + 1, vision_end_token_id=vocab_size + 2,
        vision_token_id=vocab_size + 3, image_token_id=vocab_size + 4, video_token_id=vocab_size + 5)
    return Qwen2_5_VLForConditionalGeneration(config).eval()


def tiny_flat_vae(latent_channels: int):
    """An AutoencoderKL that downsamples 2x (two 32-channel levels), with FLUX-style scaling and
    shift factors (the flow-matching pipelines read both)."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=latent_channels, layers_per_block=1,
        block_out_channels=(32, 32), norm_num_groups=32,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
        sample_size=32, scaling_factor=0.3611, shift_factor=0.1159)


def tiny_z_image(seed: int = 0):
    """A ZImagePipeline (a 2-layer Z-Image transformer, a 2-layer Qwen3 text encoder, a 2x VAE);
    sizes are multiples of 4 (2x VAE, 2x2 patches)."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, ZImagePipeline, ZImageTransformer2DModel
    from transformers import Qwen3Config, Qwen3Model

    torch.manual_seed(seed)
    tokenizer = tiny_qwen_tokenizer()
    transformer = ZImageTransformer2DModel(
        all_patch_size=(2,), all_f_patch_size=(1,), in_channels=4, dim=32, n_layers=2,
        n_refiner_layers=1, n_heads=2, n_kv_heads=2, qk_norm=True, cap_feat_dim=16,
        axes_dims=[8, 4, 4], axes_lens=[256, 32, 32])
    with torch.no_grad():                   # created with torch.empty: give them fixed values
        transformer.x_pad_token.fill_(1.0)
        transformer.cap_pad_token.fill_(1.0)
    text_encoder = Qwen3Model(Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, head_dim=8, max_position_embeddings=1024))
    return ZImagePipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=tiny_flat_vae(4),
                          text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer)


def tiny_qwen_image(seed: int = 0):
    """A QwenImagePipeline (2-layer transformer, a Qwen-Image VAE of 3 levels, a tiny Qwen2.5-VL);
    sizes are multiples of 16 (8x VAE, 2x2 patches), as for the released model."""
    import torch
    from diffusers import (AutoencoderKLQwenImage, FlowMatchEulerDiscreteScheduler, QwenImagePipeline,
                           QwenImageTransformer2DModel)

    torch.manual_seed(seed)
    tokenizer = tiny_qwen_tokenizer()
    transformer = QwenImageTransformer2DModel(
        patch_size=2, in_channels=16, out_channels=4, num_layers=2, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=16, guidance_embeds=False, axes_dims_rope=(8, 4, 4))
    vae = AutoencoderKLQwenImage(base_dim=24, z_dim=4, dim_mult=[1, 2, 4], num_res_blocks=1,
                                 temperal_downsample=[False, True], latents_mean=[0.0] * 4,
                                 latents_std=[1.0] * 4)
    return QwenImagePipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae,
                             text_encoder=tiny_qwen_vl_text_encoder(len(tokenizer)),
                             tokenizer=tokenizer, transformer=transformer)


def tiny_flux2_transformer_and_vae(guidance_embeds: bool):
    """A 1+1-layer FLUX.2 transformer taking text features of 48 (3 stacked hidden states of 16)
    and a 2x FLUX.2 VAE of 4 latent channels: what FLUX.2-dev and FLUX.2-klein pipelines share."""
    from diffusers import AutoencoderKLFlux2, Flux2Transformer2DModel

    transformer = Flux2Transformer2DModel(
        patch_size=1, in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=48, timestep_guidance_channels=32,
        axes_dims_rope=[4, 4, 4, 4], guidance_embeds=guidance_embeds)
    vae = AutoencoderKLFlux2(
        sample_size=32, in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(32, 32), layers_per_block=1,
        latent_channels=4, norm_num_groups=32, use_quant_conv=False, use_post_quant_conv=False)
    return transformer, vae


def tiny_flux2_klein(seed: int = 0, distilled: bool = False):
    """A Flux2KleinPipeline: a 1+1-layer FLUX.2 transformer, a Qwen3 causal LM of 27 layers (hidden
    16; the pipeline stacks hidden states 9, 18 and 27, as for the released model), a 2x FLUX.2 VAE;
    sizes are multiples of 4. ``distilled`` marks it step-distilled (is_distilled), as the released
    FLUX.2-klein 4B and 9B are."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Flux2KleinPipeline
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(seed)
    tokenizer = tiny_qwen_tokenizer()
    transformer, vae = tiny_flux2_transformer_and_vae(guidance_embeds=False)
    text_encoder = Qwen3ForCausalLM(Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=27,
        num_attention_heads=2, num_key_value_heads=2, head_dim=8, max_position_embeddings=1024))
    return Flux2KleinPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae,
                              text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer,
                              is_distilled=distilled)


def tiny_longcat_image(seed: int = 0):
    """A LongCatImagePipeline (1+1-layer transformer, a tiny Qwen2.5-VL, a 2x VAE of 16 latent
    channels, which the pipeline assumes); sizes are multiples of 4.

    Its text_processor (a Qwen2VLProcessor, used only to rewrite prompts) needs torchvision for
    its video half, which this environment lacks; the tokenizer stands in (it has the chat
    template and the calls prompt rewriting makes), and the worker is run with rewriting off.
    """
    import torch
    from diffusers import (FlowMatchEulerDiscreteScheduler, LongCatImagePipeline,
                           LongCatImageTransformer2DModel)

    torch.manual_seed(seed)
    tokenizer = tiny_qwen_tokenizer()
    transformer = LongCatImageTransformer2DModel(
        patch_size=1, in_channels=64, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=16, pooled_projection_dim=16,
        axes_dims_rope=[4, 6, 6])
    return LongCatImagePipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=tiny_flat_vae(16),
                                text_encoder=tiny_qwen_vl_text_encoder(len(tokenizer)),
                                tokenizer=tokenizer, text_processor=tiny_qwen_tokenizer(),
                                transformer=transformer)


MISTRAL_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}[SYSTEM_PROMPT]"
    "{% elif message['role'] == 'user' %}[INST]{% endif %}"
    "{% for part in message['content'] %}{{ part['text'] }}{% endfor %}"
    "{% if message['role'] == 'system' %}[/SYSTEM_PROMPT]{% elif message['role'] == 'user' %}[/INST]"
    "{% endif %}{% endfor %}")


def tiny_flux2(seed: int = 0):
    """A Flux2Pipeline (FLUX.2-dev's): a 1+1-layer FLUX.2 transformer with guidance embedding, a
    Mistral3 of 30 text layers (hidden 16; the pipeline stacks hidden states 10, 20 and 30, as
    for the released model) and a 1-layer Pixtral vision tower it never uses, a 2x FLUX.2 VAE;
    sizes are multiples of 4.

    The released pipeline's ``tokenizer`` is a PixtralProcessor, which transformers 5.24 refuses
    to build without torchvision (absent here); a byte-level tokenizer with Mistral's chat markers
    stands in: the pipeline only calls its apply_chat_template, which tokenizers have too.
    """
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Flux2Pipeline
    from transformers import Mistral3Config, Mistral3ForConditionalGeneration

    torch.manual_seed(seed)
    tokenizer = tiny_qwen_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": [
        "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[INST]", "[/INST]", "[IMG]", "[IMG_BREAK]", "[IMG_END]"]})
    tokenizer.chat_template = MISTRAL_CHAT_TEMPLATE
    config = Mistral3Config(
        text_config={"model_type": "mistral", "vocab_size": len(tokenizer), "hidden_size": 16,
                     "intermediate_size": 32, "num_hidden_layers": 30, "num_attention_heads": 2,
                     "num_key_value_heads": 2, "head_dim": 8, "max_position_embeddings": 2048,
                     "pad_token_id": tokenizer.pad_token_id},
        vision_config={"model_type": "pixtral", "hidden_size": 16, "intermediate_size": 32,
                       "num_hidden_layers": 1, "num_attention_heads": 2, "head_dim": 8,
                       "image_size": 32, "patch_size": 16},
        image_token_index=tokenizer.convert_tokens_to_ids("[IMG]"), spatial_merge_size=1)
    transformer, vae = tiny_flux2_transformer_and_vae(guidance_embeds=True)
    return Flux2Pipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae,
                         text_encoder=Mistral3ForConditionalGeneration(config).eval(),
                         tokenizer=tokenizer, transformer=transformer)


SEED_ONLY_PIPELINE_CODE = '''"""A pipeline shipped as the model's own code, taking seed= and no generator (as DeepGen 1.0's)."""
import torch
from PIL import Image
from diffusers import DiffusionPipeline
from diffusers.pipelines.pipeline_utils import ImagePipelineOutput


class SeedOnlyPipeline(DiffusionPipeline):
    def __init__(self):
        super().__init__()

    @torch.no_grad()
    def __call__(self, prompt, height=512, width=512, num_inference_steps=50, guidance_scale=4.0,
                 negative_prompt=None, seed=42, **kwargs):
        prompts = [prompt] if isinstance(prompt, str) else prompt
        generator = torch.Generator().manual_seed(seed)     # one per call, as such pipelines do
        images = []
        for text in prompts:
            noise = torch.rand(height, width, 3, generator=generator)
            shade = (sum(text.encode()) % 97) / 97 * guidance_scale / (1 + num_inference_steps)
            images.append(Image.fromarray(((noise + shade) % 1 * 255).to(torch.uint8).numpy()))
        return ImagePipelineOutput(images=images)
'''


def save_seed_only_remote_pipeline(folder: str) -> str:
    """A folder whose model_index.json names a pipeline class in the folder's own seed_pipeline.py,
    which diffusers loads only with trust_remote_code: the shape of DeepGen-1.0-diffusers, whose
    call takes seed= instead of generators. No weights: its images come from the seed and prompt."""
    import json
    import os

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed_pipeline.py"), "w", encoding="utf-8") as handle:
        handle.write(SEED_ONLY_PIPELINE_CODE)
    with open(os.path.join(folder, "model_index.json"), "w", encoding="utf-8") as handle:
        json.dump({"_class_name": ["seed_pipeline", "SeedOnlyPipeline"], "_diffusers_version": "0.42.1"},
                  handle)
    return folder


def save_pipeline(build, folder: str, seed: int = 0) -> str:
    """Saves the pipeline ``build(seed)`` returns into a folder DiffusionPipeline can load."""
    build(seed).save_pretrained(folder)
    return folder


BUILDERS = {"stable-diffusion": save_tiny_stable_diffusion,
            "stable-diffusion-flagging": lambda folder: tiny_flagging_stable_diffusion().save_pretrained(folder) or folder,
            "janus": lambda folder: save_model_and_processor(tiny_janus, folder),
            # Seed 1: from seed 0 its image logits are so peaked that seeds 1001 and 1003 draw the same tokens.
            "janus-converted": lambda folder: save_model_and_processor(tiny_janus_converted, folder, seed=1),
            "emu3": lambda folder: save_model_and_processor(tiny_emu3, folder),
            "hunyuan-standin": save_tiny_hunyuan_standin,
            "z-image": lambda folder: save_pipeline(tiny_z_image, folder),
            "qwen-image": lambda folder: save_pipeline(tiny_qwen_image, folder),
            "flux2": lambda folder: save_pipeline(tiny_flux2, folder),
            "flux2-klein": lambda folder: save_pipeline(tiny_flux2_klein, folder),
            "flux2-klein-distilled": lambda folder: save_pipeline(
                lambda seed: tiny_flux2_klein(seed, distilled=True), folder),
            "longcat-image": lambda folder: save_pipeline(tiny_longcat_image, folder),
            "seed-only-remote": save_seed_only_remote_pipeline}


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in BUILDERS:
        sys.exit(f"usage: tiny_models.py {'|'.join(BUILDERS)} OUT_DIR")
    BUILDERS[sys.argv[1]](sys.argv[2])
    print(sys.argv[2])
