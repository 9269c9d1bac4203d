#!/usr/bin/env python3
"""What the official WISE evaluators make of judge replies, for the differential test.

Usage: official_extract.py OFFICIAL_DIR < lines of {"protocol": "verified"|"legacy", "reply": "..."}
Prints one line per input: {"ok": true, "scores": {...}, "text": "..."} when the official code
would accept the reply (REQUIRED_SCORE_KEYS is a subset of extract_scores' keys), else
{"ok": false, "text": "..."}; "text" is what extract_scores read.

The official modules import `requests` and `openai`, which this test does not need: instead of
importing them (or stubbing those imports), the module SOURCE is parsed with `ast`, and only
these pieces of it are executed, unchanged: the `REQUIRED_SCORE_KEYS` assignment and the
`extract_scores` function of each file, and, for verified, the `content = re.sub(...)` lines
and the `return content.strip()` of `_chat_completion_via_vllm`, wrapped in a function of `content`.
"""
import ast
import json
import os
import re
import sys


def load(path, with_cleanup):
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    body = []
    cleanup = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "REQUIRED_SCORE_KEYS" for t in node.targets):
            body.append(node)
        elif isinstance(node, ast.FunctionDef) and node.name == "extract_scores":
            body.append(node)
        elif with_cleanup and isinstance(node, ast.FunctionDef) and node.name == "_chat_completion_via_vllm":
            lines = []
            for stmt in node.body:
                is_sub = (isinstance(stmt, ast.Assign) and getattr(stmt.targets[0], "id", None) == "content"
                          and isinstance(stmt.value, ast.Call) and ast.unparse(stmt.value.func) == "re.sub")
                if is_sub or (isinstance(stmt, ast.Return) and ast.unparse(stmt) == "return content.strip()"):
                    lines.append(stmt)
            assert len(lines) == 3, f"expected two re.sub lines and the strip in {path}, found {len(lines)}"
            cleanup = ast.FunctionDef(name="official_cleanup", args=ast.arguments(
                posonlyargs=[], args=[ast.arg(arg="content")], kwonlyargs=[], kw_defaults=[], defaults=[]),
                body=lines, decorator_list=[], returns=None, type_params=[])
            body.append(cleanup)
    module = ast.fix_missing_locations(ast.Module(body=body, type_ignores=[]))
    namespace = {"re": re, "Dict": dict}
    exec(compile(module, path, "exec"), namespace)
    assert "extract_scores" in namespace and "REQUIRED_SCORE_KEYS" in namespace, path
    assert not with_cleanup or "official_cleanup" in namespace, path
    return namespace


def main():
    official = sys.argv[1]
    modules = {
        "verified": load(os.path.join(official, "vllm_eval.py"), with_cleanup=True),
        "legacy": load(os.path.join(official, "WISE_legacy", "gpt_eval.py"), with_cleanup=False),
    }
    for line in sys.stdin:
        item = json.loads(line)
        m = modules[item["protocol"]]
        text = item["reply"]
        if "official_cleanup" in m:
            text = m["official_cleanup"](text)
        scores = m["extract_scores"](text)
        if m["REQUIRED_SCORE_KEYS"].issubset(scores.keys()):
            out = {"ok": True, "scores": {k: scores[k] for k in sorted(m["REQUIRED_SCORE_KEYS"])}, "text": text}
        else:
            out = {"ok": False, "text": text}
        sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
