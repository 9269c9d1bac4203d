#!/usr/bin/env bash
# Installs wise on a Debian or Ubuntu machine that has the Swift toolchain:
#   1. the system packages the build needs (apt-get; sudo when not root),
#   2. a release build of wise,
#   3. PREFIX/bin/wise with its data in PREFIX/share/wise/{models,workers,prompts}
#      (wise finds them from its own path, so any PREFIX works),
#   4. a Python virtual environment for the generation workers, PREFIX/share/wise/venv, with the
#      pinned workers/requirements-diffusers.txt and workers/requirements-transformers.txt (and, with
#      a CUDA torch, workers/requirements-cuda.txt)
#      (the registry's worker commands use its python3).
#
# Usage: tools/install.sh [--prefix DIR] [--no-workers] [--static-swift-stdlib]
#   --prefix DIR   where to install (default $PREFIX, else /usr/local)
#   --no-workers   skip step 4 (for judging images made elsewhere)
#   --static-swift-stdlib  link Swift's runtime into wise, so that it runs where no toolchain is
#                  (the image of deploy/Containerfile)
# WISE_TORCH=SPEC picks the torch wheel (default: torch==2.13.0 where nvidia-smi exists, the CUDA
# build; torch==2.13.0+cpu elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/packages.sh

prefix="${PREFIX:-/usr/local}"
workers=1
build_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --no-workers) workers=""; shift ;;
    --static-swift-stdlib) build_flags+=(--static-swift-stdlib); shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
command -v swift >/dev/null || { echo "install.sh: swift is not on PATH; install the Swift 6 toolchain first (swift.org/install)" >&2; exit 69; }

started=$SECONDS
step() { printf '\n== %s (at %d s)\n' "$*" $((SECONDS - started)) >&2; }

step "system packages"
wise_install_packages "${WISE_BUILD_PACKAGES[@]}" ${workers:+"${WISE_PYTHON_PACKAGES[@]}"}

step "release build"
swift build -c release --product wise "${build_flags[@]}"
bin="$(swift build -c release --show-bin-path)"

step "installing into $prefix"
sudo=()
mkdir -p "$prefix" 2>/dev/null || true
[ -w "$prefix" ] || sudo=(sudo)
share="$prefix/share/wise"
"${sudo[@]}" install -d "$prefix/bin" "$share"
"${sudo[@]}" install -m 755 "$bin/wise" "$prefix/bin/wise"
# The data folders are replaced whole, so files removed from the repository go too; the venv stays.
"${sudo[@]}" rm -rf "$share/models" "$share/workers" "$share/prompts"
"${sudo[@]}" install -d "$share/models" "$share/workers" "$share/prompts/judge"
"${sudo[@]}" install -m 644 models/registry.json "$share/models/"
"${sudo[@]}" install -m 644 workers/*.py workers/requirements-*.txt workers/README.md "$share/workers/"
"${sudo[@]}" install -m 644 prompts/catalogue.json "$share/prompts/"
"${sudo[@]}" install -m 644 prompts/judge/*.md "$share/prompts/judge/"

if [ -n "$workers" ]; then
  step "worker environment $share/venv"
  torch="${WISE_TORCH:-}"
  if [ -z "$torch" ]; then
    if command -v nvidia-smi >/dev/null 2>&1; then torch="torch==2.13.0"; else torch="torch==2.13.0+cpu"; fi
  fi
  wise_make_worker_venv "$share/venv" "$torch" workers
fi

step "done in $((SECONDS - started)) s"
"$prefix/bin/wise" models list | tail -n 1
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on PATH; add it: export PATH=\"$prefix/bin:\$PATH\"" >&2 ;;
esac
