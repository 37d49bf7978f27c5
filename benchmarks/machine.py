"""What a benchmark prints about the machine it ran on: figures only mean something with it."""
import os
import platform
import time

__all__ = ["cpu_model", "describe"]


def cpu_model():
    """The CPU's model name from ``/proc/cpuinfo`` (or what the platform module knows)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe():
    """One line: CPU model, cores, the 1-minute load average and the time (UTC)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu_model()}, {os.cpu_count()} CPUs, load average {load:.2f}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
