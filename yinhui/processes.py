"""Which machine a process runs on, and whether a process of this machine still runs.

Both the outbox's claims and the planning slot's holder name a process (pid and machine), so
that whoever finds a claim or a slot held can tell at once when its holder was killed on this
machine, instead of waiting for a lease to run out. A pid means something only where it was
taken: the machine is a fingerprint of the host, its boot and its pid namespace.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
from pathlib import Path


@functools.cache
def this_machine() -> str:
    """A short fingerprint of this machine *as its processes see it*: host name, boot and pid namespace.

    Two processes with the same fingerprint see the same process ids, so one may ask whether the
    other's pid still lives; after a reboot, or from another container, the fingerprint differs and
    only the lease counts. Eight hex digits: it goes into claim tokens.
    """
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip())
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:
        parts.append("no-proc")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:8]


def process_started(pid: int) -> str:
    """When process `pid` started (clock ticks after boot); '' when there is none, or only its corpse.

    With the pid it names one process: a pid used again later by another process has another start.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()  # the command name in parentheses may hold spaces
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # a killed child its parent has not reaped yet
        return ""
    return fields[19]


def process_alive(pid: int) -> bool:
    """Whether a process of this machine runs; True when it cannot be told (a lease decides then)."""
    if os.name != "posix" or pid <= 0:
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: another user's process, so alive
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in (b"Z", b"X")  # killed but not yet reaped: gone all the same
