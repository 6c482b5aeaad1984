#!/usr/bin/env bash
# Run runt's bats suites in a small qemu VM on a pure cgroup v2 hierarchy.
#
#   scripts/vm-test.sh STAGE...     the same arguments as scripts/run-tests.sh
#
# The host may be cgroup v1 (and must never have its cgroups rebound), so the
# suites also run under Debian's kernel in a VM: TCG (no KVM needed), no network.
# The guest sees the host's root read-only over 9p, with a tmpfs overlay on top,
# so binaries, bats and the image come from the host and the host is never
# written to. It prints the guest's test output and exits with its status.
#
#   RUNT_SUITES="A.bats B.bats"   only these of the suites (see run-tests.sh)
#   RUNT_VM_SHELL=1   a shell in the guest instead of the tests (for debugging)
#   RUNT_VM_TIMEOUT   seconds before the VM is given up on (default 3000)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${RUNT_CACHE:-$HOME/.cache/runt}"
die() { echo "vm-test: $*" >&2; exit 1; }

[ $# -gt 0 ] || { echo "usage: $0 STAGE..." >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (run: sudo scripts/setup.sh)"
[ "$(uname -m)" = x86_64 ] || die "the test VM is x86_64-only"
# The repository's path travels on the kernel command line, which splits at spaces.
case "$repo" in *[[:space:]]*) die "the repository's path must not contain spaces: $repo" ;; esac

# The modules the guest needs, in load order: virtio transport, 9p, overlay.
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache
9pnet 9pnet_virtio 9p overlay"

# 1. Debian's kernel package, downloaded once into the cache and unpacked there.
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
mkdir -p "$cache"
pkg=$(kernel_package)
if [ -z "$pkg" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(kernel_package)
fi
[ -n "$pkg" ] || die "cannot find the package behind linux-image-amd64 (is apt configured?)"
kdir="$cache/$pkg"
if [ ! -d "$kdir/boot" ]; then
    (cd "$cache" && apt-get download "$pkg" >/dev/null 2>&1) ||
        (apt-get update -qq >/dev/null 2>&1 && cd "$cache" && apt-get download "$pkg" >/dev/null) ||
        die "cannot download $pkg (needs Debian's package archive)"
    rm -rf "$kdir.tmp"
    dpkg-deb -x "$cache/${pkg}"_*.deb "$kdir.tmp"
    mv "$kdir.tmp" "$kdir"
    rm -f "$cache/${pkg}"_*.deb
fi
vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' | head -n1)
moddir=$(find "$kdir/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)

# 2. The initramfs: a static busybox, the modules (uncompressed: busybox insmod
# cannot read .ko.xz), and an /init that builds the guest's root.
busybox=""
for b in /bin/busybox /usr/bin/busybox /usr/sbin/busybox; do
    if [ -x "$b" ] && ! LC_ALL=C ldd "$b" >/dev/null 2>&1; then busybox=$b; break; fi
done
[ -n "$busybox" ] || die "no statically linked busybox (run: sudo scripts/setup.sh)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
initrd="$work/initrd"
mkdir -p "$initrd"/{bin,dev,proc,sys,host,upper,newroot,modules}
cp "$busybox" "$initrd/bin/busybox"
for m in $modules; do
    ko=$(find "$moddir" -name "$m.ko*" | head -n1)
    [ -n "$ko" ] || continue # built into this kernel
    case "$ko" in
    *.xz) xz -dc "$ko" >"$initrd/modules/$m.ko" ;;
    *.zst) zstd -qdc "$ko" >"$initrd/modules/$m.ko" ;;
    *) cp "$ko" "$initrd/modules/$m.ko" ;;
    esac
done

cat >"$initrd/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do
    [ -f "/modules/$m.ko" ] && insmod "/modules/$m.ko" 2>/dev/null
