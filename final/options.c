/*
 * runt (final): the values of `runt run`'s options, each checked before
 * anything is created: one clear line naming the option when it is wrong.
 */
#include "container.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

/*
 * Limits are checked while parsing, before anything is created. strtoull(3)
 * accepts "-1" (as a huge number) and leading spaces, so the first character
 * must be a digit; ERANGE catches overflow.
 */
int parse_memory(const char *arg, unsigned long long *out, struct runt_err *err)
{
    unsigned long long n, unit = 1;
    char *end;

    if (arg[0] < '0' || arg[0] > '9')
        return runt_fail(err, 0, "--memory: '%s' is not a size (try 64M)", arg);
    errno = 0;
    n = strtoull(arg, &end, 10);
    if (*end == 'K' || *end == 'k')
        unit = 1ULL << 10;
    else if (*end == 'M' || *end == 'm')
        unit = 1ULL << 20;
    else if (*end == 'G' || *end == 'g')
        unit = 1ULL << 30;
    if (unit != 1)
        end++;
    if (*end != '\0')
        return runt_fail(err, 0, "--memory: '%s' is not a size (try 64M)", arg);
    if (errno == ERANGE || n > LLONG_MAX / unit)
        return runt_fail(err, 0, "--memory: '%s' is too large", arg);
    if (n == 0)
        return runt_fail(err, 0, "--memory: must be more than 0");
    *out = n * unit;
    return 0;
}

/* A number from min to max, for --pids and the ids of --user. */
static int parse_number(const char *option, const char *arg, long long max, long long *out,
                        struct runt_err *err)
{
    char *end;

    if (arg[0] < '0' || arg[0] > '9')
        return runt_fail(err, 0, "%s: '%s' is not a number", option, arg);
    errno = 0;
    *out = strtoll(arg, &end, 10);
    if (*end != '\0')
        return runt_fail(err, 0, "%s: '%s' is not a number", option, arg);
    if (errno == ERANGE || *out > max)
        return runt_fail(err, 0, "%s: '%s' is too large", option, arg);
    return 0;
}

int parse_pids(const char *arg, long *out, struct runt_err *err)
{
    long long n = 0;

    /* The kernel never has more than 4M pids (PID_MAX_LIMIT). */
    if (arg[0] < '0' || arg[0] > '9')
        return runt_fail(err, 0, "--pids: '%s' is not a positive number", arg);
    if (parse_number("--pids", arg, 4L * 1024 * 1024, &n, err) < 0)
        return -1;
    if (n == 0)
        return runt_fail(err, 0, "--pids: must be more than 0");
    *out = (long)n;
    return 0;
}

/* --cpus 0.5 means 50 ms of CPU time in every 100 ms period. */
int parse_cpus(const char *arg, long *quota_us, struct runt_err *err)
{
    char *end;
    double cpus;

    if ((arg[0] < '0' || arg[0] > '9') && arg[0] != '.')
        return runt_fail(err, 0, "--cpus: '%s' is not a positive number", arg);
    errno = 0;
    cpus = strtod(arg, &end);
    if (*end != '\0' || !isfinite(cpus))
        return runt_fail(err, 0, "--cpus: '%s' is not a positive number", arg);
    if (errno == ERANGE || cpus > 1024)
        return runt_fail(err, 0, "--cpus: '%s' is too large", arg);
    /* The kernel refuses quotas under 1 ms. */
    if (cpus * CPU_PERIOD_US < 1000)
        return runt_fail(err, 0, "--cpus: must be at least 0.01");
    *quota_us = (long)(cpus * CPU_PERIOD_US + 0.5); /* rounded; no libm needed */
    return 0;
}

/* UID[:GID], numeric: runt does not read the image's /etc/passwd. Docker's default GID is 0. */
int parse_user(const char *arg, struct process_config *p, struct runt_err *err)
{
    char uid[32];
    const char *colon = strchr(arg, ':');
    long long n = 0;

    snprintf(uid, sizeof(uid), "%.*s", colon ? (int)(colon - arg) : (int)strlen(arg), arg);
    if (parse_number("--user", uid, 0xfffffffeLL, &n, err) < 0)
        return -1;
    p->uid = (uid_t)n;
    p->gid = 0;
    if (colon != NULL) {
        if (parse_number("--user", colon + 1, 0xfffffffeLL, &n, err) < 0)
            return -1;
        p->gid = (gid_t)n;
    }
    return 0;
}

