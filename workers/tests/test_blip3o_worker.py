"""The BLIP3-o worker's protocol side, with BLIP3-o's entry points replaced at the import boundary.

A tiny BLIP3-o cannot be built on the CPU from the repository's code (workers/README.md):
``blip3o.model.builder.load_pretrained_model`` moves the model to ``cuda:0`` unconditionally and
imports the training module (torchvision, datasets, the authors' diffusers fork); and the image
decoder, ``pipeline_llava_gen``, is code that ships inside the released checkpoint's
diffusion-decoder folder, not in the repository. So this test writes, in its temporary folder, a
stand-in checkout (the modules the worker imports: ``blip3o.model.builder``,
``blip3o.conversation``, ``blip3o.utils``) and a stand-in checkpoint whose diffusion-decoder
holds real diffusers parts (a small AutoencoderKL and UNet, saved as the bf16 variant) and a
``pipeline_llava_gen.py`` that diffusers' own custom-pipeline loader loads. The worker's code runs
unchanged; what is checked is what it does around those entry points: the checkpoint folder it
loads, the prompt it builds, seeds, sizes, steps, refusals, the protocol.

Needs WISE_TEST_MODELS=1 and a Python with torch and diffusers (WISE_TEST_BLIP3O_PYTHON, else
WISE_TEST_PYTHON). The refusal tests without a checkout always run.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import repo_worker_checks as checks  # noqa: E402

WORKER = os.path.join(checks.WORKERS, "blip3o_worker.py")
SIZE = 32

STAND_INS = {
    "blip3o/__init__.py": "",
    "blip3o/model/__init__.py": "",
    "blip3o/model/nextdit_crossattn.py": "# marks the main branch (BLIP3-o), as in the repository\n",
    "blip3o/utils.py": '''
        def disable_torch_init():
            """Stand-in: the repository's skips weight initialisation."""
    ''',
    "blip3o/conversation.py": '''
        """Stand-in for the repository's conversation templates: a Qwen chat turn format."""
        import copy


        class Conversation:
            def __init__(self, system, roles):
                self.system, self.roles, self.messages = system, roles, []

            def copy(self):
                return copy.deepcopy(self)

            def append_message(self, role, message):
                self.messages.append((role, message))

            def get_prompt(self):
                text = f"<|im_start|>system\\n{self.system}<|im_end|>\\n"
                for role, message in self.messages:
                    text += f"<|im_start|>{role}\\n" + (f"{message}<|im_end|>\\n" if message is not None else "")
                return text


        conv_templates = {"qwen": Conversation("You are a helpful assistant.", ("user", "assistant"))}
    ''',
    "blip3o/model/builder.py": '''
        """Stand-in for the repository's loader: a text encoder that turns a prompt into a
        conditioning vector (a hash-seeded embedding), and the folder it was asked to load."""
        import hashlib

        import torch


        class Tokenizer:
            def __call__(self, text):
                return [int(b) for b in hashlib.sha256(text.encode()).digest()[:8]]


        class Encoder(torch.nn.Module):
            def __init__(self, folder):
                super().__init__()
                self.loaded_from = folder
                self.embedding = torch.nn.Embedding(256, 32)
                torch.nn.init.normal_(self.embedding.weight, generator=torch.Generator().manual_seed(0))

            def forward(self, tokens):
                return self.embedding(torch.tensor(tokens)).mean(0)


        def load_pretrained_model(model_path, *args, **kwargs):
            return Tokenizer(), Encoder(model_path), 2048
    ''',
}

DECODER_PIPELINE = '''
    """Stand-in for the checkpoint's pipeline_llava_gen: noise from the generator, a few UNet steps
    conditioned on the encoder's vector, the VAE's decoder; records the prompt it was given."""
    import torch
    from diffusers import DiffusionPipeline


    class Output:
        def __init__(self, image):
            self.image = image


    class LlavaGenStandIn(DiffusionPipeline):
        def __init__(self, vae, unet, multimodal_encoder=None, tokenizer=None, safety_checker=None):
            super().__init__()
            self.register_modules(vae=vae, unet=unet)
            self.multimodal_encoder, self.tokenizer = multimodal_encoder, tokenizer

        @torch.no_grad()
        def __call__(self, prompt, guidance_scale=3.0, num_inference_steps=2, generator=None):
            assert isinstance(prompt, list) and len(prompt) == 1, prompt
            with open(self.multimodal_encoder.loaded_from + "/prompts.log", "a") as log:
                log.write(prompt[0].replace("\\n", "|") + "\\n")
            condition = self.multimodal_encoder(self.tokenizer(prompt[0]))[None, None, :]
            latents = torch.randn((1, 4, 16, 16), generator=generator)
            for step in range(num_inference_steps):
                noise = self.unet(latents, step, encoder_hidden_states=condition).sample
                latents = latents - guidance_scale * 0.1 * noise
            pixels = self.vae.decode(latents).sample
            pixels = ((pixels / 2 + 0.5).clamp(0, 1)[0].permute(1, 2, 0) * 255).round().to(torch.uint8)
            from PIL import Image
            return Output(Image.fromarray(pixels.numpy()))
