/*
 * runt (final): a seccomp profile, made into BPF filters by libseccomp and
 * loaded (load_seccomp), or exported for the build (export_seccomp). runt
 * run's default filter is usually not compiled here at all: make compiles it
 * once, and it is loaded as it is (RUNT_PRECOMPILED_FILTER, below).
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

bool seccomp_rule_applies(const struct seccomp_rule *r, uint64_t caps)
{
    return (caps & r->caps) == r->caps && (caps & r->nocaps) == 0;
}

static bool allows(uint32_t action)
{
    return action == SCMP_ACT_ALLOW || action == SCMP_ACT_LOG;
}

static bool names_call(const struct seccomp_rule *r, const char *name)
{
    for (const char *const *n = r->names; *n != NULL; n++)
        if (strcmp(*n, name) == 0)
            return true;
    return false;
}

/* Does a rule that applies to this container allow the syscall `name` (for some arguments)? */
static bool has_allow_rule(const struct seccomp_profile *p, uint64_t caps, const char *name)
{
    for (size_t i = 0; i < p->n_rules; i++)
        if (seccomp_rule_applies(&p->rules[i], caps) && allows(p->rules[i].action) &&
            names_call(&p->rules[i], name))
            return true;
    return false;
}

/* A filter with this default action, the profile's architectures, and a kill for any other. */
static int new_filter(scmp_filter_ctx *ctx, const struct seccomp_profile *p, uint32_t def,
                      struct runt_err *err)
{
    int rc;

    *ctx = seccomp_init(def);
    if (*ctx == NULL)
        return runt_fail(err, EINVAL, "seccomp: cannot make a filter with default action %#x", def);
    for (size_t i = 0; i < p->n_arches; i++) {
        rc = seccomp_arch_add(*ctx, p->arches[i]);
        if (rc < 0 && rc != -EEXIST) /* EEXIST: the native one, already there */
            return runt_fail(err, -rc, "seccomp: add architecture %#x", p->arches[i]);
    }
    /* A filter is written for one ABI's numbers: a call through another would be misread. */
    rc = seccomp_attr_set(*ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc == 0) /* the kernel's own errno from seccomp_load, not libseccomp's ECANCELED */
        rc = seccomp_attr_set(*ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    /* libseccomp would set no_new_privs itself: that is the caller's (the config's) choice. */
    if (rc == 0)
        rc = seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (rc == 0 && p->log)
        rc = seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_LOG, 1);
    if (rc == 0 && p->spec_allow)
        rc = seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_SSB, 1);
    if (rc < 0)
        return runt_fail(err, -rc, "seccomp: set the filter's attributes");
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct seccomp_rule *r, int nr, const char *name,
                    struct runt_err *err)
{
    struct scmp_arg_cmp cmp[RUNT_SECCOMP_MAX_ARGS];
    int rc;

    if (r->n_args > RUNT_SECCOMP_MAX_ARGS)
        return runt_fail(err, 0, "seccomp: %s: %zu argument comparisons, at most %d", name,
                         r->n_args, RUNT_SECCOMP_MAX_ARGS);
    for (size_t i = 0; i < r->n_args; i++)
        cmp[i] = (struct scmp_arg_cmp){r->args[i].index, r->args[i].op, r->args[i].value,
                                       r->args[i].value_two};
    rc = seccomp_rule_add_array(ctx, r->action, nr, (unsigned int)r->n_args, cmp);
    if (rc < 0)
        return runt_fail(err, -rc, "seccomp: add a rule for %s", name);
    return 0;
}

/*
 * Put every rule that applies into one of two filters:
 *  - the profile itself: its default action, every allow rule, and the
 *    refusals of syscalls that nothing allows;
 *  - "exceptions", whose default is ALLOW: the refusals of syscalls that an
 *    allow rule also names, like "ioctl TIOCSTI: EPERM" next to "ioctl: allow".
 * libseccomp cannot hold both of those in one filter: given an unconditional
 * rule for a syscall it silently drops the conditional ones, and between
 * overlapping rules with different actions it promises no order. The kernel
 * can: it runs every filter and keeps the strictest answer (seccomp(2)).
 */
