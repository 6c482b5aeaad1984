#!/usr/bin/env bash
# Install what runt needs to build and test, and nothing that is already there.
# Idempotent: when everything is present it says so in one line and does nothing.
# Supports apt (Debian, Ubuntu) and dnf (Fedora; Alma/Rocky 8 and 9, with EPEL).
#
#   scripts/setup.sh          what `make run` and `make test` need
#   scripts/setup.sh --bench  also what `make bench` needs: hyperfine, crun and runc (the
#                             references it measures against) and gnuplot (its plot)
#   scripts/setup.sh --ci     also what only CI needs: debootstrap (the fresh-machine test),
#                             vagrant and its libvirt plugin (`vagrant validate`), podman,
#                             conmon and containerd (final/'s OCI clients), and what
#                             --bench installs (CI runs make bench); apt only
#
# A static busybox is looked for in the usual places, in /usr/local/bin, and at
# $RUNT_BUSYBOX. Debian/Ubuntu (busybox-static), Fedora and EPEL 9 (busybox) package
# one; EPEL 8 does not, so on EL 8 this takes EPEL 9's build (see epel9_busybox below).
set -euo pipefail

die() { echo "setup: $*" >&2; exit 1; }

ci=0 bench=0
case "${1:-}" in
"") ;;
--bench) bench=1 ;;
--ci) ci=1 bench=1 ;;
*) die "usage: $0 [--bench | --ci]" ;;
esac

[ "$(id -u)" = 0 ] || die "must run as root (try: sudo $0)"

have() { command -v "$1" >/dev/null 2>&1; }

# shellcheck source=scripts/static-busybox.sh
. "$(dirname "${BASH_SOURCE[0]}")/static-busybox.sh"

# EPEL 8 has no busybox package (EPEL 9 and Fedora have one). EPEL 9's is linked
# statically (against glibc), so the same binary runs on EL 8 too: `dnf download` it
# from EPEL 9's repository, which dnf reads for this one command only (over HTTPS; dnf
# checks the rpm against that repository's metadata, not against EPEL 9's signing
# key), and install only the binary, as /usr/local/bin/busybox. rpm2cpio reads the
# rpm's zstd payload on EL 8.2 and later.
epel9_busybox() {
    local tmp bin repo
    repo="https://dl.fedoraproject.org/pub/epel/9/Everything/$(uname -m)/"
    echo "setup: no busybox package here: taking EPEL 9's static build from $repo"
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064 # expand $tmp now
    trap "rm -rf '$tmp'" EXIT
    dnf install -y -q cpio >/dev/null || die "dnf install cpio failed"
    dnf download -q --destdir "$tmp" --repofrompath "runt-epel9,$repo" --repo runt-epel9 busybox ||
        die "cannot download busybox from $repo"
    (cd "$tmp" && rpm2cpio busybox-*.rpm | cpio -idm --quiet) || die "cannot unpack the busybox rpm"
    bin=$(find "$tmp" -type f -path '*bin/busybox' | head -n1)
    if [ -z "$bin" ] || LC_ALL=C ldd "$bin" >/dev/null 2>&1; then
        die "the busybox rpm from $repo holds no static busybox"
    fi
    install -m 0755 "$bin" /usr/local/bin/busybox
}

