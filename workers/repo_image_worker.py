"""The request loop shared by the workers that run a model from its own repository's code.

Such models (UniWorld-V1, MetaQuery, BLIP3-o, ...) make one image per call and draw their noise
from generators the worker seeds per request, so the loop is the same for all of them: check the
request against what the model can do, seed, call the model, check the image, write it where the
request asks, reply; a request that cannot run gets an error reply and the worker keeps serving.
A worker subclasses ``RepoImageWorker`` and writes ``load``, ``generate`` and ``settings``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repo_checkout  # noqa: E402
import wise_protocol as wp  # noqa: E402


def add_common_arguments(parser, dtype: str = "bfloat16") -> None:
    """The arguments every repository worker takes, named as in the diffusers worker."""
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default=dtype)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--name", default=None, help="the model name the ready line reports")


class RepoImageWorker:
    """One model from a repository checkout, one image per call; subclasses say how to run it."""

    worker_name = ""
    #: Request options the model reads; others are named in the reply under ``ignored_options``.
    known_options: frozenset = frozenset()
    #: Whether a request may ask for another size than the default (False: the model has one size).
    any_size = True

    def __init__(self, arguments, checkout: repo_checkout.Checkout):
        import torch
        if arguments.threads:
            torch.set_num_threads(arguments.threads)
        self.torch = torch
        self.arguments = arguments
        self.checkout = checkout
        self.dtype = getattr(torch, arguments.dtype)
        started = time.monotonic()
        self.load()
        self.load_seconds = time.monotonic() - started
        self.channel: Optional[wp.Channel] = None

    # What a subclass writes.
    def load(self) -> None:
        """Loads the model through the repository's own classes."""
        raise NotImplementedError

    def defaults(self) -> dict:
        """The default width, height, steps and guidance (steps None: the pipeline's own default)."""
        raise NotImplementedError

    def settings(self) -> dict:
        """The model-specific settings the ready line reports (paths, modes, library versions)."""
        raise NotImplementedError

    def generate(self, request, width: int, height: int, steps, guidance: float):
        """Makes one image for ``request`` (the global generators are already seeded); returns
        (PIL image, extra reply metadata)."""
        raise NotImplementedError

    # The shared part.
    def metadata(self) -> dict:
        torch = self.torch
        metadata = {"python": platform.python_version(), "torch": torch.__version__,
                    "cuda": torch.version.cuda, "device": self.arguments.device,
                    "dtype": self.arguments.dtype, "threads": torch.get_num_threads(),
                    "seeding": "per request: Python, NumPy and torch global generators, and a "
                               "CPU torch.Generator for the initial noise where the model takes one",
                    "load_seconds": round(self.load_seconds, 3)}
        metadata.update(self.checkout.metadata())
        metadata.update(self.defaults())
        metadata.update(self.settings())
        return metadata

    def noise_generator(self, seed: int):
        """A CPU generator seeded from the request, so the initial noise is the same on any card."""
        return self.torch.Generator("cpu").manual_seed(seed)

    def seed(self, seed: int) -> None:
        repo_checkout.seed_everything(seed)
        if self.arguments.device.startswith("cuda"):
            self.torch.cuda.manual_seed_all(seed)

    def checked_settings(self, request) -> tuple:
        """(width, height, steps, guidance) for ``request``; BadRequest for what the model cannot do."""
        defaults = self.defaults()
        width = request.width if request.width is not None else defaults["width"]
        height = request.height if request.height is not None else defaults["height"]
        if not self.any_size and (width, height) != (defaults["width"], defaults["height"]):
            raise wp.BadRequest(f"this model makes {defaults['width']}x{defaults['height']} images; "
                                f"asked for {width}x{height} (send null or these)")
        steps = request.steps if request.steps is not None else defaults["steps"]
        guidance = request.guidance if request.guidance is not None else defaults["guidance"]
        return width, height, steps, guidance

    def run_batch(self, batch: list) -> None:
        for request in batch:   # one image per call: the models seed and sample globally
            try:
                width, height, steps, guidance = self.checked_settings(request)
                started = time.monotonic()
                self.seed(request.seed)
                with self.torch.inference_mode():
                    image, extra = self.generate(request, width, height, steps, guidance)
                if self.arguments.device.startswith("cuda"):
                    self.torch.cuda.synchronize()
                seconds = time.monotonic() - started
                if image.size != (width, height):
                    raise RuntimeError(f"the model made a {image.width}x{image.height} image, "
                                       f"not {width}x{height}")
                wp.write_png_atomically(image.convert("RGB"), request.output)
            except Exception as error:
                self.channel.error(request.id, str(error) if isinstance(error, wp.BadRequest)
                                   else f"{type(error).__name__}: {error}")
                continue
            metadata = {"seed": request.seed, "width": width, "height": height, "steps": steps,
                        "guidance": guidance, "dtype": self.arguments.dtype}
            metadata.update(extra)
            ignored = sorted(set(request.options) - self.known_options)
            if ignored:
                metadata["ignored_options"] = ignored
            self.channel.ok(request, request.output, seconds, metadata)


def main(worker_class, parse_arguments, required: list, environment: str, upstream: str,
         argv=None) -> int:
    """Parses the arguments, opens the checkout, loads the model, prints the ready line and serves;
    a missing checkout or a failed load is one line on stderr and exit status 1."""
    channel = wp.Channel.claim()
    arguments = parse_arguments(argv)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    prefix = f"{worker_class.worker_name}_worker"
    try:
        checkout = repo_checkout.open_checkout(arguments.repo, required, environment, upstream)
    except repo_checkout.CheckoutError as error:
        print(wp.one_line(f"{prefix}: {error}"), file=sys.stderr)
        return 1
    try:
        worker = worker_class(arguments, checkout)
    except SystemExit:
        raise
    except Exception as error:
        print(wp.one_line(f"{prefix}: cannot load {arguments.model} with the code in {checkout.path}: "
                          f"{type(error).__name__}: {error}"), file=sys.stderr)
        return 1
    worker.channel = channel
    channel.ready(worker_class.worker_name, arguments.name or arguments.model, worker.metadata())
    reader = wp.RequestReader(channel).start()   # after the ready line: no reply may precede it
    return wp.serve(channel, reader, 1, 0.0, worker.run_batch)
