/*
 * seccomp-run [--cap-add CAP]... COMMAND [ARG...]: load final's default
 * seccomp profile (final/seccomp.c), built for a container that keeps
 * Docker's default capabilities plus each CAP (a name such as SYS_ADMIN, or
 * ALL), and exec COMMAND under it. A unit harness for the filter alone: no
 * namespaces, no mounts, and the process keeps whatever capabilities it
 * already has, so that a probe run as root tells the filter's EPERM apart
 * from a failed capability check.
 *
 * Exit status: COMMAND's, or 125 when seccomp-run itself fails, like runt.
 */
#include "../final/seccomp.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Docker's default capability set, the one stage 06 keeps and final keeps. */
#define DEFAULT_CAPS                                                                               \
    ((1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_FSETID) |                     \
     (1ULL << CAP_FOWNER) | (1ULL << CAP_MKNOD) | (1ULL << CAP_NET_RAW) | (1ULL << CAP_SETGID) |   \
     (1ULL << CAP_SETUID) | (1ULL << CAP_SETFCAP) | (1ULL << CAP_SETPCAP) |                        \
     (1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_SYS_CHROOT) | (1ULL << CAP_KILL) |              \
     (1ULL << CAP_AUDIT_WRITE))

static int usage(void)
{
    fprintf(stderr, "usage: seccomp-run [--cap-add CAP]... COMMAND [ARG...]\n");
    return 125;
}

/* "SYS_ADMIN", "CAP_SYS_ADMIN" or "sys_admin" as a bit; "ALL" as every bit. */
static int cap_bit(const char *name, uint64_t *bits)
{
    char full[64];
    cap_value_t cap;

    if (strcasecmp(name, "ALL") == 0) {
        *bits = ~0ULL;
        return 0;
    }
    if (strncasecmp(name, "CAP_", 4) == 0)
        name += 4;
    snprintf(full, sizeof(full), "cap_%s", name);
    if (name[0] == '\0' || cap_from_name(full, &cap) < 0 || cap < 0 || cap > 63)
        return -1;
    *bits = 1ULL << cap;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t caps = DEFAULT_CAPS, bit;
    struct runt_err err;
    char msg[1200];
    int i = 1;

    for (; i < argc && strcmp(argv[i], "--cap-add") == 0; i += 2) {
        if (i + 1 >= argc)
            return usage();
        if (cap_bit(argv[i + 1], &bit) < 0) {
            fprintf(stderr, "seccomp-run: unknown capability '%s'\n", argv[i + 1]);
            return 125;
        }
        caps |= bit;
    }
    if (i >= argc || argv[i][0] == '-')
        return usage();
    /* As runt does: no privileges from execve from here on; then the filter, then exec. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        fprintf(stderr, "seccomp-run: set no_new_privs: %s\n", strerror(errno));
        return 125;
    }
    if (load_seccomp(&runt_default_seccomp, caps, &err) < 0) {
        fprintf(stderr, "seccomp-run: %s\n", runt_err_str(&err, msg, sizeof(msg)));
        return 125;
    }
    execvp(argv[i], &argv[i]);
    fprintf(stderr, "seccomp-run: exec %s: %s\n", argv[i], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
