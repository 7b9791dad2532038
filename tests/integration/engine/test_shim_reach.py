"""Nothing of the shim is within a container's reach while processes enter it (issue 8, item 2).

A container's main process — root, docker's default capabilities — polls every other process
it can see: lists /proc/<pid>/fd, takes each fd it can with pidfd_getfd(2), and reads from any
that is not a process's own stdio. Meanwhile the operator runs 30 execs, and pipes a secret into
another `exec -i` a chunk between each. Before the fix, each exec was forked from the shim
holding the shim's every fd (its listening socket, the runtime's connection carrying the other
exec's input, the log file) and dumpable; now it is born clean and non-dumpable (spawn.py).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tarfile

import pytest

from tests.support.engine import Engine
from tests.support.images import tar_of
from tests.support.rootfs import add_file, rootfs_tar

pytestmark = pytest.mark.integration

POLLER = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long found;

/* A file of this container, and a process's own stdio (fd 0-2 on a pipe or a pty), are fair
   game in any container; anything else another process holds must never be within reach. */
static int own_stdio(int fd, const char *target) {
    if (target[0] == '/' && access(target, F_OK) == 0) return 1;
    return fd <= 2 && (!strncmp(target, "pipe:", 5) || !strncmp(target, "/dev/pts/", 9));
}

static void report(const char *how, int pid, int fd, const char *target) {
    if (found++ < 200) printf("%s pid %d fd %d: %s\n", how, pid, fd, target);
}

static void steal(int pid, int pidfd, int fd) {
    char path[64], target[512];
    int got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (got < 0) return;
    snprintf(path, sizeof path, "/proc/self/fd/%d", got);
    ssize_t n = readlink(path, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    if (!own_stdio(fd, target)) {
        char data[65536];
        fcntl(got, F_SETFL, O_NONBLOCK);
        ssize_t r = read(got, data, sizeof data);
        report(r > 0 ? "took and read" : "took", pid, fd, target);
    }
    close(got);
}

static void poll_pid(int pid) {
    char path[64], entry_path[300], target[512];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *fds = opendir(path);
    if (fds) {
        struct dirent *e;
        while ((e = readdir(fds))) {
            if (e->d_name[0] == '.') continue;
            snprintf(entry_path, sizeof entry_path, "%s/%s", path, e->d_name);
            ssize_t n = readlink(entry_path, target, sizeof target - 1);
            if (n < 0) continue;
            target[n] = 0;
            if (!own_stdio(atoi(e->d_name), target)) report("listed", pid, atoi(e->d_name), target);
        }
        closedir(fds);
    }
    int pidfd = syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) return;
    for (int fd = 0; fd < 32; fd++) steal(pid, pidfd, fd);
    close(pidfd);
}

int main(void) {
    long rounds = 0;
    int self = getpid();
    while (access("/stop", F_OK) != 0) {
        DIR *proc = opendir("/proc");
        struct dirent *e;
        while ((e = readdir(proc))) {
            int pid = atoi(e->d_name);
            if (pid > 0 && pid != self) poll_pid(pid);
        }
        closedir(proc);
        rounds++;
    }
    printf("found %ld in %ld rounds\n", found, rounds);
    return 0;
}
"""


@pytest.fixture(scope="module")
def poller_image(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> str:
    if shutil.which("gcc") is None:
        pytest.skip("gcc (and libc6-dev) are needed to build the poller")
    work = tmp_path_factory.mktemp("poller")
    (work / "poller.c").write_text(POLLER)
    subprocess.run(
        ["gcc", "-static", "-O2", "-o", str(work / "poller"), str(work / "poller.c")], check=True
    )
    binary = (work / "poller").read_bytes()

    def build(tar: tarfile.TarFile) -> None:
        import io

        with tarfile.open(fileobj=io.BytesIO(rootfs_tar())) as base:
            for member in base.getmembers():
                tar.addfile(member, base.extractfile(member) if member.isfile() else None)
        add_file(tar, "poller", binary, 0o755)

    (work / "image.tar").write_bytes(tar_of(build))
    engine.ok("import", str(work / "image.tar"), "poller:latest")
    return "poller:latest"


@pytest.mark.parametrize("init", [False, True], ids=["plain", "with-init"])
def test_execs_hold_nothing_of_the_shim(engine: Engine, poller_image: str, init: bool) -> None:
    cid = engine.ok("run", "-d", *(["--init"] if init else []), poller_image, "/poller").strip()
    secret = [secrets.token_hex(512) for _ in range(30)]
    fed = subprocess.Popen(
        [*engine_cli(engine), "exec", "-i", cid, "tee", "/got"],  # no shell: it keeps fds at 10+
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert fed.stdin is not None
    for chunk in secret:
        fed.stdin.write(chunk.encode())
        fed.stdin.flush()
        engine.ok("exec", cid, "true")
    fed.stdin.close()
    assert fed.wait(timeout=60) == 0
    assert engine.ok("exec", cid, "cat", "/got") == "".join(secret)  # none of it was taken
    # the poller (pid 1 without --init) ends as soon as it sees /stop, and the end of a
    # container's pid 1 kills what still runs in it: `touch` itself, if it has not exited yet
    # (137, as in docker)
    assert engine.cli("exec", cid, "touch", "/stop").returncode in (0, 137)
    assert engine.ok("wait", cid).strip() == "0"
    report = engine.ok("logs", cid)
    assert report.startswith("found 0 in "), report
    engine.ok("rm", cid)


def engine_cli(engine: Engine) -> list[str]:
    from tests.support.engine import CLI

    return [CLI, "-H", engine.host]
