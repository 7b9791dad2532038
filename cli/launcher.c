/* The `dockyard` command as a small C program: launcher.py's client, without Python's start.
 *
 *     cc -O2 -DDOCKYARD_PYTHON='"…/.venv/bin/python"' -DDOCKYARD_LAUNCHER='"…/cli/launcher.py"'
 *
 * (`python -m dockyard.cli.entrypoint PATH` builds it so.) Starting `python -IS` and ending it
 * cost ~9 ms of a ~24 ms `dockyard ps`; this client takes ~1 ms (0.7 ms to connect). It speaks
 * exactly the protocol launcher.py documents: one frame (4-byte big-endian length + a marshal'ed
 * dict) with fds 0-2 (SCM_RIGHTS, unix(7)); the child's {"pid"} frame brings a pidfd of it, to
 * which the signals we get are forwarded (pidfd_send_signal(2)); we end as the child ended.
 * argv, environment, working directory and our launcher.py path go as marshal *bytes*: the server
 * decodes them as Python decodes its own (os.fsdecode), so non-UTF-8 bytes survive.
 *
 * The `launcher` path sent is DOCKYARD_LAUNCHER, the launcher.py of the installation this client
 * was built for: that installation's server takes the command, another one's answers "stale".
 *
 * Everything run in-process (no server, a stale one, `daemon ...`, DOCKYARD_NO_SERVER, a closed
 * fd 0-2, a protocol error before the child runs) is handed to launcher.py's `in_process` by
 * exec of DOCKYARD_PYTHON -IS: it never asks the server again.
 *
 * Signals: the forwarded ones (and SIGTSTP) are blocked from before the request goes and read
 * from a signalfd(2) once the child runs, so those that came earlier are held, then forwarded;
 * when the command runs in-process instead, the mask is restored before the exec and they take
 * their default action then, as they came.
 *
 * One file (~700 lines, a third of them marshal): one cc command builds it, with no build system
 * for pip or deploy/install.sh to need.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#if !defined(DOCKYARD_PYTHON) || !defined(DOCKYARD_LAUNCHER) || !defined(DOCKYARD_LAUNCHER_DIR)
#error "build with python -m dockyard.cli.entrypoint (it defines the installation's paths)"
#endif

#define DEFAULT_HOST "unix:///run/dockyard/dockyard.sock"
#define SOCKET_NAME "cli.sock"
#define MAX_FRAME (4u * 1024 * 1024)
#define MAX_REFS 64

/* launcher.py's in-process runner; sys.argv becomes [argv0, args...] as the script has it */
static const char IN_PROCESS[] = "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                                 "from launcher import in_process; del sys.path[0]; in_process()";

static const int FORWARDED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
#define NFORWARDED (sizeof FORWARDED / sizeof FORWARDED[0])

extern char **environ;

static int g_argc;
static char **g_argv;
static sigset_t g_original_mask;
static int g_mask_changed;

/* -- in-process ------------------------------------------------------------------------------ */

static _Noreturn void in_process(void)
{
    if (g_mask_changed && sigprocmask(SIG_SETMASK, &g_original_mask, NULL) != 0)
        perror("dockyard: sigprocmask");
    char **args = calloc((size_t)g_argc + 6, sizeof *args);
    if (args == NULL) {
        perror("dockyard");
        exit(125);
    }
    const char *head[] = {DOCKYARD_PYTHON, "-IS", "-c", IN_PROCESS, DOCKYARD_LAUNCHER_DIR,
                          g_argc > 0 ? g_argv[0] : "dockyard"};
    int n = 0;
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        args[n++] = (char *)head[i];
    for (int i = 1; i < g_argc; i++)
        args[n++] = g_argv[i];
    execv(DOCKYARD_PYTHON, args);
    fprintf(stderr, "dockyard: cannot run %s: %s\n", DOCKYARD_PYTHON, strerror(errno));
    exit(125);
}

/* -- where the server is (launcher.py's global_host and server_path) -------------------------- */

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The -H/--host value given before the verb (or NULL); *verb is the verb ("" for none). */
static const char *global_host(const char **verb)
{
    const char *host = NULL;
    *verb = "";
    for (int i = 1; i < g_argc;) {
        const char *arg = g_argv[i];
        if (strcmp(arg, "-H") == 0 || strcmp(arg, "--host") == 0) {
            host = i + 1 < g_argc ? g_argv[i + 1] : NULL;
            i += 2;
            continue;
        }
        if (starts(arg, "--host="))
            host = arg + strlen("--host=");
        else if (starts(arg, "-H") && !starts(arg, "--"))
            host = arg + 2;
        else if (arg[0] != '-') {
            *verb = arg;
            break;
        }
        i++;
    }
    return host;
}

