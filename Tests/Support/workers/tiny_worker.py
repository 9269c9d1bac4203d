#!/usr/bin/env python3
"""A tiny wise worker for tests: draws deterministic PNGs with the standard library only.

Speaks the worker protocol of the README (JSON lines on stdin/stdout). The image depends only on
(prompt, seed, width, height). Switches make it misbehave on purpose:
  --exit-at-start N      exit with status N before the ready line
  --crash-on ID          exit abruptly whenever prompt ID is asked for
  --crash-once-on ID     exit abruptly the first time prompt ID is asked for (needs --state DIR)
  --hang-on ID           never answer prompt ID
  --garbage-on ID        print a line that is not JSON instead of answering prompt ID
  --fail-on ID           answer prompt ID with status "error"
  --refuse-on ID         write a black image for prompt ID and say a safety checker refused it
  --flat-on ID           write a one-colour grey image for prompt ID without saying so
  --delay SECONDS        take this long per image (requests in flight are served concurrently)
  --record FILE          append every request line to FILE
The environment variable TINY_SALT, when set, changes every image's bytes (for conflict tests).
"""
import argparse, binascii, hashlib, json, os, struct, sys, threading, time, zlib


def png(width, height, key, flat=None):
    digest = hashlib.sha256(key.encode()).digest()
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            i = (x * 7 + y * 13) % 30
            rows += bytes(flat) if flat is not None else bytes((digest[i], digest[i + 1] ^ x, digest[i + 2] ^ y))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", binascii.crc32(body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b""))


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--crash-on", "--crash-once-on", "--hang-on", "--garbage-on", "--fail-on", "--exit-at-start",
                 "--refuse-on", "--flat-on"):
        parser.add_argument(flag, type=int)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--record")
    parser.add_argument("--state")
    parser.add_argument("--name", default="tiny")
    args = parser.parse_args()
    if args.exit_at_start is not None:
        print("tiny worker: cannot load the model (on purpose)", file=sys.stderr, flush=True)
        sys.exit(args.exit_at_start)
    assert os.environ.get("WISE_WORKER") == "1", "started outside wise"
    out_lock = threading.Lock()

    def say(obj):
        line = json.dumps(obj, sort_keys=True) + "\n"
        with out_lock:
            sys.stdout.write(line)
            sys.stdout.flush()

    say({"ready": True, "protocol": 1, "worker": args.name, "model": "tiny-png",
         "metadata": {"gpu": os.environ.get("CUDA_VISIBLE_DEVICES"), "pid": os.getpid()}})

    def serve(request):
        started = time.time()
        pid = request["prompt_id"]
        if args.delay:
            time.sleep(args.delay)
        if pid == args.hang_on:
            time.sleep(3600)
        if pid == args.garbage_on:
            with out_lock:
                sys.stdout.write("Loading pipeline components... 100%|##########| this is not JSON\n")
                sys.stdout.flush()
            return
        if pid == args.fail_on:
            say({"id": request["id"], "status": "error", "error": "out of memory (on purpose)"})
            return
        width, height = request.get("width") or 16, request.get("height") or 16
        width, height = min(width, 64), min(height, 64)
        flat = (0, 0, 0) if pid == args.refuse_on else (128, 128, 128) if pid == args.flat_on else None
        data = png(width, height, "%s|%d|%dx%d%s" % (request["prompt"], request["seed"], width, height,
                                                      os.environ.get("TINY_SALT", "")), flat)
        output = request["output"]
        temp = output + ".tmp-%d" % os.getpid()
        with open(temp, "wb") as handle:
            handle.write(data)
        os.replace(temp, output)
        reply = {"id": request["id"], "status": "ok", "path": output, "seconds": round(time.time() - started, 6),
                 "metadata": {"seed": request["seed"], "width": width, "height": height, "options": request.get("options"),
                              "gpu": os.environ.get("CUDA_VISIBLE_DEVICES")}}
        if pid == args.refuse_on:
            reply["refused"] = "the pipeline's safety checker flagged the image (on purpose)"
        say(reply)

    threads = []
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if args.record:
            with open(args.record, "a") as handle:
                handle.write(line)
        pid = request["prompt_id"]
        if pid == args.crash_on:
            os._exit(3)
        if pid == args.crash_once_on:
            marker = os.path.join(args.state, "crashed-%d" % pid)
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(3)
        if args.delay or pid == args.hang_on:
            thread = threading.Thread(target=serve, args=(request,), daemon=True)
            thread.start()
            threads.append(thread)
        else:
            serve(request)
    for thread in threads:
        thread.join()
    sys.exit(0)


if __name__ == "__main__":
    main()
