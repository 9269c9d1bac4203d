#!/usr/bin/env python3
"""A wise worker for MetaQuery, run through the code of a metaquery checkout (protocol 1).

What the repository's WISE sampler does (eval/sample_wise.py), and so this worker: load
``pipeline_metaquery.MetaQueryPipeline.from_pretrained(checkpoint, ignore_mismatched_sizes=True,
_gradient_checkpointing=False)`` (a local folder is first resolved by their
``trainer_utils.find_newest_checkpoint``: the folder itself if it holds weights, else its newest
checkpoint-N), then for each prompt ``pipeline(caption=prompt, image=None, guidance_scale=7.5,
num_inference_steps=30)``: the MLLM reads the prompt followed by the meta-query tokens, the
connector turns their states into the SANA transformer's conditioning, and classifier-free guidance
runs against the negative prompt (their default: empty). The image size is the checkpoint's
(latent ``input_size`` x ``vae_downsample_f``: 512x512 for every SANA config in the repository)
and is in the ready line; a request for another size gets an error. MetaQuery builds itself from
the hub ids in the checkpoint's config (MLLM, SANA transformer, VAE, schedulers) before loading
its weights, so those must be reachable too.

    python workers/metaquery_worker.py --repo ~/metaquery \
        --model xcpan/MetaQuery_Instruct_2.4B_SANA --dtype bfloat16 --device cuda

Seeding: their sampler calls ``seed_everything(seed)`` before each prompt; this worker does the
same with the request's seed and also hands the pipeline a CPU ``torch.Generator`` seeded from it
for the initial noise, so the noise is the same on any card.

Request options: ``negative_prompt`` (string, default ``--negative-prompt``). Others are ignored
and named in the reply's metadata.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repo_worker as rw  # noqa: E402
import wise_protocol as wp  # noqa: E402

UPSTREAM = "https://github.com/facebookresearch/metaquery"
ENVIRONMENT = "WISE_METAQUERY_REPO"
REQUIRED = ["pipeline_metaquery.py", "models/metaquery.py", "models/model.py", "trainer_utils.py"]


def parse_arguments(argv=None):
    parser = rw.argument_parser(__doc__, ENVIRONMENT, UPSTREAM,
                                "a MetaQuery checkpoint (hub id, or a folder: it or its newest checkpoint-N)")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--guidance", type=float, default=7.5)
    parser.add_argument("--negative-prompt", default="", help="the CFG negative prompt (theirs: empty)")
    arguments = parser.parse_args(argv)
    rw.check_positive(parser, arguments, "steps")
    return arguments


class MetaQueryWorker(rw.RepoWorker):
    worker_name = "metaquery"
    known_options = frozenset({"negative_prompt"})
    any_size = False

    def load(self) -> None:
        from pipeline_metaquery import MetaQueryPipeline
        from trainer_utils import find_newest_checkpoint

        a = self.arguments
        self.checkpoint = find_newest_checkpoint(a.model) if os.path.isdir(a.model) else a.model
        if self.checkpoint is None:
            raise FileNotFoundError(f"{a.model} holds no weights and no checkpoint-N folder")
        self.pipeline = MetaQueryPipeline.from_pretrained(
            self.checkpoint, ignore_mismatched_sizes=True, _gradient_checkpointing=False,
            torch_dtype=self.dtype)
        self.pipeline = self.pipeline.to(device=a.device, dtype=self.dtype).eval()
        config = self.pipeline.config
        self.side = int(config.input_size) * int(config.vae_downsample_f)

    def defaults(self) -> dict:
        a = self.arguments
        return {"width": self.side, "height": self.side, "steps": a.steps, "guidance": a.guidance}

    def settings(self) -> dict:
        config = self.pipeline.config
        return {**self.defaults(), **rw.versions("transformers", "diffusers"),
                "checkpoint": self.checkpoint, "negative_prompt": self.arguments.negative_prompt,
                "mllm_id": config.mllm_id, "diffusion_model_id": config.diffusion_model_id,
                "num_metaqueries": config.num_metaqueries,
                "scheduler": type(self.pipeline.scheduler).__name__,
                "model_class": type(self.pipeline).__name__}

    def generate(self, request, width, height, steps, guidance):
        negative = request.options.get("negative_prompt", self.arguments.negative_prompt)
        if not isinstance(negative, str):
            raise wp.BadRequest("option 'negative_prompt' must be a string")
        output = self.pipeline(caption=request.prompt, image=None, negative_prompt=negative,
                               guidance_scale=guidance, num_inference_steps=steps,
                               generator=self.noise_generator(request.seed), enable_progress_bar=False)
        return output.images[0], {"negative_prompt": negative}


def main(argv=None) -> int:
    return rw.main(MetaQueryWorker, parse_arguments, REQUIRED, ENVIRONMENT, UPSTREAM, argv)


if __name__ == "__main__":
    sys.exit(main())
