/*
 * runt (final): declarations shared by every file of the runtime.
 *
 * Every function that can fail returns 0 or -1 and fills a struct runt_err at
 * the call that failed; callers may add context with runt_err_prefix(). Only
 * main() prints an error, once, as "runt: <message>: <strerror>". The child
 * never prints its own: it sends it to the parent over the sync socket.
 */
#ifndef RUNT_H
#define RUNT_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define RUNT_VERSION           "0.2.0"
#define RUNT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ARRAY_SIZE(a)          (sizeof(a) / sizeof((a)[0]))

/* docker's exit codes: 125 runt failed, 126 cannot execute, 127 not found. */
enum { EXIT_RUNT_FAILED = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

/* What went wrong, where: errno (0 when errno does not describe it) and a message. */
struct runt_err {
    int errnum;
    char msg[1024];
};

void runt_verr(struct runt_err *err, int errnum, const char *fmt, va_list ap) RUNT_PRINTF(3, 0);

/*
 * Fill err with errnum and a formatted message; return -1, so `return runt_fail(...)` reads
 * well. Inline, so that every caller (and the static analyzer) sees that it returns -1.
 */
RUNT_PRINTF(3, 4)
static inline int runt_fail(struct runt_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    runt_verr(err, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

/* Put "<context>: " in front of err's message, for a caller that knows more. */
void runt_err_prefix(struct runt_err *err, const char *fmt, ...) RUNT_PRINTF(2, 3);

/* err as one line: "<message>: <strerror(errnum)>", or just the message when errnum is 0. */
const char *runt_err_str(const struct runt_err *err, char *buf, size_t size);

/* -v narration: "=> step" on stderr, one write per line. */
extern bool runt_verbose;
void say(const char *fmt, ...) RUNT_PRINTF(1, 2);

/* "runt: <message>" on stderr, one write: for main() and the parent's reports. */
void runt_print(const char *fmt, ...) RUNT_PRINTF(1, 2);

/* A command's end on failure: print err once, return 125. */
int fail_command(const struct runt_err *err);

/*
 * runt --log FILE [--log-format json|text]: errors (and, with --debug, the
 * narration) go to FILE as well, where podman and containerd read a failed
 * runtime's reason. json is runc's format: {"level","msg","time"} per line.
 */
int runt_log_open(const char *path, const char *format, struct runt_err *err);

/* ---- the configuration: what to run, filled by the CLI (main.c) or an OCI config.json ---- */

#define RUNT_MAX_ENV     256
#define RUNT_MAX_GIDS    32
#define RUNT_MAX_MOUNTS  64
#define RUNT_MAX_IDMAPS  5 /* what uid_map took before Linux 4.15 */
#define RUNT_MAX_RLIMITS 16
#define RUNT_MAX_SYSCTL  32
#define RUNT_MAX_PATHS   64
#define RUNT_MAX_DEVICES 64
#define RUNT_ID_MAX      128

/* Namespaces, in the order `runt exec` joins them: the user namespace last. */
enum runt_ns { NS_IPC, NS_UTS, NS_NET, NS_PID, NS_CGROUP, NS_MNT, NS_USER, NS_COUNT };

struct ns_spec {
    bool create;      /* a new one */
    const char *path; /* or join this one (OCI: /run/netns/...), setns(2) */
};

/* One mount, as mount(2) takes it; destination is inside the container's root. */
struct mount_spec {
    const char *source, *destination, *type, *data;
    unsigned long flags; /* MS_BIND, MS_RDONLY, MS_NOSUID... */
};

/* "inside outside count", one line of /proc/PID/uid_map (user_namespaces(7)). */
struct id_map {
    uint32_t inside, outside, count;
};

struct rlimit_spec {
    int resource; /* RLIMIT_NOFILE... */
    struct rlimit limit;
};
const char *rlimit_name(int resource);
int rlimit_from_name(const char *name);

struct sysctl_spec {
    const char *key, *value; /* "net.ipv4.ip_forward", "1" */
};

/* The five capability sets of capabilities(7), as masks of 1 << CAP_*. */
struct cap_sets {
    uint64_t bounding, effective, permitted, inheritable, ambient;
};

/* The process to run, and as whom: what `runt exec` repeats too. */
struct process_config {
    char **args;
    char *env[RUNT_MAX_ENV + 1]; /* "K=V", owned (config_free), NULL-terminated */
    size_t n_env;
    const char *cwd;
    uid_t uid;
    gid_t gid;
    gid_t gids[RUNT_MAX_GIDS]; /* supplementary groups */
    size_t n_gids;
    bool terminal;
    struct cap_sets caps;
    struct rlimit_spec rlimits[RUNT_MAX_RLIMITS];
    size_t n_rlimits;
    bool no_new_privileges;
    bool set_oom_score_adj;
    int oom_score_adj;
    bool set_umask;
    mode_t umask;
    const char *apparmor_profile;              /* NULL: none (OCI apparmorProfile) */
    unsigned short console_rows, console_cols; /* 0: the caller's size (OCI consoleSize) */
};

/* Access to a device node: a rule of the devices cgroup (v1), or of a BPF program (v2). */
enum { DEV_MKNOD = 1, DEV_READ = 2, DEV_WRITE = 4 }; /* as BPF_DEVCG_ACC_* */
struct device_rule {
    bool allow;
    char type;              /* 'c', 'b', or 'a' (all) */
    long long major, minor; /* -1: any */
    unsigned int access;    /* DEV_* */
};

struct resources {
    unsigned long long memory;      /* bytes, 0: no limit */
    unsigned long long memory_swap; /* memory and swap together, bytes, 0: not limited */
    long pids;                      /* 0: no limit */
    long cpu_quota_us;              /* per cpu_period_us, 0: no limit */
    long cpu_period_us;
    unsigned long long cpu_shares; /* relative weight (v1's cpu.shares), 0: the default */
    struct device_rule devices[RUNT_MAX_DEVICES]; /* in order; none: no devices cgroup */
    size_t n_devices;
};

struct seccomp_profile;

struct config {
    struct process_config process;
    const char *image;     /* the overlay's read-only lower layer (runt run) */
    const char *root_path; /* or a root used as it is (an OCI bundle's rootfs) */
    bool root_readonly;
    unsigned long root_propagation; /* MS_PRIVATE or MS_SLAVE, with MS_REC or not */
    const char *hostname;
    struct mount_spec mounts[RUNT_MAX_MOUNTS]; /* in order, after the root */
    size_t n_mounts;
    struct ns_spec ns[NS_COUNT];
    struct id_map uid_map[RUNT_MAX_IDMAPS], gid_map[RUNT_MAX_IDMAPS];
    size_t n_uid_map, n_gid_map;
    const char *cgroups_path; /* relative to each hierarchy; NULL: runt/<id> */
    struct resources resources;
    const char *masked_paths[RUNT_MAX_PATHS], *readonly_paths[RUNT_MAX_PATHS];
    size_t n_masked, n_readonly;
    struct sysctl_spec sysctl[RUNT_MAX_SYSCTL];
    size_t n_sysctl;
    const struct seccomp_profile *seccomp; /* NULL: none */
    /* runt's own, not the container's */
    const char *state_root;
    const char *id;        /* NULL: a random one */
    const char *bundle;    /* an OCI bundle's directory, NULL for runt run */
    bool keep;             /* keep the container's directory after it ended */
    bool kill_with_parent; /* runt run: PR_SET_PDEATHSIG; an OCI create: no */
    bool lock_dev;         /* runt run's policy: / nodev, /dev read-only (OCI: as configured) */
};

/* The device nodes every container's /dev holds (major, minor as in devices.txt). */
struct dev_node {
    const char *name;
    unsigned int major, minor;
};
#define N_DEV_NODES 6
extern const struct dev_node dev_nodes[N_DEV_NODES];

/* Docker's defaults: capabilities, masked paths, the mounts of a container. */
void config_init_defaults(struct config *cfg);
int config_add_env(struct process_config *p, const char *kv, struct runt_err *err);
int config_add_mount(struct config *cfg, const struct mount_spec *m, struct runt_err *err);
void config_free(struct config *cfg);
uint64_t default_cap_mask(void);
uint64_t all_caps_mask(void);
unsigned long clone_flags(const struct config *cfg);

#endif
