# Debian/Ubuntu packages wise needs, sourced by tools/install.sh and tools/test.sh.
#
# The Swift toolchain's own dependencies (the list swift.org gives for each distribution) are
# taken as present: a machine that can run `swift` has them.

# What `swift build` links against: SQLite (GRDB), libcurl, libcrypto, OpenBLAS (the CLIP judge),
# libpng, libjpeg and libwebp (image decoding), and pkg-config to find them.
WISE_BUILD_PACKAGES=(libsqlite3-dev libcurl4-openssl-dev libssl-dev libopenblas-dev libpng-dev libjpeg-dev libwebp-dev pkg-config)
# The virtual environments of the generation workers and of the tests.
WISE_PYTHON_PACKAGES=(python3 python3-venv)
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