# Each check prints nothing and succeeds when its dependency is present.
missing=()
have cc || missing+=(compiler)
have make || missing+=(make)
have pkg-config || missing+=(pkg-config)
pkg-config --exists libseccomp 2>/dev/null || missing+=(libseccomp)
pkg-config --exists libcap 2>/dev/null || missing+=(libcap)
pkg-config --exists json-c 2>/dev/null || missing+=(json-c)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib64/libc.a ] || [ -e /usr/lib/libc.a ] ||
    ls /usr/lib/*/libc.a >/dev/null 2>&1 || missing+=(static-libc)
have bats || missing+=(bats)
static_busybox >/dev/null || missing+=(busybox)
have ip || missing+=(iproute2)
have ps || missing+=(procps)
have unshare || missing+=(util-linux)
have strace || missing+=(strace)
have jq || missing+=(jq)
# qemu boots the cgroup v2 test VM (scripts/vm-test.sh), which is x86_64-only and boots
# Debian's kernel fetched with apt-get: make test skips it elsewhere, so only apt needs qemu.
if [ "$(uname -m)" = x86_64 ] && have apt-get; then
    have qemu-system-x86_64 || missing+=(qemu)
fi
if [ "$bench" = 1 ]; then
    have hyperfine || missing+=(hyperfine)
    have crun || missing+=(crun)
    have runc || missing+=(runc)
    have gnuplot || missing+=(gnuplot)
fi
if [ "$ci" = 1 ]; then
    have debootstrap || missing+=(debootstrap)
    # The real clients of final/'s OCI front door (final/podman.bats, final/containerd.bats).
    have podman || missing+=(podman)
    have conmon || missing+=(conmon)
    { have containerd && have ctr; } || missing+=(containerd)
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
        [libseccomp]=libseccomp-dev [libcap]=libcap-dev [json-c]=libjson-c-dev [static-libc]=libc6-dev
        [bats]=bats [busybox]=busybox-static [iproute2]=iproute2 [procps]=procps
        [util-linux]=util-linux [strace]=strace [jq]=jq [qemu]=qemu-system-x86 [debootstrap]=debootstrap
        [vagrant]=vagrant [vagrant-libvirt]=vagrant-libvirt [podman]=podman [conmon]=conmon
        [containerd]=containerd [hyperfine]=hyperfine [crun]=crun [runc]=runc [gnuplot]=gnuplot-nox)
    pkgs=()
    for m in "${missing[@]}"; do pkgs+=("${pkg[$m]}"); done
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed (is a package mirror reachable?)"
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null ||
        die "apt-get install ${pkgs[*]} failed"
elif have dnf; then
    [ "$ci" = 0 ] || die "--ci needs apt (debootstrap and vagrant come from Debian's archive)"
    # busybox is installed on its own below: not every distribution packages it.
    declare -A pkg=([compiler]=gcc [make]=make [pkg-config]=pkgconf-pkg-config
        [libseccomp]=libseccomp-devel [libcap]=libcap-devel [json-c]=json-c-devel
        [static-libc]=glibc-static
        [bats]=bats [busybox]='' [iproute2]=iproute [procps]=procps-ng
        [util-linux]=util-linux [strace]=strace [jq]=jq [hyperfine]=hyperfine [crun]=crun [runc]=runc
        [gnuplot]=gnuplot)
    pkgs=()
    for m in "${missing[@]}"; do [ -z "${pkg[$m]}" ] || pkgs+=("${pkg[$m]}"); done
    # Fedora has everything in its own repositories. An EL (Alma, Rocky, CentOS Stream)
    # needs two more: EPEL, for bats (and busybox on 9), and the repository RHEL calls
    # CodeReady Linux Builder, for glibc-static and libseccomp-devel. Alma and Rocky name
    # it "powertools" on 8 and "crb" from 9 on; dnf config-manager is in dnf-plugins-core.
    # On RHEL itself, install EPEL from its website and enable codeready-builder first.
    el=""
    if [ -r /etc/os-release ]; then
        # shellcheck source=/dev/null
        el=$(. /etc/os-release; [ "${ID:-}" = fedora ] || echo "${VERSION_ID%%.*}")
    fi
    if [ -n "$el" ]; then
        crb=crb
        [ "$el" = 8 ] && crb=powertools
        dnf install -y -q dnf-plugins-core epel-release >/dev/null ||
            die "dnf install dnf-plugins-core epel-release failed (on RHEL, see https://docs.fedoraproject.org/en-US/epel/)"
        dnf config-manager --set-enabled "$crb" ||
            die "cannot enable the $crb repository, which has glibc-static"
    fi
    if [ ${#pkgs[@]} -gt 0 ]; then
        dnf install -y -q "${pkgs[@]}" >/dev/null || die "dnf install ${pkgs[*]} failed"
    fi
    # Fedora's and EPEL 9's busybox package is statically linked; EPEL 8 has none.
    if ! static_busybox >/dev/null && ! dnf install -y -q busybox >/dev/null 2>&1 && [ -n "$el" ]; then
        epel9_busybox
    fi
else
    die "no apt-get or dnf here; install by hand: ${missing[*]}"
fi

static_busybox >/dev/null ||
    die "no statically linked busybox: put one at /usr/local/bin/busybox or set RUNT_BUSYBOX"
echo "setup: done"
