/* runt (final): the error idiom and the narration. See runt.h. */
#include "runt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static int log_fd = -1; /* O_APPEND, close-on-exec: the container never gets it */
static bool log_json;

int runt_log_open(const char *path, const char *format, struct runt_err *err)
{
    if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "text") != 0)
        return runt_fail(err, 0, "--log-format: '%s' is not json or text", format);
    log_json = format != NULL && strcmp(format, "json") == 0;
    if (path == NULL)
        return 0;
    log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (log_fd < 0)
        return runt_fail(err, errno, "--log %s", path);
    return 0;
}

/* One line in the log: runc's JSON ({"level", "msg", "time"}), or the text as printed. */
static void log_line(const char *level, const char *msg)
{
    char line[2600], when[32];
    size_t n = 0;
    time_t now = time(NULL);

    if (!log_json) {
        n = (size_t)snprintf(line, sizeof(line), "runt: %s\n", msg);
    } else {
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        n = (size_t)snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"", level);
        /* JSON strings escape '"', '\\' and control characters. */
        for (const char *p = msg; *p != '\0' && n < sizeof(line) - 64; p++) {
            if (*p == '"' || *p == '\\')
                line[n++] = '\\';
            if ((unsigned char)*p < 0x20)
                n += (size_t)snprintf(line + n, 7, "\\u%04x", (unsigned char)*p);
            else
                line[n++] = *p;
        }
        n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"time\":\"%s\"}\n", when);
    }
    if (write(log_fd, line, n < sizeof(line) ? n : sizeof(line) - 1) < 0)
        return; /* nowhere left to report it */
}

/*
 * Every line is formatted first and written with one call, so that lines from
 * runt and from its child never interleave mid-line on stderr.
 */
static void vline(const char *prefix, const char *fmt, va_list ap)
{
    char msg[1200];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    fprintf(stderr, "%s%s\n", prefix, msg);
    if (log_fd >= 0)
        log_line(prefix[0] == '=' ? "debug" : "error", msg);
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

int fail_command(const struct runt_err *err)
{
    char line[1200];

    runt_print("%s", runt_err_str(err, line, sizeof(line)));
    return EXIT_RUNT_FAILED;
}
