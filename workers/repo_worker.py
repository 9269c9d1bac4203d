"""The worker shape shared by every model that runs from its own repository's code.

Such models (BAGEL, Show-o, UniWorld-V1, MetaQuery, BLIP3-o, ...) make one image per call and
draw their noise from generators the worker seeds per request, so one loop serves them all: open
the checkout (``repo_checkout``), load the model, print the ready line, then for each request
check it against what the model can do, seed, call the model, check the image, write it where the
request asks (atomically), reply; a request that cannot run gets an error reply and the worker
keeps serving. A worker subclasses ``RepoWorker``, writes ``load``, ``defaults``, ``settings`` and
``generate`` (and ``prepare`` where the user must fix something before loading), and its script's
``main`` calls ``main(TheWorker, parse_arguments, REQUIRED, ENVIRONMENT, UPSTREAM, argv)``.
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


class StartError(Exception):
    """Something other than the checkout that the user must fix before the worker can start (a
    weights folder, a config): one line to print."""


def argument_parser(doc: str, environment: str, upstream: str, model_help: str,
                    model_required: bool = True, dtype: str = "bfloat16", device: str = "cpu"):
    """A parser with the arguments every repository worker takes, named as in the diffusers
    worker: ``--repo`` (default: the environment variable ``environment``), ``--model``, dtype,
    device, threads and name; the worker adds its own. ``doc``'s first paragraph describes it."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    repo_checkout.add_repo_argument(parser, environment, upstream)
    parser.add_argument("--model", required=model_required, default=None, help=model_help)
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default=dtype)
    parser.add_argument("--device", default=device, help="cpu, cuda or cuda:N (one device)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--name", default=None, help="the model name the ready line reports")
    return parser


def check_positive(parser, arguments, *names: str) -> None:
    """Stops with argparse's usage error when one of the named arguments is set and not positive."""
    for name in names:
        value = getattr(arguments, name)
        if value is not None and value <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")


def versions(*modules: str) -> dict:
    """The versions of the named Python packages, for the ready line."""
    import importlib
    return {name: importlib.import_module(name).__version__ for name in modules}


