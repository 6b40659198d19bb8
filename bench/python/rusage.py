# The bench's measuring wrapper for many-process tools: `rusage.py [--cap SECONDS] COMMAND ...` runs the command,
# writes {wallMs, cpuMs, maxRssKiB, leftovers, capped} as JSON to fd 3, and exits with the command's status.
# With --cap, a command still running after SECONDS is killed (its process group, then whatever it left) and the
# wrapper exits 0 with capped = true: its wall time is then a lower bound, and its CPU what it had used by then.
#
# It is a child subreaper: a process the command leaves running in the background (Ansible's ControlPersist ssh
# masters) is re-parented here instead of to init, so after the command exits it is stopped (SIGTERM, SIGKILL after
# 5 s) and reaped, and its CPU counts: getrusage(RUSAGE_CHILDREN) sums the CPU of every process of the tree, and its
# maxrss is the largest RSS any one of them reached. The wall time runs from the exec to the command's own exit.
import ctypes
import glob
import json
import os
import resource
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
# 1,000 connections need more descriptors than a login's usual 1,024: up to 65,536 where root may, else the hard limit.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
for limits in ((max(soft, 65536), max(hard, 65536)), (hard, hard)):
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
        break
    except (ValueError, OSError):
        pass

argv = sys.argv[1:]
cap = 0
if argv[:1] == ['--cap']:
    cap = float(argv[1])
    argv = argv[2:]
capped = False


def stop(*_):
    global capped
    capped = True
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# What this Python's own start-up ran (if anything) is not the command's.
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
# posix_spawn (vfork and exec): a fork of this Python costs ~15 ms of CPU here, which would count as the command's.
pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_CLOSE, 3)], setpgroup=0)
if cap:
    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, cap)
# Orphans re-parented here meanwhile (ssh masters that expired, their children) are reaped as they end.
while True:
    reaped, status = os.waitpid(-1, 0)
    if reaped == pid:
        break
wall = time.monotonic() - t0
signal.setitimer(signal.ITIMER_REAL, 0)


def children():
    found = []
    for path in glob.glob('/proc/self/task/*/children'):
        with open(path) as f:
            found += [int(p) for p in f.read().split()]
    return found


leftovers = children()
def signal_all(children_now, sig):
    for child in children_now:
        try:
            os.kill(child, sig)
        except ProcessLookupError:
            pass


signal_all(leftovers, signal.SIGKILL if capped else signal.SIGTERM)
deadline = time.monotonic() + 5
while True:
    try:
        reaped, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if reaped == 0:
        if time.monotonic() > deadline:
            signal_all(children(), signal.SIGKILL)
        time.sleep(0.01)

ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime - before.ru_utime - before.ru_stime
# The kernel keeps a process's peak RSS across exec: what this Python held when it spawned is the floor.
usage = {'wallMs': wall * 1000, 'cpuMs': cpu * 1000, 'maxRssKiB': ru.ru_maxrss, 'leftovers': len(leftovers), 'capped': capped}
os.write(3, json.dumps(usage).encode())
if capped:
    sys.exit(0)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
