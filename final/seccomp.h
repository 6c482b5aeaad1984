/*
 * runt (final): seccomp profiles, and loading one as the container's filter.
 *
 * A profile is data: a default action and a list of rules, in the shape of
 * the OCI runtime spec's linux.seccomp (and Docker's profiles). runt's own
 * default is an allowlist (seccomp.c, SECCOMP.md); an OCI config.json can
 * bring another.
 */
#ifndef RUNT_SECCOMP_H
#define RUNT_SECCOMP_H

#include "runt.h"

#include <seccomp.h>

#define RUNT_SECCOMP_MAX_ARGS 6

/*
 * One comparison of a syscall argument, as seccomp_rule_add(3) takes it and
 * as OCI writes it: for SCMP_CMP_MASKED_EQ, `value` is the mask and
 * `value_two` what the masked argument must equal. Comparisons are 64-bit.
 */
struct seccomp_arg {
    unsigned int index;   /* 0..5 */
    enum scmp_compare op; /* SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ, ... */
    uint64_t value;
    uint64_t value_two;
};

/* Syscalls that share an action and argument comparisons (all must hold). */
struct seccomp_rule {
    const char *const *names; /* NULL-terminated syscall names */
    uint32_t action;          /* SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(e), SCMP_ACT_KILL_PROCESS... */
    struct seccomp_arg args[RUNT_SECCOMP_MAX_ARGS];
    size_t n_args;
    uint64_t caps;   /* the rule applies only if the container keeps all of these (1 << CAP_*) */
    uint64_t nocaps; /* ...and none of these (like Docker's includes/excludes) */
};

struct seccomp_profile {
    uint32_t default_action; /* for every syscall no rule matches */
    const uint32_t *arches;  /* SCMP_ARCH_* to accept besides the native one */
    size_t n_arches;
    const struct seccomp_rule *rules;
    size_t n_rules;
    bool log;        /* OCI's SECCOMP_FILTER_FLAG_LOG: log what is not allowed */
    bool spec_allow; /* OCI's SECCOMP_FILTER_FLAG_SPEC_ALLOW: no forced SSB mitigation */
};

/* runt's default profile: an allowlist modelled on Docker's default. */
extern const struct seccomp_profile runt_default_seccomp;

/* Does rule r apply to a container that keeps the capabilities `caps`? */
bool seccomp_rule_applies(const struct seccomp_rule *r, uint64_t caps);

/*
 * Build the filter for a container that keeps the capability set `caps` and
 * load it into the calling process. Syscall names this libseccomp does not
 * know are skipped. A call from an architecture the profile does not list
 * kills the process.
 *
 * Where a syscall has both allow rules and refusing rules, a call that
 * matches a refusing rule is refused, whatever else it matches ("allow ioctl,
 * but refuse TIOCSTI"). libseccomp cannot say that in one filter, so those
 * refusals are loaded as a second filter; see seccomp.c.
 *
 * no_new_privs is the caller's business (set it first). Once this returns 0,
 * the calling thread is filtered: everything it still has to do must be
 * allowed by the profile.
 */
int load_seccomp(const struct seccomp_profile *profile, uint64_t caps, struct runt_err *err);

/*
 * The BPF programs load_seccomp() would load, written to fds[0] (the profile)
 * and fds[1] (its exceptions; nothing when it has none), as seccomp_export_bpf(3)
 * writes them. make uses it to compile runt run's default filter once.
 */
int export_seccomp(const struct seccomp_profile *profile, uint64_t caps, const int fds[2],
                   struct runt_err *err);

#endif
