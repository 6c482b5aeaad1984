#!/usr/bin/env bash
# Install what runt needs to build and test, and nothing that is already there.
# Idempotent: when everything is present it says so in one line and does nothing.
# Supports apt (Debian, Ubuntu) and dnf (Fedora, Alma/Rocky 8 and 9).
set -euo pipefail

die() { echo "setup: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (try: sudo $0)"

have() { command -v "$1" >/dev/null 2>&1; }

# A busybox that runs inside an empty root filesystem must be statically linked.
static_busybox() {
    local b
    for b in /bin/busybox /usr/bin/busybox /usr/sbin/busybox /sbin/busybox; do
        [ -x "$b" ] || continue
        if ! LC_ALL=C ldd "$b" >/dev/null 2>&1; then echo "$b"; return 0; fi
    done
    return 1
}

# Each check prints nothing and succeeds when its dependency is present.
missing=()
have cc || missing+=(compiler)
have make || missing+=(make)
have pkg-config || missing+=(pkg-config)
pkg-config --exists libseccomp 2>/dev/null || missing+=(libseccomp)
pkg-config --exists libcap 2>/dev/null || missing+=(libcap)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib64/libc.a ] || [ -e /usr/lib/libc.a ] ||
    ls /usr/lib/*/libc.a >/dev/null 2>&1 || missing+=(static-libc)
have bats || missing+=(bats)
static_busybox >/dev/null || missing+=(busybox)
have ip || missing+=(iproute2)
have ps || missing+=(procps)
have unshare || missing+=(util-linux)
# qemu boots the cgroup v2 test VM (scripts/vm-test.sh); it is x86_64-only for now.
if [ "$(uname -m)" = x86_64 ]; then have qemu-system-x86_64 || missing+=(qemu); fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all dependencies are present"
    exit 0
fi
echo "setup: installing: ${missing[*]}"

if have apt-get; then
    declare -A pkg=([compiler]=gcc [make]=make [pkg-config]=pkg-config
        [libseccomp]=libseccomp-dev [libcap]=libcap-dev [static-libc]=libc6-dev
        [bats]=bats [busybox]=busybox-static [iproute2]=iproute2 [procps]=procps
        [util-linux]=util-linux [qemu]=qemu-system-x86)
    pkgs=()
    for m in "${missing[@]}"; do pkgs+=("${pkg[$m]}"); done
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed (is a package mirror reachable?)"
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null ||
        die "apt-get install ${pkgs[*]} failed"
elif have dnf; then
    declare -A pkg=([compiler]=gcc [make]=make [pkg-config]=pkgconf-pkg-config
        [libseccomp]=libseccomp-devel [libcap]=libcap-devel [static-libc]=glibc-static
        [bats]=bats [busybox]=busybox [iproute2]=iproute [procps]=procps-ng
        [util-linux]=util-linux [qemu]=qemu-kvm)
    pkgs=()
    for m in "${missing[@]}"; do pkgs+=("${pkg[$m]}"); done
    # bats and busybox live in EPEL on Alma/Rocky; glibc-static in CRB/PowerTools.
    if [ -e /etc/redhat-release ] && ! grep -qi fedora /etc/redhat-release; then
        dnf install -y -q epel-release >/dev/null || die "dnf install epel-release failed"
        dnf config-manager --set-enabled crb >/dev/null 2>&1 ||
            dnf config-manager --set-enabled powertools >/dev/null 2>&1 || true
    fi
    dnf install -y -q "${pkgs[@]}" >/dev/null || die "dnf install ${pkgs[*]} failed"
    # EL's qemu-kvm installs the emulator outside PATH.
    if ! have qemu-system-x86_64 && [ -x /usr/libexec/qemu-kvm ]; then
        ln -s /usr/libexec/qemu-kvm /usr/local/bin/qemu-system-x86_64
    fi
else
    die "no apt-get or dnf here; install by hand: ${missing[*]}"
fi

static_busybox >/dev/null ||
    die "no statically linked busybox found after install (see README, Troubleshooting)"
echo "setup: done"
