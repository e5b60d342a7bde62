"""Run each autograded notebook's kernel in a bubblewrap sandbox (used by ``scripts/course.py autograde``).

nbgrader itself stays outside: it holds the gradebook and the hidden tests. Only the Jupyter kernel
goes inside, through a kernelspec whose command is this file::

    python scripts/sandbox.py kernel SETTINGS.json CONNECTION_FILE

That command (the *monitor*) starts ``bwrap`` and waits for it. Inside the sandbox the kernel sees

- read-only: ``/usr`` (and the ``/bin``, ``/lib`` links), a few files of ``/etc``, the Python
  installation, the virtual environment and the ``course_lib`` package (its datasets included);
- writable: a private copy of the notebook's folder (a size-limited tmpfs at the same path, so the
  working directory is what nbgrader chose) and a size-limited tmpfs ``/tmp`` (also ``$HOME``);
- nothing else: not the course folder, the gradebook, the other students, the instructor's home
  or environment variables, and no network (a network namespace with only a loopback device).

Limits: address space (``RLIMIT_AS``), CPU seconds (``RLIMIT_CPU``), size of any written file
(``RLIMIT_FSIZE``), number of processes and threads (``RLIMIT_NPROC``, counted for a user id of its
own: run as root, the kernel runs as an unprivileged uid unique to this sandbox), a wall clock per
notebook (the monitor kills the sandbox), and no process survives the kernel (``--unshare-pid``,
``--die-with-parent``).

The kernel talks to nbgrader over ZMQ ``ipc`` sockets (jupyter_client ``transport = "ipc"``): the
kernel creates them in its own tmpfs, and the monitor links the host paths nbgrader connects to
to ``/proc/<sandbox pid>/root/...``, so nothing on the host is writable from inside.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

KERNEL_NAME = "course-sandbox"
# Environment variables the kernel may see (everything else of the instructor's is dropped).
ENV_KEEP = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "NUMEXPR_NUM_THREADS", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "PYTHONHASHSEED")
# Files of /etc that Python and the C library read; the rest of /etc stays outside.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
             "hosts", "mime.types")
# The kernel runs as SANDBOX_UID_BASE + the monitor's pid when the monitor is root: a uid no other
# process has, so that the process cap counts this sandbox's processes only.
SANDBOX_UID_BASE = 1_000_000_000
OPT_OUT = "--no-sandbox (make autograde SANDBOX=0)"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot build the sandbox on this machine."""


@dataclass
class Limits:
    """Resource caps of one kernel (one notebook)."""

    memory_mb: int = 6144  # RLIMIT_AS: virtual address space (importing torch alone maps 1.3 GB)
    cpu_s: int = 900  # RLIMIT_CPU per process
    wall_s: int = 1200  # wall clock per notebook, enforced by the monitor
    processes: int = 128  # RLIMIT_NPROC: processes and threads
    file_mb: int = 256  # RLIMIT_FSIZE: largest file the kernel may write
    disk_mb: int = 512  # size of each tmpfs: the working copy and /tmp


def _bootstrap_source() -> str:
    """Python run first inside the sandbox: own the writable dirs, cap processes, drop root, start the kernel."""
    return (
        "import os, resource, sys\n"
        "uid, nproc, conn, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])\n"
        "if uid >= 0:\n"
        "    for top in sys.argv[5:5 + n]:\n"
        "        os.chown(top, uid, uid)\n"
        "        dev = os.stat(top).st_dev\n"
        "        for root, dirs, files in os.walk(top):\n"
        "            # not into the read-only binds mounted inside (a repository under /tmp)\n"
        "            dirs[:] = [d for d in dirs if os.lstat(os.path.join(root, d)).st_dev == dev]\n"
        "            for f in dirs + files:\n"
        "                try:\n"
        "                    os.chown(os.path.join(root, f), uid, uid, follow_symlinks=False)\n"
        "                except OSError:\n"
        "                    pass\n"
        "resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))\n"
        "if uid >= 0:\n"
        "    os.setgroups([])\n"
        "    os.setresgid(uid, uid, uid)\n"
        "    os.setresuid(uid, uid, uid)\n"
        "rest = sys.argv[5 + n:]\n"
        "del uid, nproc, n, os, resource\n"
        "sys.argv = ['ipykernel_launcher', '-f', conn]\n"
        "from ipykernel import kernelapp\n"
        "kernelapp.launch_new_instance()\n"
    )


