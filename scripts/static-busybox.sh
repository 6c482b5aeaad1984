# shellcheck shell=bash
# Sourced by setup.sh and download_image.sh: where the default image's busybox comes from.
#
# static_busybox: print the first statically linked busybox, from $RUNT_BUSYBOX, the
# usual places, or /usr/local/bin (where setup.sh puts one on EL 8); fail if there is
# none. It must be static: the new root filesystem has no shared libraries to load.
static_busybox() {
    local b
    for b in ${RUNT_BUSYBOX:+"$RUNT_BUSYBOX"} /bin/busybox /usr/bin/busybox /usr/sbin/busybox \
        /sbin/busybox /usr/local/bin/busybox; do
        [ -x "$b" ] || continue
        if ! LC_ALL=C ldd "$b" >/dev/null 2>&1; then echo "$b"; return 0; fi
    done
    return 1
}
