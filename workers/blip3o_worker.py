#!/usr/bin/env python3
"""A wise worker for BLIP3-o (4B, 8B), run through the code of a BLIP3o checkout (protocol 1).

What the repository's inference script does (inference.py and eval/geneval/generate.py on its
``main`` branch; the default branch now holds BLIP3o-NEXT, a different model), and so this
worker: ``blip3o.model.builder.load_pretrained_model(checkpoint)`` gives the tokenizer and the
Qwen2.5-VL-based model (it puts the model on ``cuda:0`` itself, so this worker needs a GPU); the
image decoder is the checkpoint's own diffusers pipeline, ``DiffusionPipeline.from_pretrained(
checkpoint/diffusion-decoder, custom_pipeline="pipeline_llava_gen", variant="bf16",
multimodal_encoder=model, tokenizer=tokenizer)``, whose code ships with the weights, not with the
repository; the prompt is "Please generate image based on the following caption: PROMPT" put
through the repository's ``conv_templates['qwen']``; guidance 3.0 (their scripts' value).

    python workers/blip3o_worker.py --repo ~/BLIP3o --model BLIP3o/BLIP3o-Model-8B \
        --dtype bfloat16 --device cuda

(``git clone -b main https://github.com/JiuhaiChen/BLIP3o``; a hub id is downloaded first, since
the script reads the decoder from the checkpoint's folder.) The image size is the decoder's
(``--width``/``--height`` say what to expect, 1024 by default; an image of another size is an
error). Steps: the decoder pipeline's default unless a request sends some.

Seeding: their scripts seed Python, NumPy and torch once; this worker seeds them per request, and
also hands the pipeline a CPU ``torch.Generator`` seeded from the request when its ``__call__``
takes ``generator`` (recorded in the ready line).

Request options: none; any sent are ignored and named in the reply's metadata.
"""

from __future__ import annotations

import inspect
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repo_worker as rw  # noqa: E402
import wise_protocol as wp  # noqa: E402

UPSTREAM = "https://github.com/JiuhaiChen/BLIP3o"
ENVIRONMENT = "WISE_BLIP3O_REPO"
# nextdit_crossattn.py is on the main branch (BLIP3-o), not on BLIP3o-NEXT's.
REQUIRED = ["blip3o/model/builder.py", "blip3o/conversation.py", "blip3o/utils.py",
            "blip3o/model/nextdit_crossattn.py"]
CAPTION = "Please generate image based on the following caption: {}"
DECODER_PIPELINE = "pipeline_llava_gen"


def parse_arguments(argv=None):
    parser = rw.argument_parser(__doc__, ENVIRONMENT, UPSTREAM,
                                "a BLIP3-o checkpoint folder or hub id, e.g. BLIP3o/BLIP3o-Model-8B")
    parser.add_argument("--guidance", type=float, default=3.0)
    parser.add_argument("--steps", type=int, default=None, help="default: the decoder pipeline's")
    parser.add_argument("--width", type=int, default=1024, help="the decoder's image width")
    parser.add_argument("--height", type=int, default=1024, help="the decoder's image height")
    parser.add_argument("--variant", default="bf16", help="the decoder weights' variant (theirs: bf16)")
    parser.add_argument("--template", default="qwen", help="the conversation template (theirs: qwen)")
    arguments = parser.parse_args(argv)
    rw.check_positive(parser, arguments, "steps", "width", "height")
    return arguments


class BLIP3oWorker(rw.RepoWorker):
    worker_name = "blip3o"
    any_size = False

    def load(self) -> None:
        from blip3o.conversation import conv_templates
        from blip3o.model.builder import load_pretrained_model
        from blip3o.utils import disable_torch_init
        from diffusers import DiffusionPipeline

        a = self.arguments
        if a.template not in conv_templates:
            raise ValueError(f"no conversation template {a.template!r} in blip3o.conversation")
        self.template = conv_templates[a.template]
        self.folder = a.model if os.path.isdir(a.model) else self.download(a.model)
        disable_torch_init()
        self.tokenizer, self.model, _ = load_pretrained_model(self.folder)
        # The decoder is code that ships with the weights: running it is running the model, as
        # their script does (diffusers 0.42 refuses a local custom pipeline without trust_remote_code).
        self.pipe = DiffusionPipeline.from_pretrained(
            os.path.join(self.folder, "diffusion-decoder"), custom_pipeline=DECODER_PIPELINE,
            torch_dtype=self.dtype, use_safetensors=True, variant=a.variant, trust_remote_code=True,
            multimodal_encoder=self.model, tokenizer=self.tokenizer, safety_checker=None)
        self.pipe.vae.to(a.device)
        self.pipe.unet.to(a.device)
        parameters = inspect.signature(self.pipe.__call__).parameters
        self.takes_generator = "generator" in parameters
        self.takes_steps = "num_inference_steps" in parameters

    @staticmethod
    def download(model_id: str) -> str:
        from huggingface_hub import snapshot_download
        return snapshot_download(repo_id=model_id, repo_type="model")

    def settings(self) -> dict:
        a = self.arguments
        return {**self.defaults(), **rw.versions("transformers", "diffusers"),
                "checkpoint": self.folder, "template": a.template, "variant": a.variant,
                "caption": CAPTION.format("PROMPT"), "decoder_pipeline": type(self.pipe).__name__,
                "model_class": type(self.model).__name__, "noise_generator": self.takes_generator}

    def prompt_text(self, prompt: str) -> str:
        """The request's prompt in their caption sentence, as one user turn of the template."""
        conversation = self.template.copy()
        conversation.append_message(conversation.roles[0], CAPTION.format(prompt))
        conversation.append_message(conversation.roles[1], None)
        return conversation.get_prompt()

    def generate(self, request, width, height, steps, guidance):
        call = {"guidance_scale": guidance}
        if steps is not None:
            if not self.takes_steps:
                raise wp.BadRequest("steps: this decoder pipeline takes none (send null)")
            call["num_inference_steps"] = steps
        if self.takes_generator:
            call["generator"] = self.noise_generator(request.seed)
        output = self.pipe([self.prompt_text(request.prompt)], **call)
        return output.image, {}


def main(argv=None) -> int:
    return rw.main(BLIP3oWorker, parse_arguments, REQUIRED, ENVIRONMENT, UPSTREAM, argv)


if __name__ == "__main__":
    sys.exit(main())
