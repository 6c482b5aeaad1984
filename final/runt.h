/*
 * runt (final): declarations shared by every file of the runtime.
 *
 * Every function that can fail returns 0 or -1 and fills a struct runt_err at
 * the call that failed; callers may add context with runt_err_prefix(). Only
 * main() prints an error, once, as "runt: <message>: <strerror>".
 */
#ifndef RUNT_H
#define RUNT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* What went wrong, where: errno (0 when errno does not describe it) and a message. */
struct runt_err {
    int errnum;
    char msg[1024];
};

/* Fill err with errnum and a formatted message; return -1, so `return runt_fail(...)` reads well.
 */
int runt_fail(struct runt_err *err, int errnum, const char *fmt, ...) RUNT_PRINTF(3, 4);

/* Put "<context>: " in front of err's message, for a caller that knows more. */
void runt_err_prefix(struct runt_err *err, const char *fmt, ...) RUNT_PRINTF(2, 3);

/* err as one line: "<message>: <strerror(errnum)>", or just the message when errnum is 0. */
const char *runt_err_str(const struct runt_err *err, char *buf, size_t size);

#endif
