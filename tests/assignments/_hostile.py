"""Hostile submissions of the dummy assignment (``_dummy.py``), for the sandbox tests.

Each one is the dummy notebook with an attack put in front of a student's cell. Every attack prints
``LEAK: ...`` when it gets somewhere it should not, and ``ATTEMPTED <case>`` once it has tried, so
that the tests can tell "blocked" from "never ran".
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from . import _dummy
from .test_course import REPO, course_cli

SOLUTION_ADD = "def add(a, b):\n    return a + b"
SOLUTION_MUL = "def mul(a, b):\n    return a * b"
WRONG_MUL = "def mul(a, b):\n    return a + b"
MAX, ADD_ONLY = _dummy.MAX_SCORE, _dummy.POINTS["test_add"]


# What the sandbox mounts at the top level besides the read-only binds (scripts/sandbox.py, bwrap_argv).
SYSTEM = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "proc", "dev", "tmp", "run"}


def _visible_names(folders: list[str]) -> dict[str, set[str]]:
    """Folder -> the entries a listing of it may show inside the sandbox: the next path component of each
    read-only bind below it (the Python installation, the venv, ``course_lib``), and the system folders at
    ``/``. Taken from the sandbox itself, so that it holds wherever the repository is cloned."""
    binds = course_cli.sandbox.read_only_paths()
    names: dict[str, set[str]] = {}
    for folder in folders:
        prefix = folder.rstrip("/") + "/"
        names[folder] = {b[len(prefix):].split("/")[0] for b in binds if b.startswith(prefix)}
        if folder == "/":
            names[folder] |= SYSTEM
    return names


def _attacks(course: Path, port: int, marker: str, secret: str) -> dict[str, tuple[str, str, float | None, str]]:
    """Student id -> (code put before ``add``, the ``mul`` cell, expected score, expected status)."""
    other = course / "submitted" / "good" / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb"
    return {
        # Reading source/ (the hidden tests live there) and the course folder.
        "h-source": (f"""
import os, glob
for path in [{str(course / 'source' / _dummy.NAME / (_dummy.NOTEBOOK + '.ipynb'))!r}, {str(course)!r},
             '../../../source', '../../../../source', '../../../gradebook.db']:
    try:
        print('LEAK: read', path, len(open(path, 'rb').read()) if os.path.isfile(path) else os.listdir(path))
    except OSError:
        pass
found = [p for pattern in ('/*/gradebook.db', '/*/*/gradebook.db', '/*/*/*/gradebook.db', '/tmp/**/gradebook.db',
                           '/tmp/**/source', '/*/*/assignments', '/*/*/*/source')
         for p in glob.glob(pattern, recursive=True)]
if found:
    print('LEAK: found', found)
print('ATTEMPTED h-source')
""", SOLUTION_MUL, MAX, "ok"),
        # Opening and editing the gradebook.
        "h-gradebook": (f"""
import sqlite3
for path in [{str(course / 'gradebook.db')!r}, '../../../gradebook.db', '../../gradebook.db']:
    try:
        db = sqlite3.connect(f'file:{{path}}?mode=rw', uri=True)
        db.execute("update grade set auto_score = 100")
        db.commit()
        print('LEAK: edited', path)
    except sqlite3.Error:
        pass
print('ATTEMPTED h-gradebook')
""", SOLUTION_MUL, MAX, "ok"),
        # Writing into another student's folder (absolute path, and the batch copy next door).
        "h-others": (f"""
for path in [{str(other)!r}, '../../good/{_dummy.NAME}/{_dummy.NOTEBOOK}.ipynb', '../../good/evil.txt',
             {str(course / 'autograded' / 'good' / 'evil.txt')!r}]:
    try:
        with open(path, 'w') as f:
            f.write('{{}}')
        print('LEAK: wrote', path)
    except OSError:
        pass
print('ATTEMPTED h-others')
""", SOLUTION_MUL, MAX, "ok"),
        # The instructor's files and environment; also reports what the sandbox looks like inside.
        "h-home": (f"""
import os, json, resource
visible = {_visible_names(['/', '/root', str(Path.home()), '/work', str(REPO), '/home'])!r}
for path in ['/root/.bash_history', '/root/.bashrc', '/root/.profile', '/etc/shadow', '/etc/ssh',
             os.path.join({str(Path.home())!r}, '.bash_history'), *visible]:
    try:
        if os.path.isdir(path):
            extra = sorted(set(os.listdir(path)) - visible[path])
            if extra:
                print('LEAK: listed', path, extra)
        else:
            print('LEAK: read', path, open(path).read()[:50])
    except OSError:
        pass
if {secret!r} in str(os.environ):
    print('LEAK: environment', dict(os.environ))
limits = {{name: resource.getrlimit(getattr(resource, name))
          for name in ('RLIMIT_AS', 'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_NPROC')}}
print('INSIDE ' + json.dumps({{'uid': os.getuid(), 'limits': limits, 'cwd': os.getcwd(),
                               'cwd_files': sorted(os.listdir('.'))}}))
print('ATTEMPTED h-home')
""", SOLUTION_MUL, MAX, "ok"),
        # A network connection: to the host's loopback (a listener of the test) and outside.
        "h-network": (f"""
import socket
for host, p in [('127.0.0.1', {port}), ('1.1.1.1', 53), ('8.8.8.8', 443)]:
    try:
        socket.create_connection((host, p), timeout=2).close()
        print('LEAK: connected to', host, p)
    except OSError:
        pass
try:
    print('LEAK: resolved', socket.gethostbyname('example.com'))