/* `cli.sock` in the directory of the engine's socket (os.path.dirname's rules), in `out`;
 * 0 when the engine's address is not a UNIX socket or the path does not fit. */
static int server_path(const char *host, struct sockaddr_un *out, socklen_t *len)
{
    const char *address = host && *host ? host : getenv("DOCKYARD_HOST");
    if (address == NULL || *address == '\0')
        address = DEFAULT_HOST;
    if (starts(address, "unix://"))
        address += strlen("unix://");
    else if (starts(address, "unix:"))
        address += strlen("unix:");
    else if (strstr(address, "://") != NULL)
        return 0;
    const char *slash = strrchr(address, '/');
    size_t dir = 1; /* "." when there is no slash */
    if (slash != NULL) {
        dir = (size_t)(slash - address) + 1;
        size_t kept = dir;
        while (kept > 0 && address[kept - 1] == '/')
            kept--;
        if (kept > 0) /* trailing slashes go, unless the head is all slashes ("/") */
            dir = kept;
    }
    const char *base = slash != NULL ? address : ".";
    int joined = slash != NULL && address[dir - 1] == '/';
    size_t total = dir + (joined ? 0 : 1) + strlen(SOCKET_NAME);
    if (total > sizeof out->sun_path) /* Python allows exactly sizeof sun_path (no NUL) */
        return 0;
    memset(out, 0, sizeof *out);
    out->sun_family = AF_UNIX;
    memcpy(out->sun_path, base, dir);
    if (!joined)
        out->sun_path[dir] = '/';
    memcpy(out->sun_path + dir + (joined ? 0 : 1), SOCKET_NAME, strlen(SOCKET_NAME));
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + total);
    return 1;
}

static int connect_server(const struct sockaddr_un *address, socklen_t len)
{
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return -1;
    if (connect(sock, (const struct sockaddr *)address, len) != 0) {
        close(sock); /* no server (ENOENT, ECONNREFUSED), or any other reason: in-process */
        return -1;
    }
    return sock;
}

static int stdio_open(void)
{
    struct stat st;
    for (int fd = 0; fd <= 2; fd++)
        if (fstat(fd, &st) != 0)
            return 0;
    return 1;
}

static int is_ignored(int signum)
{
    struct sigaction current;
    return sigaction(signum, NULL, &current) == 0 && current.sa_handler == SIG_IGN;
}

/* -- marshal, the little we send -------------------------------------------------------------- */

struct buffer {
    unsigned char *data;
    size_t len, cap;
    int failed; /* out of memory: the command runs in-process */
};

