"""The wise worker protocol (version 1), shared by the Python workers.

A worker is a long-lived process. It loads its model, prints one ready line on stdout, then reads
one JSON request per line on stdin and answers one JSON reply per line on stdout, in any order,
matched by ``id``. Everything else a worker or its libraries print goes to stderr. On EOF it
finishes what is in flight and exits 0.

This module owns stdout: ``Channel.claim()`` moves file descriptor 1 onto stderr (so a stray
``print`` or a C library writing to fd 1 can never corrupt the protocol) and keeps a private copy
of the real stdout for protocol lines.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

PROTOCOL_VERSION = 1

# Fields of a request and the JSON types each accepts (None = may be null).
_OPTIONAL_NUMBERS = ("width", "height", "steps")


class BadRequest(Exception):
    """A request the worker answers with an error reply instead of running."""


@dataclass
class Request:
    id: str
    prompt: str
    seed: int
    output: str
    prompt_id: Any = None
    sample_index: Any = None
    width: Optional[int] = None
    height: Optional[int] = None
    steps: Optional[int] = None
    guidance: Optional[float] = None
    options: dict = field(default_factory=dict)

    def settings_key(self) -> str:
        """What must be equal for two requests to share one batched model call."""
        return json.dumps([self.width, self.height, self.steps, self.guidance, self.options],
                          sort_keys=True)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_request(line: str) -> Request:
    """Parses one request line; raises BadRequest with a one-line reason (and ``.id`` if known)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadRequest(f"request is not JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(obj, dict):
        raise BadRequest("request is not a JSON object")
    rid = obj.get("id")
    try:
        if not isinstance(rid, str) or not rid:
            raise BadRequest("request has no string field 'id'")
        prompt = obj.get("prompt")
        if not isinstance(prompt, str):
            raise BadRequest("request has no string field 'prompt'")
        seed = obj.get("seed")
        if not _is_int(seed) or seed < 0 or seed >= 2**63:
            raise BadRequest("field 'seed' must be an integer in [0, 2^63)")
        output = obj.get("output")
        if not isinstance(output, str) or not os.path.isabs(output):
            raise BadRequest("field 'output' must be an absolute path")
        values = {}
        for name in _OPTIONAL_NUMBERS:
            value = obj.get(name)
            if value is not None and (not _is_int(value) or value <= 0):
                raise BadRequest(f"field '{name}' must be a positive integer or null")
            values[name] = value
        guidance = obj.get("guidance")
        if guidance is not None:
            if isinstance(guidance, bool) or not isinstance(guidance, (int, float)):
                raise BadRequest("field 'guidance' must be a number or null")
            guidance = float(guidance)
        options = obj.get("options")
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise BadRequest("field 'options' must be an object")
        return Request(id=rid, prompt=prompt, seed=seed, output=output,
                       prompt_id=obj.get("prompt_id"), sample_index=obj.get("sample_index"),
                       guidance=guidance, options=options, **values)
    except BadRequest as error:
        error.id = rid if isinstance(rid, str) else None
        raise


def one_line(text: str) -> str:
    """An error message on one line, not too long."""
    text = " ".join(str(text).split())
    return text if len(text) <= 2000 else text[:1997] + "..."


class Channel:
    """The protocol's stdout: one writer lock, one line per message, flushed."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()

    @classmethod
    def claim(cls) -> "Channel":
        sys.stdout.flush()
        real = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)                   # fd 1 now goes to stderr, for C code as well
        sys.stdout = sys.stderr         # and so does Python's print
        return cls(real)

    def send(self, message: dict) -> None:
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def ready(self, worker: str, model: str, metadata: dict) -> None:
        self.send({"ready": True, "protocol": PROTOCOL_VERSION, "worker": worker,
                   "model": model, "metadata": metadata})

    def ok(self, request: Request, path: str, seconds: float, metadata: dict,
           refused: Optional[str] = None) -> None:
        """Reports an image written; ``refused`` says why it stands for a refusal (a safety
        checker replaced it), so wise counts it apart from ordinary images."""
        reply = {"id": request.id, "status": "ok", "path": path,
                 "seconds": round(seconds, 6), "metadata": metadata}
        if refused is not None:
            reply["refused"] = refused
        self.send(reply)

    def error(self, rid: Optional[str], message: str) -> None:
        self.send({"id": rid, "status": "error", "error": one_line(message)})


_EOF = object()


class RequestReader:
    """Reads stdin on a thread of its own: bad lines are answered at once; good ones are queued.

    ``take_batch`` hands the model loop up to K queued requests with the same settings, in
    arrival order, leaving the others queued for later.
    """

    def __init__(self, channel: Channel, stream=None):
        self._channel = channel
        self._stream = stream if stream is not None else sys.stdin
        self._queue: "queue.Queue[object]" = queue.Queue()
        self._held: list = []   # requests taken off the queue but not yet run
        self._eof = False
        self._thread = threading.Thread(target=self._run, name="wise-stdin", daemon=True)

    def start(self) -> "RequestReader":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for line in self._stream:
                if not line.strip():
                    continue
                try:
                    self._queue.put(parse_request(line))
                except BadRequest as error:
                    self._channel.error(getattr(error, "id", None), str(error))
        finally:
            self._queue.put(_EOF)

    def _pull(self, block: bool, timeout: Optional[float] = None) -> bool:
        """Moves one item from the queue to the held list; False when nothing came."""
        if self._eof:
            return False
        try:
            item = self._queue.get(block=block, timeout=timeout)
        except queue.Empty:
            return False
        if item is _EOF:
            self._eof = True
            return False
        self._held.append(item)
        return True

    def take_batch(self, limit: int, wait: float = 0.0) -> list:
        """Up to ``limit`` requests sharing the first one's settings; [] once stdin is done."""
        while not self._held:
            if not self._pull(block=True):
                if self._eof:
                    return []
        while self._pull(block=False):
            pass
        key = self._held[0].settings_key()
        if wait > 0 and limit > 1:
            import time
            deadline = time.monotonic() + wait
            while sum(1 for r in self._held if r.settings_key() == key) < limit:
                left = deadline - time.monotonic()
                if left <= 0 or not self._pull(block=True, timeout=left):
                    break
        batch, rest = [], []
        for request in self._held:
            if len(batch) < limit and request.settings_key() == key:
                batch.append(request)
            else:
                rest.append(request)
        self._held = rest
        return batch


def write_png_atomically(image, path: str) -> None:
    """Saves a PIL image as PNG under a temporary name in the same folder, then renames it."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        image.save(temporary, format="PNG")
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def serve(channel: Channel, reader: RequestReader, limit: int, wait: float,
          run_batch: Callable[[list], None]) -> int:
    """The model loop: runs batches until stdin ends; ``run_batch`` replies for each request."""
    while True:
        batch = reader.take_batch(limit, wait)
        if not batch:
            return 0
        try:
            run_batch(batch)
        except Exception as error:  # a request must never bring the worker down
            for request in batch:
                channel.error(request.id, f"{type(error).__name__}: {error}")