except OSError:
    pass
print('ATTEMPTED h-network')
""", SOLUTION_MUL, MAX, "ok"),
        # Far more memory than the cap.
        "h-memory": ("""
import numpy as np
for make in (lambda: bytearray(6 * 2**30), lambda: np.ones(2**30)):
    try:
        blob = make()
        print('LEAK: allocated', len(blob))
        del blob
    except MemoryError:
        pass
print('ATTEMPTED h-memory')
""", SOLUTION_MUL, MAX, "ok"),
        # A fork bomb (in a child, so that the notebook goes on).
        "h-forkbomb": ("""
import os, time
if os.fork() == 0:
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.2)
time.sleep(2)
pids = [p for p in os.listdir('/proc') if p.isdigit()]
if len(pids) > 100:
    print('LEAK: processes', len(pids))
print('ATTEMPTED h-forkbomb', len(pids))
""", SOLUTION_MUL, None, "ok"),  # the exhausted process cap may fail its own next cell: any score
        # Filling the disk: one huge file and many small ones, in the working folder and /tmp.
        "h-disk": (f"""
import os
chunk = b'x' * 2**20
for folder in ('.', '/tmp', '/dev/shm'):
    written = 0
    try:
        with open(os.path.join(folder, 'big.bin'), 'wb') as f:
            for _ in range(4096):
                f.write(chunk)
                f.flush()
                written += 1
    except OSError:
        pass
    if written >= 4096:
        print('LEAK: wrote 4 GB in', folder)
    try:
        for i in range(100000):
            with open(os.path.join(folder, f'small{{i}}.txt'), 'wb') as f:
                f.write(b'y' * 1024)
    except OSError:
        pass
for folder in ('/', '/work', '/usr', {str(Path.home())!r}):
    try:
        open(os.path.join(folder, 'evil.txt'), 'w').write('x')
        print('LEAK: wrote into', folder)
    except OSError:
        pass
print('ATTEMPTED h-disk')
""", SOLUTION_MUL, MAX, "ok"),
        # Processes that try to outlive the kernel (a new session; a double fork). Their output goes
        # to /dev/null, so that nothing they print lands in a later (graded) cell, and the attack
        # reports whether both were running when its cell ended.
        "h-survivor": (f"""
import os, subprocess, sys, time
quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', {marker!r}],
                         start_new_session=True, **quiet)
r, w = os.pipe()
first = os.fork()
if first == 0:
    os.setsid()
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.execv('/bin/sleep', [{marker!r}, '301'])  # the marker as argv[0]: found in /proc/*/cmdline
    os.write(w, str(pid).encode())
    os._exit(0)
os.close(w)
os.waitpid(first, 0)
pids = [child.pid, int(os.read(r, 32))]

def running(pid):
    try:
        return {marker!r} in open(f'/proc/{{pid}}/cmdline').read()
    except OSError:
        return False

deadline = time.monotonic() + 20
while not all(map(running, pids)) and time.monotonic() < deadline:
    time.sleep(0.05)
print('RUNNING', [running(pid) for pid in pids])
print('ATTEMPTED h-survivor')
""", SOLUTION_MUL, MAX, "ok"),
        # Hiding the failed tests' tracebacks: a wrong mul would earn full marks.
        "h-showtb": ("print('ATTEMPTED h-showtb')", WRONG_MUL + """
get_ipython().showtraceback = lambda *args, **kwargs: None
get_ipython()._showtraceback = lambda *args, **kwargs: None
""", 0.0, "TAMPERED"),
        # Removing every assert statement of the later cells with an AST transformer.
        "h-noassert": ("print('ATTEMPTED h-noassert')", WRONG_MUL + """
import ast
class NoAssert(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(NoAssert())
""", 0.0, "TAMPERED"),
        # Overriding the test helpers: course_lib.grading accepts anything.
        "h-helpers": ("print('ATTEMPTED h-helpers')", SOLUTION_MUL + """
import course_lib.grading
course_lib.grading.check_array = lambda *args, **kwargs: None
course_lib.grading.check_outputs = lambda *args, **kwargs: None
""", 0.0, "TAMPERED"),
        # Replacing AssertionError (the assert statement ignores it) and swallowing errors of test cells.
        "h-assert": ("print('ATTEMPTED h-assert')", WRONG_MUL + """
import builtins
class AssertionError(Exception):
    pass
builtins.AssertionError = AssertionError
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
""", 0.0, "TAMPERED"),
        # Printing a fake success message earns nothing: nbgrader grades on errors, not text.
        "h-fakepass": ("print('ATTEMPTED h-fakepass')", WRONG_MUL + """
print('All tests passed! 5/5 points')
""", ADD_ONLY, "ok"),
    }


def expected(course: Path, port: int, marker: str, secret: str) -> dict[str, tuple[float | None, str]]:
    """Student id -> (expected score or None for any, expected status) of every hostile submission."""
    return {s: (score, status) for s, (_, _, score, status) in _attacks(course, port, marker, secret).items()}


def make_submissions(course: Path, port: int, marker: str, secret: str) -> list[str]:
    """Write every hostile submission into ``course/submitted/``; return the student ids."""
    students = []
    for student, (attack, mul, _, _) in _attacks(course, port, marker, secret).items():
        nb = _dummy.build_source_notebook()
        nb.cells[1].source = attack.strip() + "\n\n" + SOLUTION_ADD
        nb.cells[3].source = mul.strip()
        folder = course / "submitted" / student / _dummy.NAME
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{_dummy.NOTEBOOK}.ipynb")
        students.append(student)
    return students
