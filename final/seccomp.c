/*
 * runt (final): STUB until the seccomp work lands. It allows everything, so
 * that the rest of final/ builds and runs; the real allowlist replaces it.
 */
#include "seccomp.h"

#include <errno.h>

const struct seccomp_profile runt_default_seccomp = {
    .default_action = SCMP_ACT_ALLOW,
};

int load_seccomp(const struct seccomp_profile *profile, uint64_t caps, struct runt_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(profile->default_action);
    int rc;

    (void)caps;
    if (ctx == NULL)
        return runt_fail(err, ENOMEM, "seccomp_init");
    rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc < 0)
        return runt_fail(err, -rc, "load the seccomp filter");
    return 0;
}
