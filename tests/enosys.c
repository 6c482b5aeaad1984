/*
 * enosys NR COMMAND [ARGS...]: run COMMAND as if this kernel lacked syscall
 * NR: a seccomp filter answers ENOSYS for it, in COMMAND and everything it
 * starts. It lets a test take the path a program follows on an older kernel
 * (say, without close_range(2), which is Linux 5.9). Needs CAP_SYS_ADMIN, or
 * it sets no_new_privs first (seccomp(2)).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#define NATIVE_ARCH 0 /* unknown here: main() refuses to run */
#endif

int main(int argc, char **argv)
{
    char *end;
    unsigned long nr;

    if (argc < 3) {
        fprintf(stderr, "usage: enosys NR COMMAND [ARGS...]\n");
        return 2;
    }
    if (NATIVE_ARCH == 0) {
        fprintf(stderr, "enosys: add this architecture's AUDIT_ARCH_* value\n");
        return 2;
    }
    nr = strtoul(argv[1], &end, 10);
    if (*end != '\0' || nr > 4096) {
        fprintf(stderr, "enosys: '%s' is not a syscall number\n", argv[1]);
        return 2;
    }
    struct sock_filter code[] = {
        /* Another architecture's numbers mean other calls: let them through. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
        fprintf(stderr, "enosys: install the filter: %s\n", strerror(errno));
        return 2;
    }
    execvp(argv[2], argv + 2);
    fprintf(stderr, "enosys: exec %s: %s\n", argv[2], strerror(errno));
    return 127;
}
