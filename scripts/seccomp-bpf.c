/*
 * seccomp-bpf: print, as C, the BPF programs of final's default seccomp
 * filter for the capabilities `runt run` keeps by default, compiled once by
 * libseccomp (seccomp_export_bpf(3)). make writes them to
 * final/default-filter.inc, and final/runt loads them as they are, instead
 * of compiling the same ~380 rules at every start (docs/performance.md).
 * Any other profile or capability set is still compiled at run time.
 *
 * Exit status: 0, or 1 with one line on stderr.
 */
#include "../final/seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "seccomp-bpf: %s: %s\n", what, strerror(errno));
    return 1;
}

/* The program in fd as a C array `name`, and its length as `name`_len. */
static int print_program(int fd, const char *name)
{
    struct stat st;
    struct sock_filter *prog;
    size_t n;

    if (fstat(fd, &st) < 0)
        return fail("fstat");
    if (st.st_size % (off_t)sizeof(*prog) != 0) {
        errno = EINVAL;
        return fail("a program whose size is not a whole number of instructions");
    }
    n = (size_t)st.st_size / sizeof(*prog);
    prog = calloc(n + 1, sizeof(*prog));
    if (prog == NULL)
        return fail("calloc");
    if (pread(fd, prog, n * sizeof(*prog), 0) != (ssize_t)(n * sizeof(*prog))) {
        free(prog);
        return fail("read the exported program");
    }
    /* An empty program is printed as one unused instruction: C has no empty arrays. */
    printf("static const size_t %s_len = %zu;\n", name, n);
    printf("static const struct sock_filter %s[] = {\n", name);
    for (size_t i = 0; i < (n > 0 ? n : 1); i++)
        printf("    {0x%04x, %3u, %3u, 0x%08x},\n", prog[i].code, prog[i].jt, prog[i].jf,
               prog[i].k);
    printf("};\n");
    free(prog);
    return 0;
}

int main(void)
{
    const struct scmp_version *v = seccomp_version();
    uint64_t caps = default_cap_mask();
    int fds[2] = {memfd_create("profile", MFD_CLOEXEC), memfd_create("exceptions", MFD_CLOEXEC)};
    struct runt_err err;
    char line[1200];

    if (fds[0] < 0 || fds[1] < 0)
        return fail("memfd_create");
    if (export_seccomp(&runt_default_seccomp, caps, fds, &err) < 0) {
        fprintf(stderr, "seccomp-bpf: %s\n", runt_err_str(&err, line, sizeof(line)));
        return 1;
    }
    printf("/* Made by scripts/seccomp-bpf (make), with libseccomp %u.%u.%u: do not edit. */\n",
           v->major, v->minor, v->micro);
    printf("#define RUNT_BPF_CAPS 0x%016llxULL /* the capabilities it is compiled for */\n",
           (unsigned long long)caps);
    if (print_program(fds[0], "runt_bpf_profile") != 0 ||
        print_program(fds[1], "runt_bpf_exceptions") != 0)
        return 1;
    return fflush(stdout) == 0 ? 0 : fail("write");
}
