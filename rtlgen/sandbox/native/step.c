/* rtlgen-step: start one step of a fused sandbox job, watch it and report it (see rtlgen/sandbox/native.py).
 *
 * The fused driver (bash, uid 0 inside the sandbox with a few capabilities) runs one of these per step
 * instead of a subshell, a watchdog subshell, setpriv, chmod and cat. As root it:
 *   1. makes the step's execute-only paths mode 0711 and the sources of its feeds mode 0600;
 *   2. forks the step: its own process group, stdin /dev/null, the limits, the umask, no groups, the
 *      private uid and gid, an empty bounding set, no capabilities, no_new_privs, then exec;
 *   3. forks one feeder per feed (root, so it can read what the step cannot) that opens the pipe and
 *      copies the program into it;
 *   4. waits for the step at most wall seconds, and at once if its stdin (a pipe the host holds open and
 *      never writes) reaches end of file or becomes readable; then kills the step's process group;
 *   5. writes "@STEP index rc start end cpu peak_rss_kb" to the status descriptor, which no step holds, and
 *      exits rc (the step was forked from this small process: its peak is its own, not rtlgen's).
 * rc is the step's exit status, or 128 + the signal that ended it (137 when this watchdog killed it).
 *
 * argv: status_fd index uid gid umask(octal) wall_s cpu_s as_bytes fsize_bytes nofile nproc
 *       n_exec_only path... n_feeds (fifo source)... -- command...
 * The caller is trusted (rtlgen builds the line); a malformed line exits 125 without starting anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FEEDS 8

static int wake[2] = {-1, -1};

static void on_child(int sig) {
    (void)sig;
    int saved = errno;
    if (write(wake[1], "x", 1) < 0) { /* the pipe is full: a wake-up is already pending */ }
    errno = saved;
}

static int bad(const char *what) {
    dprintf(2, "rtlgen-step: %s\n", what);
    return 125;
}

static int parse_long(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void limit(int resource, rlim_t soft, rlim_t hard) {
    struct rlimit rl = {soft, hard};
    if (setrlimit(resource, &rl) != 0) {
        dprintf(2, "rtlgen-step: cannot set a limit: %s\n", strerror(errno));
        _exit(126);
    }
}

static void fail(const char *what) {
    dprintf(2, "rtlgen-step: cannot drop privileges: %s: %s\n", what, strerror(errno));
    _exit(126);
}

static void drop_to(uid_t uid, gid_t gid) {
    /* the order matters: groups and gid need CAP_SETGID, the bounding set CAP_SETPCAP, both gone after setuid.
     * Without CAP_SETPCAP (a container that does not grant it) the bounding set stays as it is, as setpriv
     * leaves it: no_new_privs below means no exec can gain a capability from it anyway. */
    if (setgroups(0, NULL) != 0) fail("setgroups");
    if (setresgid(gid, gid, gid) != 0) fail("setresgid");
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM) fail("bounding set");
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs");
    if (setresuid(uid, uid, uid) != 0) fail("setresuid");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &head, data) != 0) fail("capset");
    if (syscall(SYS_capget, &head, data) != 0 || data[0].effective || data[0].permitted || data[0].inheritable ||
        data[1].effective || data[1].permitted || data[1].inheritable) fail("capabilities left");
    uid_t r, e, s;
    if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid) fail("uid");
}

static void feed(const char *fifo, const char *source) {
    int in = open(source, O_RDONLY | O_CLOEXEC);
    int out = open(fifo, O_WRONLY | O_CLOEXEC); /* waits for the step to open its end */
    if (in < 0 || out < 0) _exit(1);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w <= 0) _exit(1);
            off += w;
        }
    }
    _exit(n < 0);
}

