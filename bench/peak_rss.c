//  peak_rss — run a command and report its wall time, CPU time and peak RSS.
//
//      peak_rss OUTFILE COMMAND [ARG...]
//
//  Writes "wall_ms cpu_ms maxrss_kib exit" to OUTFILE. Exists because Linux
//  starts a child's ru_maxrss at its parent's resident size at fork time: a
//  command started from Python would never show less than Python's ~12 MB.
//  This launcher links libc only (its own rule in mk/bench.mk), so the floor
//  is about 1 MB, well under anything measured.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main (int argc, char *argv [])
{
    if (argc < 3) {
        fprintf (stderr, "usage: peak_rss OUTFILE COMMAND [ARG...]\n");
        return 64;
    }
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    pid_t pid = fork ();
    if (pid < 0) {
        perror ("peak_rss: fork");
        return 71;
    }
    if (pid == 0) {
        execvp (argv [2], argv + 2);
        perror ("peak_rss: exec");
        _exit (127);
    }
    int status = 0;
    struct rusage ru;
    while (wait4 (pid, &status, 0, &ru) < 0)
        if (errno != EINTR) {
            perror ("peak_rss: wait4");
            return 71;
        }
    clock_gettime (CLOCK_MONOTONIC, &t1);
    double wall = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
    double cpu = (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3
               + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    //  ru_maxrss is in KiB on Linux, in bytes on macOS.
#if defined (__APPLE__)
    long rss_kib = ru.ru_maxrss / 1024;
#else
    long rss_kib = ru.ru_maxrss;
#endif
    int code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    FILE *out = fopen (argv [1], "w");
    if (!out) {
        perror ("peak_rss: OUTFILE");
        return 73;
    }
    fprintf (out, "%.3f %.3f %ld %d\n", wall, cpu, rss_kib, code);
    return fclose (out) == 0 ? 0 : 74;
}
