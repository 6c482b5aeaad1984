/*
 * memhog MIB: allocate MIB mebibytes, 1 MiB at a time, and touch every page.
 *
 * Touching matters: malloc(3) only reserves address space, and the kernel
 * charges a page to the memory cgroup when it is first written. The stage 05
 * suite runs `runt --memory 16M ... memhog 64` and expects the OOM killer to
 * end it (SIGKILL, so runt exits 137) before "done" is printed. Progress goes
 * to stdout, flushed, so the test can see how far it got:
 *   allocated 16 MiB      after every 16 MiB
 *   done 64 MiB           when all of it was allocated and touched
 * Exit 0 when done, 1 when malloc fails, 2 on a bad argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB_BYTES ((size_t)1024 * 1024)
#define MAX_MIB   4096 /* a test should never ask for more; refuse rather than hurt the host */
#define PAGE      4096 /* one write per 4 KiB reaches every page, whatever the page size */

int main(int argc, char **argv)
{
    char **chunks;
    char *end;
    long mib;
    long i;

    if (argc != 2) {
        fprintf(stderr, "usage: memhog MIB (1 to %d)\n", MAX_MIB);
        return 2;
    }
    mib = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || mib < 1 || mib > MAX_MIB) {
        fprintf(stderr, "memhog: MIB must be a whole number from 1 to %d, not '%s'\n", MAX_MIB,
                argv[1]);
        return 2;
    }

    /* Keep every chunk, so that nothing is given back before we exit. */
    chunks = calloc((size_t)mib, sizeof(*chunks));
    if (chunks == NULL) {
        fprintf(stderr, "memhog: calloc: out of memory\n");
        return 1;
    }
    for (i = 0; i < mib; i++) {
        /* volatile: the compiler must not drop writes that nothing reads. */
        volatile char *p = malloc(MIB_BYTES);

        if (p == NULL) {
            printf("malloc failed after %ld MiB\n", i);
            fflush(stdout);
            break;
        }
        chunks[i] = (char *)p;
        for (size_t off = 0; off < MIB_BYTES; off += PAGE)
            p[off] = 1;
        if ((i + 1) % 16 == 0) {
            printf("allocated %ld MiB\n", i + 1);
            fflush(stdout);
        }
    }
    if (i == mib) {
        printf("done %ld MiB\n", mib);
        fflush(stdout);
    }

    for (long j = 0; j < i; j++)
        free(chunks[j]);
    free(chunks);
    return i == mib ? 0 : 1;
}
