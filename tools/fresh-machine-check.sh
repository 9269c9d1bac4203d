#!/usr/bin/env bash
# Checks the README's two commands on a fresh Debian 12 (bookworm): a minimal root made with
# debootstrap, holding only what swift.org lists for the Swift toolchain on Debian 12, with the
# toolchain itself bind-mounted read-only from this machine. Run as root on a Debian machine.
#
#   tools/fresh-machine-check.sh [--root DIR] [--keep] [--reuse] [--skip-tests]
#   (--keep leaves the root; --reuse starts again from a kept root's Debian with the Swift
#   dependencies installed, skipping debootstrap and apt; the repository and builds start afresh)
#
# What is taken from this machine, and why (a fresh machine of this workplace has the same):
#   - the Debian mirror, read from /etc/apt/sources.list*;
#   - the Swift toolchain (the folder `swift` lives in), read-only;
#   - the Swift package mirror /opt/swift-packages and the git `url.*.insteadOf` settings that send
#     github.com to it, so SwiftPM resolves offline;
#   - pip's settings: /etc/pip.conf, the PIP_* and certificate variables, /opt/wheels (where
#     torch==2.13.0+cpu is found), and the extra CA certificates in /usr/local/share/ca-certificates;
#   - ../shared (read-only), which the tests and the offline check read as ../shared/wise;
#   - /etc/resolv.conf, /etc/hosts and /etc/hostname (the machine's name must resolve for slurmd).
#
# The first command. The README's main job generates 1000 images with a model from the Hugging Face
# hub on a GPU and judges them with a CLIP model from the hub; here there is neither a GPU nor the
# hub. So the check runs the install part of it as written (`bash tools/install.sh`: packages,
# release build, install into /usr/local, the workers' venv with torch, diffusers, transformers),
# then, in place of `wise catalogue fetch`, the README's offline check (`wise catalogue fetch --from
# ../shared/wise && wise catalogue stats --set legacy`), `wise models list` from an unrelated folder
# (the installed registry), and, in place of SDXL and CLIP ViT-L/14, the same pipeline on tiny
# random models made on the spot: `wise run` through the installed diffusers worker and venv
# (a tiny Stable Diffusion from workers/tests/tiny_models.py, on the CPU, prompts 1-2 of legacy),
# judged by the clip judge with the tiny CLIP of Tests/WiseCLIPTests/Fixtures, and reported.
#
# The second command, `bash .ci/run`, runs as written.
#
# Times are printed per step and in a summary at the end; the log of each step is in ROOT.logs/.
# The root is removed at the end (--keep leaves it), never while anything is mounted below it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/tools/packages.sh"
root=/var/tmp/wise-fresh-bookworm
keep=""
reuse=""
tests=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --reuse) reuse=1; keep=1; shift ;;
    --skip-tests) tests=""; shift ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-machine-check: unknown option $1" >&2; exit 64 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: run as root (debootstrap, mount, chroot)" >&2; exit 77; }

mirror="$(wise_debian_mirror bookworm | awk 'NR == 1')"
security="$(wise_debian_mirror bookworm-security | awk 'NR == 1')"
[ -n "$mirror" ] || { echo "fresh-machine-check: no bookworm mirror in /etc/apt/sources.list*" >&2; exit 69; }

swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"   # e.g. /opt/swift/usr/bin
toolchain="${swift_bin%/usr/bin}"                                 # e.g. /opt/swift
shared="$(cd "$repo/.." && pwd)/shared"
logs="$root.logs"
declare -A took
order=()
timed() {   # timed NAME COMMAND...: runs a step, its output to a log (tail on failure), and records its time
  local name="$1" start=$SECONDS status=0; shift
  echo "== $name" >&2
  mkdir -p "$logs"
  "$@" > "$logs/$name.log" 2>&1 || status=$?
  took[$name]=$((SECONDS - start)); order+=("$name")
  if [ $status -ne 0 ]; then
    tail -n 40 "$logs/$name.log" >&2
    echo "== $name FAILED (exit $status) after ${took[$name]} s; log $logs/$name.log" >&2
  else
    echo "   ${took[$name]} s" >&2
  fi
  return $status
}