static void put(struct buffer *b, const void *data, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

static void put_code(struct buffer *b, char code)
{
    put(b, &code, 1);
}

static void put_u32le(struct buffer *b, uint32_t v)
{
    unsigned char le[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
    put(b, le, 4);
}

static void put_bytes(struct buffer *b, const char *s, size_t n)
{
    if (n > INT32_MAX) {
        b->failed = 1;
        return;
    }
    put_code(b, 's');
    put_u32le(b, (uint32_t)n);
    put(b, s, n);
}

static void put_key(struct buffer *b, const char *ascii)
{
    put_code(b, 'u');
    put_u32le(b, (uint32_t)strlen(ascii));
    put(b, ascii, strlen(ascii));
}

static void put_int(struct buffer *b, int32_t v)
{
    put_code(b, 'i');
    put_u32le(b, (uint32_t)v);
}

static void put_float(struct buffer *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_code(b, 'g');
    put_u32le(b, (uint32_t)bits);
    put_u32le(b, (uint32_t)(bits >> 32));
}

static void put_list_of_bytes(struct buffer *b, char **items, int count)
{
    put_code(b, '[');
    put_u32le(b, (uint32_t)count);
    for (int i = 0; i < count; i++)
        put_bytes(b, items[i], strlen(items[i]));
}

static void put_environment(struct buffer *b)
{
    put_code(b, '{');
    for (char **entry = environ; entry != NULL && *entry != NULL; entry++) {
        const char *equals = strchr(*entry, '=');
        if (equals == NULL || equals == *entry)
            continue; /* as os.environ: no name, no variable */
        put_bytes(b, *entry, (size_t)(equals - *entry));
        put_bytes(b, equals + 1, strlen(equals + 1));
    }
    put_code(b, '0');
}

/* The request frame: {"argv", "env", "cwd", "umask", "launcher", "ignored", "started"}. */
static int request(struct buffer *b, double started)
{
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL)
        return 0;
    mode_t mask = umask(022);
    umask(mask);
    int ignored[NFORWARDED + 1], nignored = 0;
    for (size_t i = 0; i <= NFORWARDED; i++) {
        int signum = i < NFORWARDED ? FORWARDED[i] : SIGTSTP;
        if (is_ignored(signum))
            ignored[nignored++] = signum;
    }
    put_u32le(b, 0); /* the frame's length, filled in below */
    put_code(b, '{');
    put_key(b, "argv");
    put_list_of_bytes(b, g_argv, g_argc);
    put_key(b, "env");
    put_environment(b);
    put_key(b, "cwd");
    put_bytes(b, cwd, strlen(cwd));
    put_key(b, "umask");
    put_int(b, (int32_t)mask);
    put_key(b, "launcher");
    put_bytes(b, DOCKYARD_LAUNCHER, strlen(DOCKYARD_LAUNCHER));
    put_key(b, "ignored");
    put_code(b, '[');
    put_u32le(b, (uint32_t)nignored);
    for (int i = 0; i < nignored; i++)
        put_int(b, ignored[i]);
    put_key(b, "started");
    put_float(b, started);
    put_code(b, '0');
    free(cwd);
    if (b->failed || b->len - 4 > MAX_FRAME)
        return 0;
    uint32_t size = (uint32_t)(b->len - 4);
    unsigned char be[4] = {size >> 24, (size >> 16) & 0xff, (size >> 8) & 0xff, size & 0xff};
    memcpy(b->data, be, 4);
    return 1;
}

/* Send the request with fds 0-2 on its first byte; 0 on an error (the server may have run
 * the command and closed already: the caller reads on regardless, as launcher.py does). */
static int send_request(int sock, const struct buffer *b)
{
    int fds[3] = {0, 1, 2};
    union {
        char space[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = b->data, .iov_len = b->len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                         .msg_controllen = sizeof control.space};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
    ssize_t sent;
    while ((sent = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0)
        if (errno != EINTR)
            return 0;
    for (size_t done = (size_t)sent; done < b->len;) {
        ssize_t more = send(sock, b->data + done, b->len - done, MSG_NOSIGNAL);
        if (more < 0 && errno != EINTR)
            return 0;
        if (more > 0)
            done += (size_t)more;
    }
    return 1;
}

/* -- marshal, the little we read: the server's and the child's small dicts ------------------- */

struct reply {
    int has_pid, has_exit, has_killed, reaped, stale;
    int32_t pid, exit, killed;
};

enum kind { END, NONE, BOOL, INT, FLOAT, STR };

struct value {
    enum kind kind;
    int32_t number;
    const unsigned char *text;
    size_t size;
};

struct reader {
    const unsigned char *p, *end;
    struct value refs[MAX_REFS]; /* marshal's back-references (FLAG_REF, 'r') */
    int nrefs;
};

static int take(struct reader *r, size_t n, const unsigned char **out)
{
    if ((size_t)(r->end - r->p) < n)
        return 0;
    *out = r->p;
    r->p += n;
    return 1;
}

static int take_u32(struct reader *r, uint32_t *out)
{
    const unsigned char *le;
    if (!take(r, 4, &le))
        return 0;
    *out = le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 | (uint32_t)le[3] << 24;
    return 1;
}

/* One scalar (or the dict's end); 0 on anything else or a malformed one. */
static int read_value(struct reader *r, struct value *v)
{
    const unsigned char *code, *bytes;
    uint32_t n;
    if (!take(r, 1, &code))
        return 0;
    int ref = -1;
    if (*code & 0x80) { /* FLAG_REF: numbered in the order the objects start */
        if (r->nrefs == MAX_REFS)
            return 0;
        ref = r->nrefs++;
    }
    memset(v, 0, sizeof *v);
    switch (*code & 0x7f) {
    case '0': v->kind = END; break;
    case 'N': v->kind = NONE; break;
    case 'T': v->kind = BOOL; v->number = 1; break;
    case 'F': v->kind = BOOL; break;
    case 'i':
        if (!take_u32(r, &n))
            return 0;
        v->kind = INT;
        v->number = (int32_t)n;
        break;
    case 'g':
        if (!take(r, 8, &bytes))
            return 0;
        v->kind = FLOAT;
        break;
    case 'z': case 'Z':
        if (!take(r, 1, &bytes) || !take(r, bytes[0], &v->text))
            return 0;
        v->kind = STR;
        v->size = bytes[0];
        break;
    case 'a': case 'A': case 'u': case 't': case 's':
        if (!take_u32(r, &n) || !take(r, n, &v->text))
            return 0;
        v->kind = STR;
        v->size = n;
        break;
    case 'r':
        if (!take_u32(r, &n) || n >= (uint32_t)r->nrefs || r->refs[n].kind == END)
            return 0;
        *v = r->refs[n];
        break;
    default:
        return 0;
    }
    if (ref >= 0)
        r->refs[ref] = *v;
    return 1;
}

static int is_key(const struct value *key, const char *name)
{
    return key->size == strlen(name) && memcmp(key->text, name, key->size) == 0;
}

/* A frame's dict into `out`; 0 when it is not a flat dict of str keys and scalar values. */
static int decode(const unsigned char *data, size_t size, struct reply *out)
{
    struct reader r = {.p = data, .end = data + size};
    const unsigned char *code;
    memset(out, 0, sizeof *out);
    if (!take(&r, 1, &code) || (*code & 0x7f) != '{')
        return 0;
    if (*code & 0x80)
        r.nrefs++; /* the dict itself took ref 0 (its slot stays END: never a scalar's) */
    for (;;) {
        struct value key, value;
        if (!read_value(&r, &key))
            return 0;
        if (key.kind == END)
            return 1;
        if (key.kind != STR || !read_value(&r, &value) || value.kind == END)
            return 0;
        if (is_key(&key, "stale"))
            out->stale = 1;
        else if (is_key(&key, "reaped"))
            out->reaped = value.kind == BOOL && value.number;
        else if (value.kind == INT && is_key(&key, "pid"))
            out->has_pid = 1, out->pid = value.number;
        else if (value.kind == INT && is_key(&key, "exit"))
            out->has_exit = 1, out->exit = value.number;
        else if (value.kind == INT && is_key(&key, "killed"))
            out->has_killed = 1, out->killed = value.number;
    }
}

/* -- the connection ---------------------------------------------------------------------------- */

struct connection {
    int sock;
    int pidfd; /* the first fd that came: the child's, with its {"pid"} frame */
    struct buffer in;
};

/* One frame off the front of the buffer: 1 taken, 0 none whole yet, -1 malformed. */
static int take_frame(struct connection *c, struct reply *out)
{
    if (c->in.len < 4)
        return 0;
    const unsigned char *h = c->in.data;
    uint32_t size = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (size > MAX_FRAME)
        return -1;
    if (c->in.len - 4 < size)
        return 0;
    int ok = decode(c->in.data + 4, size, out);
    c->in.len -= 4 + size;
    memmove(c->in.data, c->in.data + 4 + size, c->in.len);
    return ok ? 1 : -1;
}

/* One read from the socket into the buffer (fds that come: the first is the pidfd, others are
 * closed): 1 read, 0 end of stream, -1 error. */
static int receive(struct connection *c)
{
    unsigned char chunk[65536];
    union {
        char space[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = chunk, .iov_len = sizeof chunk};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                         .msg_controllen = sizeof control.space};
    ssize_t n;
    while ((n = recvmsg(c->sock, &msg, MSG_CMSG_CLOEXEC)) < 0)
        if (errno != EINTR)
            return -1;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof fd, sizeof fd);
            if (c->pidfd < 0)
                c->pidfd = fd;
            else
                close(fd);
        }
    }
    if (n == 0)
        return 0;
    put(&c->in, chunk, (size_t)n);
    return c->in.failed ? -1 : 1;
}