static int add_rules(scmp_filter_ctx profile_f, scmp_filter_ctx exceptions_f,
                     const struct seccomp_profile *p, uint64_t caps, size_t *n_exceptions,
                     struct runt_err *err)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        const struct seccomp_rule *r = &p->rules[i];

        if (!seccomp_rule_applies(r, caps))
            continue;
        for (const char *const *name = r->names; *name != NULL; name++) {
            int nr = seccomp_syscall_resolve_name(*name);
            bool exception = !allows(r->action) && has_allow_rule(p, caps, *name);

            /* Skip names this libseccomp does not know (syscalls newer than it), and
               rules that say what the default says anyway (libseccomp refuses them). */
            if (nr == __NR_SCMP_ERROR || (!exception && r->action == p->default_action))
                continue;
            if (add_rule(exception ? exceptions_f : profile_f, r, nr, *name, err) < 0)
                return -1;
            if (exception)
                (*n_exceptions)++;
        }
    }
    return 0;
}

/* The filters for a container that keeps `caps`: f[0] the profile, f[1] its exceptions. */
static int build_filters(const struct seccomp_profile *p, uint64_t caps, scmp_filter_ctx f[2],
                         size_t *n_exceptions, struct runt_err *err)
{
    *n_exceptions = 0;
    if (new_filter(&f[0], p, p->default_action, err) < 0 ||
        new_filter(&f[1], p, SCMP_ACT_ALLOW, err) < 0)
        return -1;
    return add_rules(f[0], f[1], p, caps, n_exceptions, err);
}

int export_seccomp(const struct seccomp_profile *profile, uint64_t caps, const int fds[2],
                   struct runt_err *err)
{
    scmp_filter_ctx f[2] = {NULL, NULL};
    size_t n_exceptions;
    int rc = build_filters(profile, caps, f, &n_exceptions, err), e = 0;

    if (rc == 0)
        e = seccomp_export_bpf(f[0], fds[0]);
    if (rc == 0 && e == 0 && n_exceptions > 0)
        e = seccomp_export_bpf(f[1], fds[1]);
    if (e < 0)
        rc = runt_fail(err, -e, "export the seccomp filter");
    seccomp_release(f[0]);
    seccomp_release(f[1]);
    return rc;
}

#ifdef RUNT_PRECOMPILED_FILTER
/*
 * runt run's default filter, compiled by libseccomp when runt was built
 * (make runs scripts/seccomp-bpf): the same ~380 rules gave the same program
 * at every start, for about 2 ms of CPU each time.
 */
#include "default-filter.inc"

static int load_program(const struct sock_filter *code, size_t len, const char *what,
                        struct runt_err *err)
{
    struct sock_fprog prog = {.len = (unsigned short)len, .filter = (struct sock_filter *)code};

    /* seccomp_load(3) would make the same call: no flags, this thread only. */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return runt_fail(err, errno, "load the seccomp filter%s", what);
    return 0;
}

static int load_precompiled(struct runt_err *err)
{
    say("seccomp filter compiled at build time: %zu and %zu instructions", runt_bpf_profile_len,
        runt_bpf_exceptions_len);
    if (load_program(runt_bpf_profile, runt_bpf_profile_len, "", err) < 0)
        return -1;
    if (runt_bpf_exceptions_len == 0)
        return 0;
    return load_program(runt_bpf_exceptions, runt_bpf_exceptions_len, "'s exceptions", err);
}
#endif

int load_seccomp(const struct seccomp_profile *profile, uint64_t caps, struct runt_err *err)
{
    scmp_filter_ctx f[2] = {NULL, NULL};
    size_t n_exceptions;
    int rc = -1, e;

#ifdef RUNT_PRECOMPILED_FILTER
    if (profile == &runt_default_seccomp && caps == RUNT_BPF_CAPS)
        return load_precompiled(err);
#endif
    if (build_filters(profile, caps, f, &n_exceptions, err) < 0)
        goto out;
    /*
     * The exceptions go last: filters run newest first, and between two
     * answers of the same kind (ENOSYS from the profile, EPERM from an
     * exception) the first one seen wins. Loading them needs seccomp(2) and
     * prctl(2), which the profile must therefore allow.
     */
    e = seccomp_load(f[0]);
    if (e < 0) {
        runt_fail(err, -e, "load the seccomp filter");
        goto out;
    }
    if (n_exceptions > 0 && (e = seccomp_load(f[1])) < 0) {
        runt_fail(err, -e, "load the seccomp filter's exceptions");
        goto out;
    }
    rc = 0;
out:
    seccomp_release(f[0]);
    seccomp_release(f[1]);
    return rc;
}