mounts=()
bind() {   # bind SOURCE TARGET [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts=("$2" "${mounts[@]}")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}
mounted_below() {   # whether anything is mounted at or below the root (then it must not be removed)
  awk -v r="$root" '$2 == r || index($2, r "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts
}
remove_root() {
  [ -e "$root" ] || return 0
  if mounted_below; then echo "fresh-machine-check: something is still mounted below $root; not removing it" >&2; return 1; fi
  rm -rf --one-file-system "$root"
}
summary() {
  local name
  echo >&2
  echo "summary (seconds):" >&2
  for name in "${order[@]}"; do printf '  %-20s %6s\n' "$name" "${took[$name]}" >&2; done
  echo "logs: $logs" >&2
}
cleanup() {
  local m
  for m in "${mounts[@]}"; do umount -R "$m" 2>/dev/null || umount -l -R "$m" 2>/dev/null || true; done
  if [ -z "$keep" ]; then remove_root || true; fi
  summary
}
trap cleanup EXIT

in_root() {   # runs a bash command in the chroot, as a fresh login would, with this machine's pip settings
  local env=(HOME=/root LANG=C.UTF-8 TERM=dumb PATH="$swift_bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
  local v
  for v in $(compgen -e); do
    case "$v" in PIP_*|SSL_CERT_*|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|GIT_SSL_CAINFO|OPENBLAS_*) env+=("$v=${!v}") ;; esac
  done
  chroot "$root" /usr/bin/env -i "${env[@]}" bash -c "$1"
}

rm -rf "$logs"
command -v debootstrap >/dev/null || timed install-debootstrap apt-get install -y -qq debootstrap

if mounted_below; then echo "fresh-machine-check: $root is in use (mounted)" >&2; exit 75; fi
ready="$root/var/lib/wise-check-swift-deps"   # written once the Swift dependencies are in
if [ -n "$reuse" ] && [ -e "$ready" ]; then
  echo "== reusing $root (Debian and the Swift dependencies as installed before)" >&2
  rm -rf "$root/root/wise" "$root/root/.cache" "$root/usr/local/bin/wise" "$root/usr/local/share/wise"
else
  remove_root
  timed debootstrap debootstrap --variant=minbase bookworm "$root" "$mirror"
fi

{
  echo "deb $mirror bookworm main"
  echo "deb $mirror bookworm-updates main"
  if [ -n "$security" ]; then echo "deb $security bookworm-security main"; fi
} > "$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The machine's own name must resolve, as it does on a real machine (slurmd looks itself up).
cp /etc/hosts "$root/etc/hosts"
cp /etc/hostname "$root/etc/hostname" 2>/dev/null || true
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
# The git settings that send github.com to the package mirror, as this machine has them.
git config --system --get-regexp '^url\..*\.insteadof$' | while read -r key value; do
  git config --file "$root/etc/gitconfig" --add "$key" "$value"
done

mkdir -p "$root/proc" "$root/sys" "$root/dev"
mounts=("$root/proc" "${mounts[@]}"); mount -t proc proc "$root/proc"
# /sys with what is mounted below it: slurmd (the cluster test) needs /sys/fs/cgroup.
mounts=("$root/sys" "${mounts[@]}"); mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys"
mounts=("$root/dev" "${mounts[@]}"); mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev"
bind "$toolchain" "$root$toolchain" ro
bind /opt/swift-packages "$root/opt/swift-packages" ro
[ -d /opt/wheels ] && bind /opt/wheels "$root/opt/wheels" ro
[ -d "$shared" ] && bind "$shared" "$root/root/shared" ro

# The Swift toolchain's dependencies on Debian 12, as swift.org lists them (installed the way a
# person would, recommended packages included), and nothing else.
swift_deps="${WISE_SWIFT_DEBIAN12_PACKAGES[*]}"
if [ ! -e "$ready" ]; then
  timed swift-deps in_root "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq $swift_deps"
  touch "$ready"
fi
timed swift-version in_root "swift --version"

# The repository as it stands: tracked files and new files git does not ignore (what a clone of the
# next commit would hold).
mkdir -p "$root/root/wise"
git -C "$repo" ls-files -z --cached --others --exclude-standard | (cd "$repo" && tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$root/root/wise"

# Command 1: the install part as written, then the offline stand-in for generating and judging.
timed install in_root "cd /root/wise && bash tools/install.sh"
timed offline-check in_root "cd /root/wise && wise catalogue fetch --from ../shared/wise && wise catalogue stats --set legacy \
  && cd /tmp && wise models list"
timed tiny-main-job in_root '
  set -e; rm -rf /tmp/offline; mkdir -p /tmp/offline; cd /tmp/offline
  venv=/usr/local/share/wise/venv/bin/python3
  $venv /root/wise/workers/tests/tiny_models.py stable-diffusion /tmp/offline/tiny-sd
  wise run tiny --set legacy --ids 1-2 --store /tmp/offline/wise.sqlite \
    --generator worker --worker-cmd "$venv /usr/local/share/wise/workers/diffusers_worker.py --model /tmp/offline/tiny-sd --device cpu" \
    --judge clip --clip-model /root/wise/Tests/WiseCLIPTests/Fixtures/tiny-quick'

# Command 2.
if [ -n "$tests" ]; then
  timed tests in_root "cd /root/wise && bash .ci/run" || true
  grep -E "Test run with|tests? (passed|failed)|Executed [0-9]+ tests" "$logs/tests.log" | tail -n 5 >&2 || true
fi