/* The next frame, blocking: 1, 0 at the end of the stream, -1 on an error. */
static int next_frame(struct connection *c, struct reply *out)
{
    for (;;) {
        int taken = take_frame(c, out);
        if (taken != 0)
            return taken;
        int got = receive(c);
        if (got <= 0)
            return got;
    }
}

/* -- the child's end --------------------------------------------------------------------------- */

static void forward(int pidfd, int signum)
{
    /* fails once the child has ended: its end is on its way */
    (void)syscall(SYS_pidfd_send_signal, pidfd, signum, NULL, 0);
}

/* Ctrl-Z: stop the child, then ourselves; on `fg`, continue both. The child gets SIGSTOP: its
 * process group (the engine's) is orphaned, and the kernel discards SIGTSTP sent to an orphaned
 * process group (signal(7)). We stop by our own SIGTSTP, left at its default action: blocked
 * while we raise it, delivered as we unblock it; we run again once SIGCONT came. */
static void suspend(int pidfd)
{
    sigset_t tstp;
    sigemptyset(&tstp);
    sigaddset(&tstp, SIGTSTP);
    forward(pidfd, SIGSTOP);
    if (kill(getpid(), SIGTSTP) != 0 || sigprocmask(SIG_UNBLOCK, &tstp, NULL) != 0)
        perror("dockyard: stopping");
    if (sigprocmask(SIG_BLOCK, &tstp, NULL) != 0)
        perror("dockyard: sigprocmask");
    forward(pidfd, SIGCONT);
}

