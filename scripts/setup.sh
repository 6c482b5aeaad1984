#!/usr/bin/env bash
# Install what runt needs to build and test, and nothing that is already there.
# Idempotent: when everything is present it says so in one line and does nothing.
# Supports apt (Debian, Ubuntu) and dnf (Fedora, Alma/Rocky 8 and 9).
#
#   scripts/setup.sh        what `make run` and `make test` need
#   scripts/setup.sh --ci   also what only CI needs: debootstrap (the fresh-machine test),
#                           vagrant and its libvirt plugin (`vagrant validate`); apt only
#
# A static busybox is looked for in the usual places, in /usr/local/bin, and at
# $RUNT_BUSYBOX. Where the distribution has none (EPEL does not always carry one),
# put a static busybox binary at one of those and run this again.
set -euo pipefail

die() { echo "setup: $*" >&2; exit 1; }

ci=0
case "${1:-}" in
"") ;;
--ci) ci=1 ;;
*) die "usage: $0 [--ci]" ;;
esac

[ "$(id -u)" = 0 ] || die "must run as root (try: sudo $0)"

have() { command -v "$1" >/dev/null 2>&1; }

# A busybox that runs inside an empty root filesystem must be statically linked.
static_busybox() {
    local b
    for b in ${RUNT_BUSYBOX:+"$RUNT_BUSYBOX"} /bin/busybox /usr/bin/busybox /usr/sbin/busybox \
        /sbin/busybox /usr/local/bin/busybox; do
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
if [ "$ci" = 1 ]; then
    have debootstrap || missing+=(debootstrap)
    have vagrant || missing+=(vagrant)
    # With the plugin, `vagrant validate` checks the libvirt provider block too.
    dpkg-query -W -f='${Status}' vagrant-libvirt 2>/dev/null | grep -q 'ok installed' ||
        missing+=(vagrant-libvirt)
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all dependencies are present"
    exit 0
fi
echo "setup: installing: ${missing[*]}"

if have apt-get; then
    declare -A pkg=([compiler]=gcc [make]=make [pkg-config]=pkg-config
        [libseccomp]=libseccomp-dev [libcap]=libcap-dev [static-libc]=libc6-dev
        [bats]=bats [busybox]=busybox-static [iproute2]=iproute2 [procps]=procps
        [util-linux]=util-linux [qemu]=qemu-system-x86 [debootstrap]=debootstrap
        [vagrant]=vagrant [vagrant-libvirt]=vagrant-libvirt)
    pkgs=()
    for m in "${missing[@]}"; do pkgs+=("${pkg[$m]}"); done
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed (is a package mirror reachable?)"
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null ||
        die "apt-get install ${pkgs[*]} failed"
elif have dnf; then
    [ "$ci" = 0 ] || die "--ci needs apt (debootstrap and vagrant come from Debian's archive)"
    # busybox is installed on its own below: not every EPEL release has it.
    declare -A pkg=([compiler]=gcc [make]=make [pkg-config]=pkgconf-pkg-config
        [libseccomp]=libseccomp-devel [libcap]=libcap-devel [static-libc]=glibc-static
        [bats]=bats [busybox]='' [iproute2]=iproute [procps]=procps-ng
        [util-linux]=util-linux [qemu]=qemu-kvm)
    pkgs=()
    for m in "${missing[@]}"; do [ -z "${pkg[$m]}" ] || pkgs+=("${pkg[$m]}"); done
    # bats and busybox live in EPEL on Alma/Rocky; glibc-static in CRB/PowerTools.
    if [ -e /etc/redhat-release ] && ! grep -qi fedora /etc/redhat-release; then
        dnf install -y -q epel-release >/dev/null || die "dnf install epel-release failed"
        dnf config-manager --set-enabled crb >/dev/null 2>&1 ||
            dnf config-manager --set-enabled powertools >/dev/null 2>&1 || true
    fi
    if [ ${#pkgs[@]} -gt 0 ]; then
        dnf install -y -q "${pkgs[@]}" >/dev/null || die "dnf install ${pkgs[*]} failed"
    fi
    # Fedora's busybox is static; where the package does not exist, the check below
    # says what to do.
    static_busybox >/dev/null || dnf install -y -q busybox >/dev/null 2>&1 || true
    # EL's qemu-kvm installs the emulator outside PATH.
    if ! have qemu-system-x86_64 && [ -x /usr/libexec/qemu-kvm ]; then
        ln -s /usr/libexec/qemu-kvm /usr/local/bin/qemu-system-x86_64
    fi
else
    die "no apt-get or dnf here; install by hand: ${missing[*]}"
fi

static_busybox >/dev/null ||
    die "no statically linked busybox: put one at /usr/local/bin/busybox or set RUNT_BUSYBOX (see README, Troubleshooting)"
echo "setup: done"
