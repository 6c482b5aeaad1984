/* runt (final): the error idiom and the narration. See runt.h. */
#include "runt.h"

#include <stdio.h>
#include <string.h>

void runt_verr(struct runt_err *err, int errnum, const char *fmt, va_list ap)
{
    err->errnum = errnum;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

void runt_err_prefix(struct runt_err *err, const char *fmt, ...)
{
    char prefix[512], old[sizeof(err->msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    /* A message too long for msg is cut at its end: the context in front matters more. */
    if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) >= (int)sizeof(err->msg))
        err->msg[sizeof(err->msg) - 1] = '\0';
}

const char *runt_err_str(const struct runt_err *err, char *buf, size_t size)
{
    if (err->errnum != 0)
        snprintf(buf, size, "%s: %s", err->msg, strerror(err->errnum));
    else
        snprintf(buf, size, "%s", err->msg);
    return buf;
}

bool runt_verbose;

/*
 * Every line is formatted first and written with one call, so that lines from
 * runt and from its child never interleave mid-line on stderr.
 */
static void vline(const char *prefix, const char *fmt, va_list ap)
{
    char msg[1200];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    fprintf(stderr, "%s%s\n", prefix, msg);
}

void say(const char *fmt, ...)
{
    va_list ap;

    if (!runt_verbose)
        return;
    va_start(ap, fmt);
    vline("=> ", fmt, ap);
    va_end(ap);
}

void runt_print(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vline("runt: ", fmt, ap);
    va_end(ap);
}
