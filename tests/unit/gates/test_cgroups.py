"""The cgroup of a command, on this machine's real cgroup file system (when one is writable)."""

from __future__ import annotations

import subprocess
import sys
import time

from kodegen.gates import cgroups, isolation


def test_none_when_not_allowed() -> None:
    assert cgroups.create(processes=8, memory_bytes=64 << 20, allowed=False) is None


def test_a_group_limits_kills_and_goes_away() -> None:
    group = cgroups.create(processes=16, memory_bytes=128 << 20)
    probed = isolation.probe().cgroup
    assert (group is None) == (probed == "none")
    if group is None:  # no writable cgroup here: the probe says so, the sandbox uses prlimit
        return
    assert group.version == probed
    bomb = (
        "import subprocess, sys\n"
        "n = 0\n"
        "try:\n"
        "    while n < 100:\n"
        "        quiet = {'stdout': subprocess.DEVNULL, 'stderr': subprocess.DEVNULL}\n"
        "        subprocess.Popen(['sleep', '30'], **quiet); n += 1\n"
        "except OSError:\n"
        "    pass\n"
        "print(n)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", bomb],
        preexec_fn=group.join,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    started = int(done.stdout)
    assert 0 < started < 16, "the process-count limit stopped the loop"
    assert len(group.processes()) == started, "the sleepers outlived their parent, in the group"
    group.kill()
    assert group.processes() == set()
    hog = subprocess.run(
        [
            sys.executable,
            "-c",
            "b = bytearray(512 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1",
        ],
        preexec_fn=group.join,
        timeout=60,
        check=False,
    )
    assert hog.returncode != 0 and group.out_of_memory()
    group.remove()
    deadline = time.monotonic() + 5
    while any(folder.exists() for folder in group.folders) and time.monotonic() < deadline:
        time.sleep(0.05)  # waits on the kernel
    assert not any(folder.exists() for folder in group.folders)


def test_groups_of_a_killed_kodegen_are_swept_with_their_processes() -> None:
    group = cgroups.create(processes=16, memory_bytes=128 << 20)
    if group is None:  # no writable cgroup here (the probe says so): nothing can be left over
        assert isolation.probe().cgroup == "none"
        return
    group.remove()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    # What a kodegen killed by SIGKILL leaves: its group, named for its pid, and an orphan in it.
    left = [folder.with_name(f"kodegen-{int(dead.stdout)}-0") for folder in group.folders]
    for folder in left:
        folder.mkdir()
    stale = cgroups.Cgroup(version=group.version, folders=tuple(left))
    orphan = subprocess.Popen(["sleep", "60"], preexec_fn=stale.join)
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kodegen.gates import cgroups\n"
            "g = cgroups.create(processes=16, memory_bytes=128 << 20)\nassert g\ng.remove()",
        ],
        check=False,
        timeout=60,
    )
    try:
        assert fresh.returncode == 0
        assert orphan.wait(timeout=10) == -9, "the orphan was killed"
        assert not any(folder.exists() for folder in left)
    finally:
        orphan.kill()
        stale.remove()