done
fail() { echo "vm-init: $*"; echo "RUNT-VM-STATUS=99"; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 host /host || fail "mount 9p"
# A tmpfs upper over the read-only host: the tests may write, the host never sees it.
mount -t tmpfs -o size=1500m tmpfs /upper || fail "mount tmpfs"
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/host,upperdir=/upper/u,workdir=/upper/w /newroot ||
    fail "mount overlay"
cp /stage2 /newroot/.runt-vm-stage2
umount /proc /sys /dev
# switch_root moves the new root onto / (as a real mount, not a chroot), so that
# runt's pivot_root(2) works in the guest as it does on a booted machine.
exec switch_root /newroot /bin/sh /.runt-vm-stage2
INIT
chmod 755 "$initrd/init"
echo "$modules" | xargs -n1 >"$initrd/modules/order"

cat >"$initrd/stage2" <<'STAGE2'
# The guest's second stage, on the host's (read-only, overlaid) root.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# overlayfs cannot take an upper dir on overlayfs: tests and state live on tmpfs.
# The repository may itself be under /tmp (a CI clone): keep it visible at its path.
mkdir -p /.runt-repo && mount --bind "$runt_repo" /.runt-repo
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /var/lib/runt && mount -t tmpfs tmpfs /var/lib/runt
mkdir -p "$runt_repo" && mount --bind /.runt-repo "$runt_repo"
ip link set lo up 2>/dev/null
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb
echo "# vm: kernel $(uname -r), cgroup $(stat -fc %T /sys/fs/cgroup), controllers $(cat /sys/fs/cgroup/cgroup.controllers)"
cd "$runt_repo" || { echo "RUNT-VM-STATUS=98"; /bin/busybox poweroff -f; }
if [ -n "${runt_shell:-}" ]; then
    setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1'
else
    RUNT_SUITES=$(echo "${runt_suites:-}" | tr , ' ') bash scripts/run-tests.sh $(echo "$runt_stages" | tr , ' ')
    echo "RUNT-VM-STATUS=$?"
fi
sync
/bin/busybox poweroff -f
STAGE2

(cd "$initrd" && find . | "$initrd/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initrd.gz"

# 3. Boot. Unknown name=value kernel parameters reach /init as environment variables.
stages=$(echo "$*" | tr ' ' ,)
append="console=ttyS0 quiet loglevel=3 panic=-1 runt_repo=$repo runt_stages=$stages"
[ -n "${RUNT_SUITES:-}" ] && append="$append runt_suites=$(echo "$RUNT_SUITES" | xargs | tr ' ' ,)"
[ -n "${RUNT_VM_SHELL:-}" ] && append="$append runt_shell=1"
# TCG by default: on nested VMs /dev/kvm can exist and still hang the boot (seen on the
# machines this repository is developed on). RUNT_VM_ACCEL=kvm is much faster where KVM works.
accel=${RUNT_VM_ACCEL:-tcg}

# shellcheck disable=SC2054 # the commas belong to qemu options
qemu=(qemu-system-x86_64 -accel "$accel" -cpu max -smp 2 -m 2048
    -nographic -no-reboot -nic none -serial mon:stdio
    -kernel "$vmlinuz" -initrd "$work/initrd.gz" -append "$append"
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap)
if [ -n "${RUNT_VM_SHELL:-}" ]; then
    echo "# vm: a shell in the guest; Ctrl-a x quits"
    "${qemu[@]}"
    exit 0
fi

echo "# vm: booting $pkg (accel $accel) for stages $*"
log="$work/console.log"
set +e
timeout "${RUNT_VM_TIMEOUT:-3000}" "${qemu[@]}" </dev/null 2>&1 |
    sed -u 's/\r//g; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e

status=$(sed -n 's/^RUNT-VM-STATUS=\([0-9]*\)$/\1/p' "$log" | tail -n1)
if [ -z "$status" ]; then
    [ "$qemu_status" = 124 ] && die "the VM timed out after ${RUNT_VM_TIMEOUT:-3000} s"
    die "the VM ended without reporting a status (qemu exit $qemu_status)"
fi
exit "$status"
