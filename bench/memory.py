"""Peak memory of this process, measured from a reset point (Linux /proc), for benchmarks.

`ru_maxrss` is no good in a child: Linux carries the parent's peak across fork and exec. So a
measurement resets the peak (`clear_refs`) after its imports and reads `VmHWM` at the end.
"""

from __future__ import annotations

import resource


def status_kb(field: str) -> int | None:
    """A `VmRSS`/`VmHWM` figure of this process in KiB, or None off Linux."""
    try:
        with open("/proc/self/status") as fp:
            for line in fp:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> int:
    """Start measuring here; return the current RSS in KiB (the baseline)."""
    try:
        with open("/proc/self/clear_refs", "w") as fp:
            fp.write("5")
    except OSError:
        pass
    return status_kb("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_kb() -> int:
    """The peak RSS since `reset_peak`, in KiB."""
    return status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