class RepoWorker:
    """One model from a repository checkout, one image per call; subclasses say how to run it."""

    worker_name = ""
    #: Request options the model reads; others are named in the reply under ``ignored_options``.
    known_options: frozenset = frozenset()
    #: Whether a request may ask for another size than the default (False: the model has one size).
    any_size = True
    #: What fixes the one size when ``any_size`` is False, as the refusal names it.
    size_owner = "model"
    #: The reply's own names for its steps, guidance and dtype fields (the model's words where it
    #: has them; None leaves the field out); unnamed ones keep their names.
    reply_names: dict = {}
    #: How the worker seeds, as the ready line reports it.
    seeding = ("per request: Python, NumPy and torch global generators, and a CPU torch.Generator "
               "for the initial noise where the model takes one")

    def __init__(self, arguments, checkout: repo_checkout.Checkout):
        self.arguments = arguments
        self.checkout = checkout
        self.prepare()
        import torch
        if arguments.threads:
            torch.set_num_threads(arguments.threads)
        self.torch = torch
        self.dtype = getattr(torch, arguments.dtype)
        self.name = arguments.name or getattr(arguments, "model", None)
        started = time.monotonic()
        self.load()
        self.load_seconds = time.monotonic() - started
        self.channel: Optional[wp.Channel] = None

    # What a subclass writes.
    def prepare(self) -> None:
        """Checks what the user must fix before loading (weights, config); raises StartError."""

    def load(self) -> None:
        """Loads the model through the repository's own classes."""
        raise NotImplementedError

    def defaults(self) -> dict:
        """The default width, height, steps and guidance (steps None: the pipeline's own default);
        here, the worker's --width, --height, --steps and --guidance."""
        a = self.arguments
        return {"width": a.width, "height": a.height, "steps": a.steps, "guidance": a.guidance}

    def settings(self) -> dict:
        """The model-specific settings the ready line reports (paths, modes, library versions)."""
        raise NotImplementedError

    def generate(self, request, width: int, height: int, steps, guidance: float):
        """Makes one image for ``request`` (the global generators are already seeded); returns
        (PIL image, extra reply metadata)."""
        raise NotImplementedError

    def context(self):
        """What the model runs inside: inference mode unless the model needs otherwise."""
        return self.torch.inference_mode()

    # The shared part.
    def metadata(self) -> dict:
        """The ready line's metadata: the environment, the checkout, then the model's settings."""
        torch = self.torch
        metadata = {"python": platform.python_version(), "torch": torch.__version__,
                    "cuda": torch.version.cuda, "device": self.arguments.device,
                    "dtype": self.arguments.dtype, "threads": torch.get_num_threads(),
                    "seeding": self.seeding, "load_seconds": round(self.load_seconds, 3)}
        metadata.update(self.checkout.metadata())
        metadata.update(self.settings())
        return metadata

    def noise_generator(self, seed: int):
        """A CPU generator seeded from the request, so the initial noise is the same on any card."""
        return self.torch.Generator("cpu").manual_seed(seed)

    def seed(self, seed: int) -> None:
        repo_checkout.seed_everything(seed)
        if self.arguments.device.startswith("cuda"):
            self.torch.cuda.manual_seed_all(seed)

    def checked_size(self, request) -> tuple:
        """(width, height) for ``request``, defaults filled in; BadRequest for a size the model
        cannot make."""
        defaults = self.defaults()
        width = request.width if request.width is not None else defaults["width"]
        height = request.height if request.height is not None else defaults["height"]
        if not self.any_size and (width, height) != (defaults["width"], defaults["height"]):
            raise wp.BadRequest(f"this {self.size_owner} makes {defaults['width']}x{defaults['height']} "
                                f"images; asked for {width}x{height} (send null or these)")
        return width, height

    def checked_settings(self, request) -> tuple:
        """(width, height, steps, guidance) for ``request``; BadRequest for what the model cannot do."""
        width, height = self.checked_size(request)
        defaults = self.defaults()
        steps = request.steps if request.steps is not None else defaults["steps"]
        guidance = request.guidance if request.guidance is not None else defaults["guidance"]
        return width, height, steps, guidance

    def run_batch(self, batch: list) -> None:
        for request in batch:   # one image per call: the models seed and sample globally
            try:
                width, height, steps, guidance = self.checked_settings(request)
                started = time.monotonic()
                self.seed(request.seed)
                with self.context():
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
            metadata = {"seed": request.seed, "width": width, "height": height}
            for field, value in (("steps", steps), ("guidance", guidance), ("dtype", self.arguments.dtype)):
                name = self.reply_names.get(field, field)
                if name is not None:
                    metadata[name] = value
            metadata.update(extra)
            ignored = sorted(set(request.options) - self.known_options)
            if ignored:
                metadata["ignored_options"] = ignored
            self.channel.ok(request, request.output, seconds, metadata)


def main(worker_class, parse_arguments, required, environment: str, upstream: str, argv=None) -> int:
    """Parses the arguments, opens the checkout, loads the model, prints the ready line and
    serves until stdin ends. A missing or wrong checkout, or a StartError, is one line on stderr
    and exit 2 (a setup the user must fix, as argparse's usage errors); a model that fails to load,
    one line and exit 1."""
    channel = wp.Channel.claim()
    arguments = parse_arguments(argv)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    program = f"{worker_class.worker_name}_worker"
    checkout = None
    try:
        checkout = repo_checkout.open_checkout(arguments.repo, required, environment, upstream)
        worker = worker_class(arguments, checkout)
    except (repo_checkout.CheckoutError, StartError) as error:
        print(wp.one_line(f"{program}: {error}"), file=sys.stderr)
        return 2
    except Exception as error:
        print(wp.one_line(f"{program}: cannot load {getattr(arguments, 'model', None) or 'the model'} "
                          f"with the code in {checkout.path if checkout else arguments.repo}: "
                          f"{type(error).__name__}: {error}"),
              file=sys.stderr)
        return 1
    worker.channel = channel
    channel.ready(worker_class.worker_name, worker.name, worker.metadata())
    reader = wp.RequestReader(channel).start()   # after the ready line: no reply may precede it
    return wp.serve(channel, reader, 1, 0.0, worker.run_batch)