def find_bwrap() -> str | None:
    """The bubblewrap executable: ``$COURSE_BWRAP`` if set (empty: none), else ``bwrap`` on PATH."""
    if "COURSE_BWRAP" in os.environ:
        path = os.environ["COURSE_BWRAP"]
        return path if path and os.access(path, os.X_OK) else None
    return shutil.which("bwrap")


def read_only_paths() -> list[str]:
    """What the kernel needs to read: the Python installation, the venv and ``course_lib`` (datasets included)."""
    import importlib.util

    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    if sys.prefix != os.path.realpath(sys.prefix):
        paths.add(sys.prefix)
    spec = importlib.util.find_spec("course_lib")
    if spec is not None and spec.submodule_search_locations:
        paths.update(os.path.realpath(p) for p in spec.submodule_search_locations)
    # Drop a path inside another one.
    kept = sorted(paths)
    return [p for p in kept if not any(p != q and p.startswith(q + os.sep) for q in kept)]


def write_kernelspec(workdir: Path, limits: Limits, bwrap: str) -> dict[str, str]:
    """Write the settings and the kernelspec into ``workdir``; return the environment nbgrader needs.

    Parameters
    ----------
    workdir : Path
        A fresh folder of this autograde run (short path: ipc socket paths must stay under 107 bytes).
    limits : Limits
        The caps of every kernel.
    bwrap : str
        Path of the ``bwrap`` executable.

    Returns
    -------
    dict
        ``JUPYTER_PATH`` (where the kernelspec lies) and ``JUPYTER_RUNTIME_DIR`` (connection files and
        sockets), to add to nbgrader's environment.
    """
    os.chmod(workdir, 0o711)
    runtime = workdir / "rt"
    runtime.mkdir(mode=0o700)
    settings = {"bwrap": bwrap, "python": sys.executable, "read_only": read_only_paths(),
                "limits": asdict(limits), "runtime": str(runtime)}
    (workdir / "settings.json").write_text(json.dumps(settings, indent=1))
    spec_dir = workdir / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-P", str(Path(__file__).resolve()), "kernel", str(workdir / "settings.json"),
                     "{connection_file}"],
            "display_name": "Python 3 (autograder sandbox)", "language": "python",
            "interrupt_mode": "message", "metadata": {"debugger": False}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return {"JUPYTER_PATH": str(workdir / "share" / "jupyter"), "JUPYTER_RUNTIME_DIR": str(runtime)}


def make_workdir() -> Path:
    """A short-named temporary folder for one autograde run (socket paths have a 107-byte limit)."""
    base = tempfile.gettempdir()
    if len(base) > 40:
        base = "/tmp"
    return Path(tempfile.mkdtemp(prefix="sbx-", dir=base))