'''

BUILD_DECODER = '''
import sys, torch
from diffusers import AutoencoderKL, UNet2DConditionModel
folder = sys.argv[1]
torch.manual_seed(0)
UNet2DConditionModel(sample_size=16, in_channels=4, out_channels=4, layers_per_block=1,
    block_out_channels=(32, 64), norm_num_groups=32, cross_attention_dim=32, attention_head_dim=8,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    ).save_pretrained(folder + "/unet", variant="bf16")
AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1, block_out_channels=(32, 32),
    norm_num_groups=32, down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
    sample_size=32).save_pretrained(folder + "/vae", variant="bf16")
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(textwrap.dedent(text).lstrip())


class BLIP3oWorkerTests(checks.RepoWorkerChecks, unittest.TestCase):
    worker_name = "blip3o"
    size = (SIZE, SIZE)

    @classmethod
    def start_worker(cls):
        checks.skip_unless_enabled()
        python = checks.worker_python("WISE_TEST_BLIP3O_PYTHON")
        folder = cls.fixture.folder
        cls.checkout = os.path.join(folder, "BLIP3o")
        cls.checkpoint = os.path.join(folder, "BLIP3o-Model-stand-in")
        for name, text in STAND_INS.items():
            write(os.path.join(cls.checkout, name), text)
        decoder = os.path.join(cls.checkpoint, "diffusion-decoder")
        write(os.path.join(decoder, "pipeline_llava_gen.py"), DECODER_PIPELINE)
        with open(os.path.join(decoder, "model_index.json"), "w") as handle:
            json.dump({"_class_name": "LlavaGenStandIn", "_diffusers_version": "0.32.2",
                       "vae": ["diffusers", "AutoencoderKL"],
                       "unet": ["diffusers", "UNet2DConditionModel"]}, handle)
        write(os.path.join(folder, "build_decoder.py"), BUILD_DECODER)
        cls.fixture.build(python, [os.path.join(folder, "build_decoder.py"), decoder])
        cls.fixture.start([python, WORKER, "--repo", cls.checkout, "--model", cls.checkpoint,
                           "--dtype", "float32", "--device", "cpu", "--threads", "1",
                           "--width", str(SIZE), "--height", str(SIZE), "--name", "blip3o-stand-in"],
                          env={"HF_HUB_OFFLINE": "1"})

    def prompts_seen(self):
        with open(os.path.join(self.checkpoint, "prompts.log")) as handle:
            return handle.read().splitlines()

    def test_1_ready_line(self):
        metadata = self.check_ready_line(None, width=SIZE, height=SIZE, steps=None, guidance=3.0,
                                         template="qwen", variant="bf16", noise_generator=True,
                                         decoder_pipeline="LlavaGenStandIn", model_class="Encoder")
        self.assertEqual(metadata["checkpoint"], self.checkpoint)
        self.assertEqual(metadata["repo"], self.checkout)

    def test_2_seeds_and_the_prompt_it_builds(self):
        self.check_seeds()
        self.assertEqual(self.prompts_seen()[-1],
                         "<|im_start|>system|You are a helpful assistant.<|im_end|>|<|im_start|>user|"
                         "Please generate image based on the following caption: a red apple on a table"
                         "<|im_end|>|<|im_start|>assistant|")

    def test_3_steps_and_guidance_reach_the_pipeline(self):
        messages = [self.req("plain", "a cat", 5), self.req("steps", "a cat", 5, steps=3),
                    self.req("guided", "a cat", 5, guidance=1.0),
                    self.req("other", "a cat", 5, options={"think": True})]
        replies = self.ask_ok(*messages)
        self.assertEqual(replies["steps"]["metadata"]["steps"], 3)
        self.assertEqual(replies["other"]["metadata"]["ignored_options"], ["think"])
        images = [checks.pixels(m["output"])[2] for m in messages[:3]]
        self.assertEqual(len(set(images)), 3)
        self.assertEqual(checks.digest(messages[0]["output"]), checks.digest(messages[3]["output"]))

    def test_4_refusals_and_the_worker_keeps_serving(self):
        self.check_refusals_then_serving([({"width": 64, "height": 64}, [f"makes {SIZE}x{SIZE} images", "64x64"])])


class BLIP3oCheckoutRefusals(checks.refusal_tests("Refusals", "blip3o_worker.py", "WISE_BLIP3O_REPO",
                                                  "https://github.com/JiuhaiChen/BLIP3o",
                                                  ["--model", "BLIP3o/BLIP3o-Model-8B"])):
    def test_a_blip3o_next_checkout(self):
        """The default branch now holds BLIP3o-NEXT, which lacks the main branch's DiT module."""
        import tempfile
        with tempfile.TemporaryDirectory() as folder:
            for name in ("blip3o/model/builder.py", "blip3o/conversation.py", "blip3o/utils.py"):
                write(os.path.join(folder, name), "")
            result = self.run_worker("--repo", folder)
        self.assert_one_line_failure(result, "lacks blip3o/model/nextdit_crossattn.py")


if __name__ == "__main__":
    unittest.main(verbosity=2)
