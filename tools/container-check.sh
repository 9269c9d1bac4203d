#!/usr/bin/env bash
# Builds the image of deploy/Containerfile with buildah on this machine and checks that it runs:
# `wise --version`, the catalogue read through WISE_DATA, the non-root user, the workers' Python
# environment (torch, diffusers, transformers) and a tiny command-adapter generation whose command
# is that environment's Python making a seeded PNG with torch and Pillow. Run as root on Debian.
#
#   tools/container-check.sh [--work DIR] [--fresh] [--clean]
#   --work DIR   buildah's own image store and the build context (default /var/tmp/wise-container-check)
#   --fresh      make the bases again and build without the layer cache
#   --clean      remove DIR at the end (its images, the cache of a next run, go with it)
#
# This machine reaches no image registry, so the two bases the Containerfile takes as build
# arguments are made here: BASE_IMAGE a minimal Debian 12 (debootstrap from this machine's apt
# mirror, with its extra CA certificates, `podman import`ed), BUILDER_IMAGE the same with the Swift
# toolchain's Debian 12 dependencies and the git settings that send github.com to the Swift package
# mirror. The toolchain itself, the package mirror /opt/swift-packages and the wheel folder
# /opt/wheels are mounted read-only into the build's RUN steps (`buildah bud --volume`); pip's
# settings are passed as build arguments. The catalogue is copied from ../shared/wise into the
# build context and given as CATALOGUE_FROM (wise checks its SHA-256 as it copies). torch is the
# CPU build (no GPU here). Every RUN is `--isolation chroot`. The build time and the image size are
# printed at the end.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/tools/packages.sh"
work=/var/tmp/wise-container-check fresh="" clean=""
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --clean) clean=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "container-check: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "container-check: run as root (debootstrap, buildah's store)" >&2; exit 77; }
shared="$(cd "$repo/.." && pwd)/shared/wise"
[ -d "$shared" ] || { echo "container-check: no catalogue folder $shared (the official files, laid out like legacy/, verified/)" >&2; exit 66; }
command -v swift >/dev/null || { echo "container-check: swift is not on PATH; the builder base mounts its toolchain" >&2; exit 69; }
wise_install_packages buildah podman debootstrap

base=localhost/wise-check/debian:bookworm
builder=localhost/wise-check/swift-builder:bookworm
image=localhost/wise-check/wise:cpu
storage=(--root "$work/storage" --runroot "$work/run" --storage-driver overlay)
bah() { buildah "${storage[@]}" "$@"; }
has_image() { [ -z "$fresh" ] && bah inspect --type image "$1" >/dev/null 2>&1; }
swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"   # e.g. /opt/swift/usr/bin
toolchain="${swift_bin%/usr/bin}"                                 # e.g. /opt/swift
container=""
started=$SECONDS
step() { printf '== %s (at %d s)\n' "$*" $((SECONDS - started)) >&2; }
cleanup() {
  [ -z "$container" ] || bah rm "$container" >/dev/null 2>&1 || true
  rm -rf "$work/root" "$work/context"
  if [ -n "$clean" ]; then
    bah rmi --all --force >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
}
trap cleanup EXIT
mkdir -p "$work"

if ! has_image "$base"; then
  step "base image $base (debootstrap)"
  mirror="$(wise_debian_mirror bookworm | awk 'NR == 1')"
  security="$(wise_debian_mirror bookworm-security | awk 'NR == 1')"
  [ -n "$mirror" ] || { echo "container-check: no bookworm mirror in /etc/apt/sources.list*" >&2; exit 69; }
  rm -rf "$work/root"
  debootstrap --variant=minbase bookworm "$work/root" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  {
    echo "deb $mirror bookworm main"
    echo "deb $mirror bookworm-updates main"
    if [ -n "$security" ]; then echo "deb $security bookworm-security main"; fi
  } > "$work/root/etc/apt/sources.list"
  mkdir -p "$work/root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$work/root/usr/local/share/ca-certificates/" 2>/dev/null || true
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  tar -C "$work/root" -cf - . | podman "${storage[@]}" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
  rm -rf "$work/root"
fi

if ! has_image "$builder"; then
  step "builder image $builder (Swift's Debian 12 dependencies; toolchain $toolchain mounted at build)"
  mkdir -p "$work/builder"
  {
    echo "FROM $base"
    echo "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${WISE_SWIFT_DEBIAN12_PACKAGES[*]} ca-certificates \\"
    echo "    && rm -rf /var/lib/apt/lists/*"
    git config --system --get-regexp '^url\..*\.insteadof$' | while read -r key value; do
      echo "RUN git config --system --add '$key' '$value'"
    done
    echo "ENV PATH=$swift_bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  } > "$work/builder/Containerfile"
  bah bud --isolation chroot -f "$work/builder/Containerfile" -t "$builder" "$work/builder" > "$work/builder.log" 2>&1 \
    || { tail -n 30 "$work/builder.log" >&2; exit 1; }
fi

step "build context: the repository's files (tracked, and new ones git does not ignore) and the catalogue"
rm -rf "$work/context"
mkdir -p "$work/context"
git -C "$repo" ls-files -z --cached --others --exclude-standard | (cd "$repo" && tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$work/context"
cp -r "$shared" "$work/context/catalogue-src"

pip_args=()
for v in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS PIP_CERT; do
  if [ -n "${!v:-}" ]; then pip_args+=(--build-arg "$v=${!v}"); fi
done
volumes=(--volume "$toolchain:$toolchain:ro")
for dir in /opt/swift-packages /opt/wheels; do
  if [ -d "$dir" ]; then volumes+=(--volume "$dir:$dir:ro"); fi
done
step "buildah bud -f deploy/Containerfile (log $work/build.log)"
build_started=$SECONDS
bah bud --isolation chroot --layers ${fresh:+--no-cache} -f deploy/Containerfile \
  --build-arg BASE_IMAGE="$base" --build-arg BUILDER_IMAGE="$builder" \
  --build-arg WISE_TORCH=torch==2.13.0+cpu --build-arg CATALOGUE_FROM=catalogue-src \
  "${pip_args[@]}" "${volumes[@]}" -t "$image" "$work/context" > "$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log" >&2; echo "container-check: the build failed; log $work/build.log" >&2; exit 1; }
build_seconds=$((SECONDS - build_started))

step "checks in the image"
container="$(bah from "$image")"
in_image() { bah run --isolation chroot "$container" -- "$@"; }
failed=0
check() {   # check WHAT EXPECTED-PATTERN COMMAND...: runs COMMAND in the image; its output must match
  local what="$1" pattern="$2" output status=0; shift 2
  output="$(in_image "$@" 2>&1)" || status=$?
  if [ $status -eq 0 ] && grep -Eq "$pattern" <<< "$output"; then
    printf 'ok    %s\n' "$what"
  else
    printf 'FAIL  %s (exit %d; expected /%s/)\n%s\n' "$what" $status "$pattern" "$output" | sed '2,$s/^/      /'
    failed=1
  fi
}
check "wise --version" '^wise [0-9]+\.[0-9]+' wise --version
check "runs as the non-root user wise (uid 10001)" '^wise 10001$' bash -c 'echo "$(id -un) $(id -u)"'
check "the catalogue in the image (WISE_DATA), SHA-256 checked as it is read" 'CULTURE' wise catalogue stats --set verified
check "the registry and its worker Python found from wise's own path" 'sdxl' wise models list
check "the workers' environment: torch (CPU build), diffusers, transformers" '^2\.13\.0\+cpu 0\.42\.1 5\.24\.0$' \
  /opt/wise/share/wise/venv/bin/python3 -c 'import torch, diffusers, transformers; print(torch.__version__, diffusers.__version__, transformers.__version__)'
# The command adapter runs this once per image: the venv's torch draws a seeded 16x16 image, Pillow writes it.
draw='import sys, torch; from PIL import Image; g = torch.Generator().manual_seed(int(sys.argv[2])); Image.fromarray((torch.rand(16, 16, 3, generator=g) * 255).to(torch.uint8).numpy()).save(sys.argv[1])'
check "a tiny command-adapter generation (2 images) into a store" '2 images made, 0 already made, 0 failed' bash -c '
  cd "$HOME" && wise generate container-check --set verified --ids 1-2 --store check.sqlite --generator command \
    --argv "/opt/wise/share/wise/venv/bin/python3 -c \"$1\" {out} {seed}" 2>&1' _ "$draw"
size="$(bah images --format '{{.Size}}' "$image")"
echo "image $image: $size; built in $build_seconds s (the whole check $((SECONDS - started)) s)"
[ $failed -eq 0 ] || { echo "container-check: some checks failed" >&2; exit 1; }
echo "container-check: all checks passed"
