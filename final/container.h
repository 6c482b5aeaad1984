/*
 * runt (final): a container's lifecycle, and the mechanisms it is made of.
 * Each group of declarations below is one file of final/.
 */
#ifndef RUNT_CONTAINER_H
#define RUNT_CONTAINER_H

#include "runt.h"

#include <stdnoreturn.h>
#include <termios.h>

/* ---- cgroup.c: runt/<id>, one directory on v2, one per controller on v1 ---- */

#define CGROUP_ROOT   "/sys/fs/cgroup"
#define CGROUP_MAX    4 /* memory, pids, cpu; devices if the config has device rules */
#define CPU_PERIOD_US 100000L

struct cgroups {
    bool unified;
    size_t count; /* how many of dirs[] exist: teardown removes exactly those */
    char dirs[CGROUP_MAX][PATH_MAX];
};

int cgroup_create(struct cgroups *cg, const char *relpath, const struct resources *res,
                  struct runt_err *err);
int cgroup_join(const struct cgroups *cg, pid_t pid, struct runt_err *err);
void cgroup_destroy(struct cgroups *cg);
int write_cgroup_file(const char *dir, const char *file, const char *value, struct runt_err *err);
bool cgroup_report_oom(const struct cgroups *cg, const char *id, unsigned long long limit);

/* ---- devices.c: which device nodes the container may use ---- */

int devices_apply_v1(const char *dir, const struct resources *res, struct runt_err *err);
int devices_apply_v2(const char *dir, const struct resources *res, struct runt_err *err);

/* ---- sync.c: the two-way socket between runt and the container's init ---- */

enum sync_type { SYNC_GO = 1, SYNC_READY, SYNC_ERROR, SYNC_FD };

struct sync_msg {
    int32_t type;
    int32_t errnum;    /* SYNC_ERROR: errno */
    int32_t exit_code; /* SYNC_ERROR: 125 for a setup step, 126/127 for exec */
    char msg[1024];
};

int sync_pair(int fds[2], struct runt_err *err);
int sync_send(int fd, enum sync_type type, int pass_fd, struct runt_err *err);
/* 1: a message (and *fd_out, or -1), 0: EOF (the other side closed or exec'd), -1: error. */
int sync_recv(int fd, struct sync_msg *m, int *fd_out, struct runt_err *err);
int sync_expect(int fd, enum sync_type type, int *fd_out, struct runt_err *err);
noreturn void sync_fail(int fd, const struct runt_err *err, int exit_code);

/* ---- the container: what has been created, so that one teardown undoes it ---- */

struct container {
    const struct config *cfg;
    char id[RUNT_ID_MAX + 1];
    char rootfs[PATH_MAX]; /* the image (lower layer) or the root used as it is */
    char dir[PATH_MAX];    /* <state root>/containers/<id> */
    char upper[PATH_MAX], work[PATH_MAX], merged[PATH_MAX], lower[PATH_MAX];
    char fifo[PATH_MAX]; /* exec.fifo: init blocks on it until start */
    bool dir_created;
    struct cgroups cgroups;
    pid_t pid; /* the init, seen from the host */
    unsigned long long start_time;
    long long created; /* seconds since the epoch */
    bool reaped;
    int wait_status;
    int sync_fd;       /* runt's end of the sync socket */
    int child_sync_fd; /* the init's end, closed in runt after clone */
    int fifo_fd;       /* O_PATH of exec.fifo, inherited by the init */
    int tty_master;
    int lower_fd;   /* --userns: the idmapped image, made by runt for the init */
    int dir_fds[4]; /* --userns: upper, work, merged, lower, opened by the init (rootfs.c) */
    bool termios_saved;
    struct termios termios;
};

/* ---- run.c: create, start, wait, delete ---- */

void container_init(struct container *c, const struct config *cfg);
int new_container_id(char *id, struct runt_err *err);
int container_create(struct container *c, struct runt_err *err);
int container_start(struct container *c, struct runt_err *err);
int container_wait(struct container *c, int *exit_code, struct runt_err *err);
void container_destroy(struct container *c);
int wait_exit_status(pid_t pid, int *status, struct runt_err *err);
int exit_code_of(int status);

/* ---- signals.c: what runt forwards to the container ---- */
void forward_signals_to(pid_t pid);
int install_signal_forwarding(struct runt_err *err);
void block_forwarded_signals(int how);
void reset_signals_for_exec(void);

/* ---- child.c: the init's setup checklist, then execve ---- */

noreturn void child_main(struct container *c);

/* ---- rootfs.c ---- */