# ----------------------------------------------------------------------------------------------
# the bwrap command line
# ----------------------------------------------------------------------------------------------
def bwrap_argv(settings: dict, cwd: str, files: list[tuple[int, str]], dirs: list[str], extra: list[str],
               info_fd: int | None) -> tuple[list[str], list[str]]:
    """The bwrap options for one kernel, and the writable folders the bootstrap hands to the kernel's uid."""
    limits = settings["limits"]
    root = os.geteuid() == 0
    argv = [settings["bwrap"], "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox"]
    if root:  # no user namespace: the bootstrap drops to an unprivileged uid itself
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_CHOWN"]
    else:
        argv += ["--unshare-user"]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    made: set[str] = set()  # folders bwrap creates on the way to a mount point: made readable below

    def parents(path: str) -> None:
        p = os.path.dirname(path)
        while p not in ("/", ""):
            made.add(p)
            p = os.path.dirname(p)

    # /tmp first: read-only binds below (a repository cloned under /tmp) then land on top of it.
    disk = str(limits["disk_mb"] * 2**20)
    argv += ["--size", disk, "--tmpfs", "/tmp"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            argv += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for path in settings["read_only"] + extra:
        argv += ["--ro-bind", path, path]
        parents(path)
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", disk, "--tmpfs", "/dev/shm", "--size", disk, "--tmpfs", cwd]
    parents(cwd)
    for d in dirs:
        argv += ["--dir", d]
    for fd, dest in files:
        argv += ["--perms", "0644", "--file", str(fd), dest]
    runtime = settings["runtime"]
    if runtime not in (cwd, "/tmp"):
        argv += ["--size", str(2**20), "--tmpfs", runtime]
        parents(runtime)
    argv += ["--dir", "/run"]
    for p in sorted(made - {cwd, runtime, "/tmp"}):
        if not any(p == r or p.startswith(r + os.sep) for r in settings["read_only"] + extra):
            argv += ["--chmod", "0755", p]
    python = settings["python"]
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env.update(HOME="/tmp", TMPDIR="/tmp", PATH=f"{os.path.dirname(python)}:/usr/local/bin:/usr/bin:/bin",
               PYTHONDONTWRITEBYTECODE="1", JPY_PARENT_PID="1")  # 1: no banner, no parent poller
    for k, v in sorted(env.items()):
        argv += ["--setenv", k, v]
    argv += ["--chdir", cwd]
    return argv, ["/tmp", cwd, runtime, "/dev/shm"]


def _set_limits(limits: dict) -> None:
    """preexec_fn of bwrap: caps inherited by everything in the sandbox (the process cap is set inside)."""
    mem = limits["memory_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 5))
    size = limits["file_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _copy_in(cwd: str, max_files: int = 500) -> tuple[list[tuple[int, str]], list[str]]:
    """Open every file of the working folder for bwrap's ``--file`` (the private copy); return (fd, dest) and dirs."""
    files, dirs = [], []
    for root, dnames, fnames in os.walk(cwd):
        dnames[:] = sorted(d for d in dnames if not os.path.islink(os.path.join(root, d)))
        dirs += [os.path.join(root, d) for d in dnames]
        for f in sorted(fnames):
            path = os.path.join(root, f)
            if os.path.isfile(path) and not os.path.islink(path) and len(files) < max_files:
                files.append((os.open(path, os.O_RDONLY), path))
    return files, dirs


def run_kernel(settings_path: str, connection_file: str) -> int:
    """The monitor: start the sandboxed kernel, link its sockets, enforce the wall clock; return its status."""
    settings = json.loads(Path(settings_path).read_text())
    limits = settings["limits"]
    conn = json.loads(Path(connection_file).read_text())
    if conn.get("transport") != "ipc":
        print("sandbox: the kernel's connection must use ZMQ ipc sockets (KernelManager.transport = 'ipc'); "
              f"got {conn.get('transport')!r}", file=sys.stderr)
        return 2
    ip = conn["ip"]
    if not os.path.isabs(ip):
        print(f"sandbox: the ipc socket prefix must be an absolute path (KernelManager.ip), got {ip!r}",
              file=sys.stderr)
        return 2
    _die_with_parent()
    cwd = os.getcwd()
    settings["runtime"] = os.path.dirname(ip)  # where the kernel creates its sockets: a tmpfs inside
    files, dirs = _copy_in(cwd)
    info_r, info_w = os.pipe()
    argv, writable = bwrap_argv(settings, cwd, files, dirs, [], info_w)
    conn_fd = os.open(connection_file, os.O_RDONLY)  # 0600 root: handed over as a read-only copy
    argv += ["--perms", "0444", "--ro-bind-data", str(conn_fd), "/run/kernel.json"]
    uid = SANDBOX_UID_BASE + os.getpid() if os.geteuid() == 0 else -1
    python = settings["python"]
    flag = "-P" if sys.version_info >= (3, 11) else "-I"
    argv += ["--", python, flag, "-s", "-c", _bootstrap_source(), str(uid), str(limits["processes"]),
             "/run/kernel.json", str(len(writable)), *writable]
    proc = subprocess.Popen(argv, pass_fds=[info_w, conn_fd] + [fd for fd, _ in files],
                            preexec_fn=lambda: _set_limits(limits), stdin=subprocess.DEVNULL)
    os.close(info_w)
    os.close(conn_fd)
    for fd, _ in files:
        os.close(fd)
    links = []

    def stop(signum=None, frame=None) -> None:
        if proc.poll() is None:
            proc.kill()
        if signum is not None:
            for link in links:
                _unlink(link)
            os._exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    with os.fdopen(info_r) as info:
        text = info.read()
    try:
        child = json.loads(text)["child-pid"]
    except (ValueError, KeyError):
        child = None
    if child is not None:
        for key in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            link = f"{ip}-{conn[key]}"
            _unlink(link)
            os.symlink(f"/proc/{child}/root{ip}-{conn[key]}", link)
            links.append(link)
    try:
        status = proc.wait(timeout=limits["wall_s"])
    except subprocess.TimeoutExpired:
        print(f"sandbox: the notebook ran past the wall-clock limit of {limits['wall_s']} s: kernel killed",
              file=sys.stderr)
        stop()
        status = proc.wait()
    for link in links:
        _unlink(link)
    if status == -signal.SIGXCPU or status == -signal.SIGKILL:
        print(f"sandbox: kernel killed by signal {-status}", file=sys.stderr)
    return status if status >= 0 else 128 - status


def _die_with_parent() -> None:
    """Have the kernel killed if nbgrader dies (as ipykernel's own parent poller would)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        sys.exit(1)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# ----------------------------------------------------------------------------------------------
# self-test: run a probe in the sandbox before grading
# ----------------------------------------------------------------------------------------------
PROBE = r"""
import os, socket, sys
problems = []
try:
    import ipykernel, course_lib.grading  # noqa: F401
except Exception as err:
    problems.append(f"cannot import the kernel or course_lib: {err!r}")
if os.getuid() == 0 and os.path.exists("/proc/self/uid_map") and open("/proc/self/uid_map").read().split()[1] == "0":
    problems.append("the kernel runs as root")
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()
    problems.append("the host's 127.0.0.1 is reachable")
except OSError:
    pass
for path in sys.argv[2:]:
    if os.path.exists(path):
        problems.append(f"{path} is visible")
open("written", "w").write("x")
print("PROBE-OK" if not problems else "PROBE-FAIL: " + "; ".join(problems))
"""


def self_test(workdir: Path, hidden: list[Path]) -> None:
    """Run a probe in the sandbox as a kernel would be run; raise SandboxUnavailable with the reason if it fails.

    Parameters
    ----------
    workdir : Path
        The folder given to :func:`write_kernelspec` (holds ``settings.json``).
    hidden : list of Path
        Paths that must not be visible inside (the course folder, the instructor's home).
    """
    import socket

    settings = json.loads((workdir / "settings.json").read_text())
    if not settings["bwrap"] or not os.access(settings["bwrap"], os.X_OK):
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    probe_dir = Path(tempfile.mkdtemp(prefix="probe-", dir=workdir))
    os.chmod(probe_dir, 0o755)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        argv, writable = bwrap_argv(settings, str(probe_dir), [], [], [], None)
        uid = SANDBOX_UID_BASE + os.getpid() if os.geteuid() == 0 else -1
        boot = _bootstrap_source().split("sys.argv = ")[0]  # everything but starting the kernel
        code = boot + "sys.argv = sys.argv[:1] + rest\n" + PROBE
        flag = "-P" if sys.version_info >= (3, 11) else "-I"
        argv += ["--", settings["python"], flag, "-s", "-c", code, str(uid), str(settings["limits"]["processes"]),
                 "-", str(len(writable)), *writable, str(server.getsockname()[1]), *map(str, hidden)]
        limits = settings["limits"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                                preexec_fn=lambda: _set_limits(limits), check=False)
    except (OSError, subprocess.SubprocessError) as err:
        raise SandboxUnavailable(f"bwrap could not be run: {err}") from err
    finally:
        server.close()
    out = (result.stdout + result.stderr).strip()
    if "PROBE-OK" not in result.stdout:
        raise SandboxUnavailable(f"the sandbox self-test failed (exit status {result.returncode}): {out[-800:]}")
    if list(probe_dir.iterdir()):
        raise SandboxUnavailable("the sandbox self-test wrote into the host's copy of the folder")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "kernel":
        return run_kernel(args[1], args[2])
    print("usage: python scripts/sandbox.py kernel SETTINGS.json CONNECTION_FILE (started by jupyter_client)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
