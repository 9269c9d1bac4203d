#!/usr/bin/env python3
"""A wise worker for UniWorld-V1, run through the code of a UniWorld-V1 checkout (protocol 1).

What the repository's WISE sampler does (univa/eval/wise/step1_gen_samples.py with
univa/eval/wise/wise.yaml), and so this worker: the prompt goes through the Qwen2.5-VL
processor's chat template as one user turn, with the template's first (system) turn cut off;
``UnivaQwen2p5VLForConditionalGeneration(..., output_type="denoise_embeds")`` turns it into
FLUX conditioning, to which the T5 embedding of the prompt (256 tokens) is appended
(``joint_with_t5: true``; ``univa.utils.denoiser_prompt_embedding_flux.encode_prompt`` also gives
CLIP's pooled embedding); the repository's own ``univa.utils.flux_pipeline.FluxPipeline``, loaded
from FLUX.1-dev with the model's denoise tower as its transformer, makes the image: 1024x1024,
28 steps, guidance 3.5 (FLUX.1-dev's embedded guidance). The SigLIP tower their script also
loads is used only for input images, so a text-to-image worker does not load it.

    python workers/uniworld_worker.py --repo ~/UniWorld-V1 --model LanguageBind/UniWorld-V1 \
        --denoiser black-forest-labs/FLUX.1-dev --dtype bfloat16 --device cuda

Seeding: Python's, NumPy's and torch's global generators per request (their script seeds once a
run), and the initial noise from a CPU ``torch.Generator`` seeded from the request, so an image
depends only on (checkout, weights, settings, prompt, seed). Their script asks for flash
attention 2; this worker defaults to PyTorch's sdpa (``--attention``), which is recorded.

Request options: ``joint_with_t5`` (boolean, default ``--joint-with-t5``). Others are ignored
and named in the reply's metadata.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repo_worker as rw  # noqa: E402
import wise_protocol as wp  # noqa: E402

UPSTREAM = "https://github.com/PKU-YuanGroup/UniWorld-V1"
ENVIRONMENT = "WISE_UNIWORLD_REPO"
REQUIRED = ["univa/models/qwen2p5vl/modeling_univa_qwen2p5vl.py", "univa/utils/flux_pipeline.py",
            "univa/utils/denoiser_prompt_embedding_flux.py"]
T5_TOKENS = 256     # the length their sampler encodes the prompt to


def parse_arguments(argv=None):
    parser = rw.argument_parser(__doc__, ENVIRONMENT, UPSTREAM,
                                "the UniWorld-V1 weights (hub id or folder), e.g. LanguageBind/UniWorld-V1")
    parser.add_argument("--denoiser", default="black-forest-labs/FLUX.1-dev",
                        help="the FLUX.1-dev folder or hub id whose VAE, text encoders and scheduler are used")
    parser.add_argument("--steps", type=int, default=28)
    parser.add_argument("--guidance", type=float, default=3.5)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=1024)
    parser.add_argument("--joint-with-t5", action=argparse.BooleanOptionalAction, default=True,
                        help="append the prompt's T5 embedding to the model's (their WISE setting: on)")
    parser.add_argument("--attention", default="sdpa",
                        help="the Qwen2.5-VL attention implementation (their script: flash_attention_2)")
    parser.add_argument("--min-pixels", type=int, default=448 * 448)
    parser.add_argument("--max-pixels", type=int, default=448 * 448)
    parser.add_argument("--local-files-only", action="store_true")
    arguments = parser.parse_args(argv)
    rw.check_positive(parser, arguments, "steps", "width", "height", "min_pixels", "max_pixels")
    return arguments


class UniWorldWorker(rw.RepoWorker):
    worker_name = "uniworld"
    known_options = frozenset({"joint_with_t5"})

    def load(self) -> None:
        from transformers import AutoProcessor
        from univa.models.qwen2p5vl.modeling_univa_qwen2p5vl import UnivaQwen2p5VLForConditionalGeneration
        from univa.utils.denoiser_prompt_embedding_flux import encode_prompt
        from univa.utils.flux_pipeline import FluxPipeline

        a = self.arguments
        common = dict(local_files_only=a.local_files_only)
        self.encode_prompt = encode_prompt
        self.model = UnivaQwen2p5VLForConditionalGeneration.from_pretrained(
            a.model, torch_dtype=self.dtype, attn_implementation=a.attention, **common).to(a.device).eval()
        self.processor = AutoProcessor.from_pretrained(a.model, min_pixels=a.min_pixels,
                                                       max_pixels=a.max_pixels, **common)
        self.pipe = FluxPipeline.from_pretrained(a.denoiser, transformer=self.model.denoise_tower.denoiser,
                                                 torch_dtype=self.dtype, **common).to(a.device)
        self.pipe.set_progress_bar_config(disable=True)

    def settings(self) -> dict:
        a = self.arguments
        return {**self.defaults(), **rw.versions("transformers", "diffusers"),
                "model": a.model, "denoiser": a.denoiser, "joint_with_t5": a.joint_with_t5,
                "attention": a.attention, "min_pixels": a.min_pixels, "max_pixels": a.max_pixels,
                "t5_tokens": T5_TOKENS, "model_class": type(self.model).__name__,
                "pipeline_class": f"{type(self.pipe).__module__}.{type(self.pipe).__name__}"}

    def chat_text(self, prompt: str) -> str:
        """The prompt as one user turn of the processor's chat template, less its first turn
        (the default system turn), as their sampler builds it."""
        conversation = [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
        text = self.processor.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        return "<|im_end|>\n".join(text.split("<|im_end|>\n")[1:])

    def generate(self, request, width, height, steps, guidance):
        torch = self.torch
        joint = request.options.get("joint_with_t5", self.arguments.joint_with_t5)
        if not isinstance(joint, bool):
            raise wp.BadRequest("option 'joint_with_t5' must be true or false")
        # FLUX packs 2x2 latent patches: a size the pipeline would round down is refused instead.
        multiple = self.pipe.vae_scale_factor * 2
        if width % multiple or height % multiple:
            raise wp.BadRequest(f"width and height must be multiples of {multiple} for this model; "
                                f"asked for {width}x{height}")
        device = self.arguments.device
        inputs = self.processor(text=[self.chat_text(request.prompt)], padding=True,
                                return_tensors="pt").to(device)
        embeddings = self.model(inputs.input_ids, attention_mask=inputs.attention_mask,
                                output_type="denoise_embeds")
        encoders = [self.pipe.text_encoder, self.pipe.text_encoder_2]
        tokenizers = [self.pipe.tokenizer, self.pipe.tokenizer_2]
        t5, pooled = self.encode_prompt(encoders, tokenizers, request.prompt if joint else "",
                                        T5_TOKENS, device, 1)
        if joint:
            embeddings = torch.concat([embeddings, t5], dim=1)
        image = self.pipe(prompt_embeds=embeddings, pooled_prompt_embeds=pooled, height=height,
                          width=width, num_inference_steps=steps, guidance_scale=guidance,
                          num_images_per_prompt=1, generator=self.noise_generator(request.seed)).images[0]
        return image, {"joint_with_t5": joint, "condition_tokens": int(embeddings.shape[1])}


def main(argv=None) -> int:
    return rw.main(UniWorldWorker, parse_arguments, REQUIRED, ENVIRONMENT, UPSTREAM, argv)


if __name__ == "__main__":
    sys.exit(main())