int rootfs_prepare_dirs(struct container *c, struct runt_err *err);
int rootfs_open_layers(struct container *c, struct runt_err *err);
int rootfs_mount(const struct container *c, struct runt_err *err);
int rootfs_pivot(const struct container *c, struct runt_err *err);
int rootfs_protect(const struct config *cfg, struct runt_err *err);

/* ---- mounts.c ---- */

int mount_one(int root_fd, const struct mount_spec *m, const struct container *c,
              struct runt_err *err);
int open_beneath(int root_fd, const char *path, int flags, struct runt_err *err);
struct mount_attr;
int attach_tree(int tree, unsigned int at_flags, struct mount_attr *attr, int target,
                struct runt_err *err);

/* ---- cgroupfs.c: a mount of type "cgroup", the container's own cgroups ---- */

int mount_cgroupfs(int root_fd, int target, const struct mount_spec *m, const struct cgroups *cg,
                   bool cgroupns, struct runt_err *err);
int make_dirs(const char *path, mode_t mode, struct runt_err *err);
int join_path(char *out, const char *dir, const char *name, struct runt_err *err);
int refuse_overlay_separators(const char *what, const char *path, struct runt_err *err);
int remove_tree(const char *path);

/* ---- security.c: who the process is, and what it may do ---- */

int become_user(const struct process_config *p, bool kill_with_parent, int sync_fd,
                struct runt_err *err);
int set_no_new_privs(struct runt_err *err);
int apply_process_limits(const struct process_config *p, struct runt_err *err);
int close_inherited_fds(int keep, struct runt_err *err);
int set_parent_death_signal(int sync_fd, struct runt_err *err);
int enter_workdir(const char *cwd, struct runt_err *err);
bool apparmor_enabled(void);
int set_apparmor_profile(const char *profile, struct runt_err *err);
void prepare_exec(const struct process_config *p);
noreturn void exec_process(const struct process_config *p, int sync_fd);
int parse_cap(const char *option, const char *arg, uint64_t *mask, struct runt_err *err);

/* ---- userns.c ---- */

int write_id_maps(pid_t pid, const struct config *cfg, struct runt_err *err);
int refuse_mapped_host_nodes(const struct config *cfg, struct runt_err *err);
int idmapped_image(const char *image, pid_t pid, int *fd_out, struct runt_err *err);
int copy_image_shifted(const char *image, const char *dst, const struct config *cfg,
                       struct runt_err *err);
int become_userns_root(struct runt_err *err);
uid_t host_uid_of_root(const struct config *cfg);

/* ---- tty.c ---- */

int tty_open_in_container(int *master_out, struct runt_err *err);
int tty_set_size(int master, const struct process_config *p, struct runt_err *err);
int tty_relay(int master, struct container *c, struct runt_err *err);
void tty_restore(struct container *c);

/* ---- state.c: <state root>/containers/<id>/state.json ---- */

struct state {
    char id[RUNT_ID_MAX + 1];
    pid_t pid;
    unsigned long long start_time;
    long long created;
    char status[16];
    char fifo[PATH_MAX]; /* exists until the container is started */
    char rootfs[PATH_MAX];
    char bundle[PATH_MAX]; /* "" for runt run's containers */
    char dir[PATH_MAX];    /* <state root>/containers/<id> */
    char command[256];
    struct cgroups cgroups;
    bool userns;
    struct process_config process;
};

int state_save(const struct container *c, const char *status, struct runt_err *err);
int state_load(const char *state_root, const char *id, struct state *st, struct runt_err *err);
void state_free(struct state *st);
const char *state_live_status(const struct state *st);
int proc_start_time(pid_t pid, unsigned long long *out, struct runt_err *err);
int state_root_of(const char *flag, const char **out, struct runt_err *err);
extern const char *runt_global_root; /* runt --root DIR <command> */
int open_checked_pidfd(const struct state *st, struct runt_err *err);

/* ---- options.c: the values of runt run's options ---- */

int parse_memory(const char *arg, unsigned long long *out, struct runt_err *err);
int parse_pids(const char *arg, long *out, struct runt_err *err);
int parse_cpus(const char *arg, long *quota_us, struct runt_err *err);
int parse_user(const char *arg, struct process_config *p, struct runt_err *err);
int parse_env(const char *arg, struct process_config *p, struct runt_err *err);
int parse_volume(const char *arg, struct config *cfg, struct runt_err *err);
int parse_userns(const char *arg, struct config *cfg, struct runt_err *err);

/* ---- the commands (main.c dispatches) ---- */

int option_error(int c, char **argv, struct runt_err *err);
int run_command(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_exec(int argc, char **argv);

#endif
