# Debian/Ubuntu packages wise needs, sourced by tools/install.sh and tools/test.sh.
#
# The Swift toolchain's own dependencies (the list swift.org gives for each distribution) are
# taken as present: a machine that can run `swift` has them.

# What `swift build` links against: SQLite (GRDB), libcurl, libcrypto, OpenBLAS (the CLIP judge),
# libpng, libjpeg and libwebp (image decoding), and pkg-config to find them.
WISE_BUILD_PACKAGES=(libsqlite3-dev libcurl4-openssl-dev libssl-dev libopenblas-dev libpng-dev libjpeg-dev libwebp-dev pkg-config)
# The virtual environments of the generation workers and of the tests.
WISE_PYTHON_PACKAGES=(python3 python3-venv)
# What a wise built with --static-swift-stdlib loads where no toolchain or -dev package is (the
# container image of deploy/Containerfile), by Debian 12's names: the libraries of the build's
# packages above (OpenBLAS through dlopen, for the CLIP judge).
WISE_RUNTIME_PACKAGES=(libsqlite3-0 libcurl4 libssl3 libopenblas0 libpng16-16 libjpeg62-turbo libwebp7)
# The Swift toolchain's own dependencies on Debian 12, as swift.org lists them (for a fresh root).
WISE_SWIFT_DEBIAN12_PACKAGES=(binutils git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev
  libsqlite3-0 libstdc++-12-dev libxml2-dev libz3-dev pkg-config python3-lldb-13 tzdata zlib1g-dev unzip curl)
# What the tests run besides wise: openssl (the TLS tests' certificates) and Slurm (the cluster test).
WISE_TEST_PACKAGES=(openssl slurmctld slurmd slurm-client)

# Installs the packages named that are not installed yet (apt-get; sudo when not root).
wise_install_packages() {
  local need=() pkg sudo=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "installing ${need[*]}" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # slurmctld and slurmd would start their services on install; the policy file stops that (the tests start their own).
  local policy=/usr/sbin/policy-rc.d placed=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    placed=1
  fi
  local status=0
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" || status=$?
  [ -n "$placed" ] && "${sudo[@]}" rm -f "$policy"
  return $status
}

# Makes (or updates) the workers' Python environment: wise_make_worker_venv VENV TORCH DIR installs
# TORCH (a pip requirement, e.g. torch==2.13.0+cpu) first, then the pinned requirements-diffusers.txt
# and requirements-transformers.txt found in DIR, and with a CUDA torch (a spec without +cpu) also
# requirements-cuda.txt (torchvision, whose PyPI build is CUDA-only), and prints the versions it got
# (sudo when VENV's folder is not writable by a user other than root).
wise_make_worker_venv() {
  local venv="$1" torch="$2" requirements="$3" sudo=() parent
  parent="$(dirname "$venv")"
  [ "$(id -u)" -eq 0 ] || [ -w "$parent" ] || sudo=(sudo)
  "${sudo[@]}" mkdir -p "$parent"
  [ -x "$venv/bin/python3" ] || "${sudo[@]}" python3 -m venv "$venv"
  "${sudo[@]}" "$venv/bin/python3" -m pip install -q --disable-pip-version-check "$torch"
  "${sudo[@]}" "$venv/bin/python3" -m pip install -q --disable-pip-version-check \
    -r "$requirements/requirements-diffusers.txt" -r "$requirements/requirements-transformers.txt"
  case "$torch" in
    *+cpu*) ;;
    *) "${sudo[@]}" "$venv/bin/python3" -m pip install -q --disable-pip-version-check -r "$requirements/requirements-cuda.txt" ;;
  esac
  "$venv/bin/python3" -c 'import torch, diffusers, transformers; print("workers: torch", torch.__version__, "diffusers", diffusers.__version__, "transformers", transformers.__version__)'
}

# The Debian mirror this machine's apt uses for a suite: deb822 *.sources stanzas or one-line lists.
wise_debian_mirror() {
  local suite="$1" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk -v suite="$suite" '
      /^[[:space:]]*$/ { if (uris != "" && hit) print uris; uris = ""; hit = 0; next }
      tolower($1) == "uris:" { uris = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
      END { if (uris != "" && hit) print uris }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) print $i }' "$f"
  done
}
