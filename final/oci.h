/*
 * runt (final): the OCI front door. podman, containerd and runc's users hand
 * runt a bundle (a directory with config.json and a root filesystem) and
 * drive it with runc's command line. config.json fills the same struct
 * config that `runt run`'s options fill; the lifecycle is run.c's.
 */
#ifndef RUNT_OCI_H
#define RUNT_OCI_H

#include "container.h"
#include "seccomp.h"

#include <json-c/json.h>

#define OCI_VERSION "1.0.2"

/* A parsed config.json, and everything its struct config points into. */
struct bundle {
    struct config cfg;
    json_object *json; /* config.json: the config's strings are its strings */
    char dir[PATH_MAX];
    void **owned; /* what bundle_alloc gave out, freed by bundle_free */
    size_t n_owned;
    struct seccomp_profile seccomp;
};

/* bundle.c: config.json -> struct config. Every field is honoured or refused by name. */
int bundle_load(const char *dir, struct bundle *b, struct runt_err *err);
int bundle_load_process(const char *file, struct bundle *b, struct runt_err *err);
void bundle_free(struct bundle *b);

/* json.c: walking config.json, with the path of each value for error messages. */
struct field {
    const char *name;
    /* NULL: a field of the spec that runt does not implement, refused unless empty */
    int (*parse)(json_object *v, const char *path, struct bundle *b, struct runt_err *err);
};
int parse_fields(json_object *o, const char *path, const struct field *fields, struct bundle *b,
                 struct runt_err *err);
void *bundle_alloc(struct bundle *b, size_t size, struct runt_err *err);
int want_type(json_object *v, json_type type, const char *path, struct runt_err *err);
int oci_string(json_object *v, const char *path, const char **out, struct runt_err *err);
int oci_bool(json_object *v, const char *path, bool *out, struct runt_err *err);
int oci_int(json_object *v, const char *path, long long min, long long max, long long *out,
            struct runt_err *err);
int oci_u64(json_object *v, const char *path, uint64_t *out, struct runt_err *err);
int oci_strings(json_object *v, const char *path, struct bundle *b, const char ***out, size_t *n,
                struct runt_err *err);
void child_path(char *out, size_t size, const char *path, const char *name);
void index_path(char *out, size_t size, const char *path, size_t i);

/* bundle_process.c: process (also runt exec --process) */
int parse_process(json_object *v, const char *path, struct bundle *b, struct runt_err *err);

/* bundle_resources.c: linux.cgroupsPath and linux.resources */
int parse_cgroups_path(json_object *v, const char *path, struct bundle *b, struct runt_err *err);
int parse_resources(json_object *v, const char *path, struct bundle *b, struct runt_err *err);

/* bundle_mounts.c: mounts, with their options */
int parse_mounts(json_object *v, const char *path, struct bundle *b, struct runt_err *err);
int bundle_path(struct bundle *b, const char *path, const char **out, struct runt_err *err);
json_object *mount_option_names(void);

/* bundle_linux.c: linux.* (namespaces, cgroups, devices, sysctl, masks) */
int parse_linux(json_object *v, const char *path, struct bundle *b, struct runt_err *err);
int check_linux(const struct config *cfg, struct runt_err *err);

/* oci_seccomp.c: linux.seccomp, both ways */
int parse_seccomp(json_object *v, const char *path, struct bundle *b, struct runt_err *err);
json_object *seccomp_to_json(const struct seccomp_profile *p, uint64_t caps);
json_object *seccomp_features(void);

/* spec.c */
json_object *default_spec(void);
int cmd_spec(int argc, char **argv);
int cmd_features(int argc, char **argv);

/* console.c: the console socket and the pid file of runc's command line */
int send_console(const char *socket_path, int master, struct runt_err *err);
int console_connect(const char *socket_path, struct runt_err *err);
int console_send(int sock, int master, struct runt_err *err);
struct pid_file {
    int dir; /* opened before runt exec enters the container's mount namespace */
    char name[NAME_MAX + 1];
};
int pid_file_open(const char *path, struct pid_file *pf, struct runt_err *err);
int pid_file_write(struct pid_file *pf, pid_t pid, struct runt_err *err);
int write_pid_file(const char *path, pid_t pid, struct runt_err *err);

/* oci.c: create, start, state, delete, and run --bundle */
bool is_oci_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_oci_run(int argc, char **argv);
int valid_id(const char *id, struct runt_err *err);

#endif