int main(int argc, char **argv) {
    long long status_fd, index, uid, gid, mask, cpu, as, fsize, nofile, nproc, n_exec, n_feeds;
    double wall;
    int k = 1;
    if (argc < 14) return bad("too few arguments");
    if (parse_long(argv[k++], 3, 1 << 20, &status_fd) || parse_long(argv[k++], 0, 1 << 30, &index) ||
        parse_long(argv[k++], 1, 0x7fffffff, &uid) || parse_long(argv[k++], 1, 0x7fffffff, &gid))
        return bad("bad status fd, index, uid or gid");
    char *end;
    mask = strtoll(argv[k++], &end, 8);
    if (*end || mask < 0 || mask > 0777) return bad("bad umask");
    wall = strtod(argv[k++], &end);
    if (*end || !(wall > 0) || wall > 1e7) return bad("bad wall limit");
    if (parse_long(argv[k++], 1, 1LL << 40, &cpu) || parse_long(argv[k++], 1, 1LL << 60, &as) ||
        parse_long(argv[k++], 0, 1LL << 60, &fsize) || parse_long(argv[k++], 1, 1 << 24, &nofile) ||
        parse_long(argv[k++], 1, 1 << 24, &nproc) || parse_long(argv[k++], 0, 64, &n_exec))
        return bad("bad limits");
    if (k + n_exec >= argc) return bad("too few execute-only paths");
    char **exec_only = argv + k;
    k += (int)n_exec;
    if (parse_long(argv[k++], 0, MAX_FEEDS, &n_feeds) || k + 2 * n_feeds >= argc) return bad("bad feeds");
    char **feeds = argv + k;
    k += (int)(2 * n_feeds);
    if (k >= argc || strcmp(argv[k], "--") != 0 || k + 1 >= argc) return bad("no command after --");
    char **command = argv + k + 1;
    if (fcntl((int)status_fd, F_SETFD, FD_CLOEXEC) != 0) return bad("status descriptor not open");
    struct stat held;
    int lifeline = fstat(0, &held) == 0 && S_ISFIFO(held.st_mode); /* else the wall clock alone */

    for (long long i = 0; i < n_exec; i++) chmod(exec_only[i], 0711);
    for (long long i = 0; i < n_feeds; i++) chmod(feeds[2 * i + 1], 0600); /* before the step can start */

    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return bad("pipe");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);

    double start = now();
    pid_t pid = fork();
    if (pid < 0) return bad("fork");
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0) _exit(126);
        if (null > 0) close(null);
        limit(RLIMIT_AS, (rlim_t)as, (rlim_t)as);
        limit(RLIMIT_FSIZE, (rlim_t)fsize, (rlim_t)fsize);
        limit(RLIMIT_NOFILE, (rlim_t)nofile, (rlim_t)nofile);
        limit(RLIMIT_NPROC, (rlim_t)nproc, (rlim_t)nproc);
        limit(RLIMIT_CORE, 0, 0);
        limit(RLIMIT_CPU, (rlim_t)cpu, (rlim_t)cpu + 1); /* soft first: SIGXCPU precedes SIGKILL */
        umask((mode_t)mask);
        drop_to((uid_t)uid, (gid_t)gid);
        execv(command[0], command);
        dprintf(2, "rtlgen-step: cannot run %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no kill below may reach a group that is not yet the step's */

    pid_t feeders[MAX_FEEDS];
    for (long long i = 0; i < n_feeds; i++) {
        feeders[i] = fork();
        if (feeders[i] == 0) {
            close(0);
            close(1);
            close(2);
            signal(SIGCHLD, SIG_DFL);
            feed(feeds[2 * i], feeds[2 * i + 1]);
        }
    }

    int status = 0, killed = 0;
    struct pollfd fds[2] = {{wake[0], POLLIN, 0}, {lifeline ? 0 : -1, POLLIN, 0}};
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        double left = start + wall - now();
        if (left <= 0 || (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            kill(-pid, SIGKILL);
            killed = 1;
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            break;
        }
        int ms = left > 86400 ? 86400000 : (int)(left * 1000) + 1;
        if (poll(fds, 2, ms) > 0 && (fds[0].revents & POLLIN)) {
            char drain[64];
            while (read(wake[0], drain, sizeof drain) > 0) {}
        }
    }
    double stop = now();
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru); /* the step and whatever of it was reaped, before any feeder is */
    kill(-pid, SIGKILL); /* whatever the step left in its group */
    for (long long i = 0; i < n_feeds; i++) {
        if (feeders[i] > 0) {
            kill(feeders[i], SIGKILL);
            while (waitpid(feeders[i], NULL, 0) < 0 && errno == EINTR) {}
        }
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    if (killed && !WIFSIGNALED(status)) rc = 128 + SIGKILL;
    double cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    dprintf((int)status_fd, "@STEP %lld %d %.6f %.6f %.6f %ld\n", index, rc, start, stop, cpu_s, ru.ru_maxrss);
    return rc & 255;
}