/* -e K=V, or -e K for the caller's value of K (skipped when unset), as docker does. */
int parse_env(const char *arg, struct process_config *p, struct runt_err *err)
{
    char kv[4096];
    const char *value;

    if (arg[0] == '\0')
        return runt_fail(err, 0, "--env: '' is not KEY=VALUE");
    if (strchr(arg, '=') == NULL) {
        value = getenv(arg);
        if (value == NULL)
            return 0;
        snprintf(kv, sizeof(kv), "%s=%s", arg, value);
        arg = kv;
    }
    if (config_add_env(p, arg, err) < 0) {
        runt_err_prefix(err, "--env");
        return -1;
    }
    return 0;
}

/*
 * -v HOST:CTR[:ro]. The host path must exist. The container path must be
 * absolute and free of "..": the init also refuses one that a symlink in
 * the image would lead out of the root (openat2(2), RESOLVE_BENEATH).
 */
int parse_volume(const char *arg, struct config *cfg, struct runt_err *err)
{
    static char sources[RUNT_MAX_MOUNTS][PATH_MAX], targets[RUNT_MAX_MOUNTS][PATH_MAX];
    size_t i = cfg->n_mounts;
    char host[PATH_MAX];
    const char *ctr = strchr(arg, ':'), *mode;
    struct mount_spec m = {.flags = MS_BIND | MS_REC | MS_NOSUID | MS_NODEV};
    struct stat st;

    if (ctr == NULL || ctr == arg || ctr[1] == '\0' || i == RUNT_MAX_MOUNTS)
        return runt_fail(err, 0, "--volume: '%s' is not HOST:CONTAINER[:ro]", arg);
    snprintf(host, sizeof(host), "%.*s", (int)(ctr - arg), arg);
    ctr++;
    mode = strchr(ctr, ':');
    snprintf(targets[i], PATH_MAX, "%.*s", mode ? (int)(mode - ctr) : (int)strlen(ctr), ctr);
    if (mode != NULL && strcmp(mode, ":ro") != 0 && strcmp(mode, ":rw") != 0)
        return runt_fail(err, 0, "--volume: '%s': the mode must be ro or rw", arg);
    if (mode != NULL && strcmp(mode, ":ro") == 0)
        m.flags |= MS_RDONLY;
    if (targets[i][0] != '/')
        return runt_fail(err, 0, "--volume: container path '%s' must be absolute", targets[i]);
    if (strcmp(targets[i], "/..") == 0 || strstr(targets[i], "/../") != NULL ||
        (strlen(targets[i]) >= 3 && strcmp(targets[i] + strlen(targets[i]) - 3, "/..") == 0))
        return runt_fail(err, 0, "--volume: container path '%s' must not contain '..'", targets[i]);
    if (stat(host, &st) < 0 || realpath(host, sources[i]) == NULL)
        return runt_fail(err, errno, "--volume: host path %s", host);
    m.source = sources[i];
    m.destination = targets[i];
    return config_add_mount(cfg, &m, err);
}

/* --userns[=HOSTID]: the container's ids 0..65535 are the host's HOSTID.. */
int parse_userns(const char *arg, struct config *cfg, struct runt_err *err)
{
    long long host = 100000;

    if (arg != NULL && parse_number("--userns", arg, 0xffffffffLL - 65536, &host, err) < 0)
        return -1;
    if (arg != NULL && host == 0)
        return runt_fail(err, 0, "--userns: the host id must not be 0 (that is host root)");
    cfg->ns[NS_USER].create = true;
    cfg->uid_map[0] = (struct id_map){0, (uint32_t)host, 65536};
    cfg->gid_map[0] = (struct id_map){0, (uint32_t)host, 65536};
    cfg->n_uid_map = cfg->n_gid_map = 1;
    return 0;
}