static void on_signals(int sfd, int pidfd)
{
    struct signalfd_siginfo info;
    while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info) {
        if ((int)info.ssi_signo == SIGTSTP)
            suspend(pidfd);
        else
            forward(pidfd, (int)info.ssi_signo);
    }
}

static int same_attributes(const struct termios *a, const struct termios *b)
{
    return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag &&
           a->c_lflag == b->c_lflag && memcmp(a->c_cc, b->c_cc, sizeof a->c_cc) == 0 &&
           cfgetispeed(a) == cfgetispeed(b) && cfgetospeed(a) == cfgetospeed(b);
}

/* The child restores the terminal on every normal way out; this covers the others. */
static void restore_tty(const struct termios *saved)
{
    struct termios now;
    if (saved != NULL && tcgetattr(0, &now) == 0 && !same_attributes(&now, saved))
        (void)tcsetattr(0, TCSADRAIN, saved);
}

static _Noreturn void die_by(int signum)
{
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signum);
    signal(signum, SIG_DFL);
    kill(getpid(), signum);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    _exit(128 + signum); /* a signal whose default is not to terminate */
}

/* Until the child's end: its own {"exit"} frame, or the server's {"exit"/"killed", "reaped"},
 * whichever comes first (a death by a signal is only the server's to tell). */
static _Noreturn void finish(struct connection *c, int sfd, const struct termios *saved)
{
    struct pollfd watched[2] = {{.fd = c->sock, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    struct reply reply;
    for (;;) {
        int taken = take_frame(c, &reply);
        if (taken == 1 && (reply.has_exit || reply.has_killed))
            break;
        if (taken == 1)
            continue;
        if (taken == 0) {
            int ready = poll(watched, 2, -1);
            if (ready < 0 && errno != EINTR)
                taken = -1;
            else if (ready > 0 && (watched[1].revents & POLLIN))
                on_signals(sfd, c->pidfd);
            else if (ready > 0 && watched[0].revents != 0 && receive(c) != 1)
                taken = -1;
        }
        if (taken == -1) { /* a malformed frame, or the end of the stream: no word came */
            restore_tty(saved);
            fputs("dockyard: the command ended without saying how (the server went away)\n",
                  stderr);
            exit(125);
        }
    }
    restore_tty(saved);
    if (reply.has_killed)
        die_by(reply.killed);
    exit(reply.exit & 0xff);
}

/* -- the command through the server ------------------------------------------------------------ */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Block the signals we forward (those not ignored) and read them from a signalfd. */
static int catch_signals(void)
{
    sigset_t caught;
    sigemptyset(&caught);
    for (size_t i = 0; i <= NFORWARDED; i++) {
        int signum = i < NFORWARDED ? FORWARDED[i] : SIGTSTP;
        if (!is_ignored(signum))
            sigaddset(&caught, signum);
    }
    if (sigprocmask(SIG_BLOCK, &caught, &g_original_mask) != 0)
        return -1;
    g_mask_changed = 1;
    return signalfd(-1, &caught, SFD_NONBLOCK | SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
    double started = now();
    g_argc = argc;
    g_argv = argv;
    const char *verb;
    const char *host = global_host(&verb);
    const char *no_server = getenv("DOCKYARD_NO_SERVER");
    struct sockaddr_un address;
    socklen_t length;
    if (strcmp(verb, "daemon") == 0 || (no_server && *no_server) || !stdio_open() ||
        !server_path(host, &address, &length))
        in_process();
    struct buffer message = {0};
    if (!request(&message, started))
        in_process();
    struct connection c = {.sock = connect_server(&address, length), .pidfd = -1};
    if (c.sock < 0)
        in_process();
    struct termios tty, *saved = isatty(0) && tcgetattr(0, &tty) == 0 ? &tty : NULL;
    int sfd = catch_signals();
    if (sfd < 0)
        in_process();
    (void)send_request(c.sock, &message); /* on an error, read on: it may have run already */
    free(message.data);
    struct reply first;
    if (next_frame(&c, &first) != 1 || !first.has_pid || c.pidfd < 0)
        in_process(); /* stale, or nothing ran: our signals are given back as they came */
    finish(&c, sfd, saved);
}
