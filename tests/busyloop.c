/*
 * busyloop SECONDS: spin on the CPU for SECONDS of wall-clock time, then print
 * how much CPU time that took, on one line:
 *   cpu_ms=N wall_ms=N
 *
 * Alone on a CPU the two are about equal. Under a CPU quota they are not: the
 * stage 05 suite runs `runt --cpus 0.5 ... busyloop 2` and expects cpu_ms to
 * be clearly below wall_ms, because the CFS bandwidth controller lets the
 * cgroup run for only half of every period (see the kernel's
 * Documentation/scheduler/sched-bwc.rst). SECONDS may have a fraction, up to
 * 600. Exit 0, or 2 on a bad argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_SECONDS 600.0

static long long ms_of_timespec(const struct timespec *ts)
{
    return (long long)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

static long long ms_of_timeval(const struct timeval *tv)
{
    return (long long)tv->tv_sec * 1000 + tv->tv_usec / 1000;
}

static long long now_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC: wall time that no clock change can move. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ms_of_timespec(&ts);
}

int main(int argc, char **argv)
{
    volatile unsigned long spins = 0;
    struct rusage ru;
    long long start;
    long long wall;
    long long limit;
    double seconds;
    char *end;

    if (argc != 2) {
        fprintf(stderr, "usage: busyloop SECONDS\n");
        return 2;
    }
    seconds = strtod(argv[1], &end);
    if (end == argv[1] || *end != '\0' || !(seconds > 0 && seconds <= MAX_SECONDS)) {
        fprintf(stderr, "busyloop: SECONDS must be a number above 0 and at most %.0f, not '%s'\n",
                MAX_SECONDS, argv[1]);
        return 2;
    }
    limit = (long long)(seconds * 1000.0);

    start = now_ms();
    do {
        /* Burn some CPU between clock reads; volatile keeps the loop. */
        for (int i = 0; i < 10000; i++)
            spins = spins + 1;
        wall = now_ms() - start;
    } while (wall < limit);

    /* CPU time is what the scheduler gave us: user plus system. */
    getrusage(RUSAGE_SELF, &ru);
    printf("cpu_ms=%lld wall_ms=%lld\n", ms_of_timeval(&ru.ru_utime) + ms_of_timeval(&ru.ru_stime),
           wall);
    return 0;
}
