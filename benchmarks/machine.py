"""What a benchmark prints about the machine it ran on: figures only mean something with it."""
import os
import platform
import time

__all__ = ["cpu_model", "cpu_generation", "describe"]


def _cpuinfo():
    """The first value of each field of ``/proc/cpuinfo`` (empty where there is none)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields


def cpu_model():
    """The CPU's model name from ``/proc/cpuinfo`` (or what the platform module knows)."""
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def cpu_generation():
    """``family F model M, AVX-512`` (or ``AVX2``) from ``/proc/cpuinfo``: "AMD EPYC" alone
    does not say which generation (family 25 is Zen 3/4, family 26 Zen 5)."""
    fields = _cpuinfo()
    if not fields:
        return "family unknown"
    flags = fields.get("flags", "").split()
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"family {fields.get('cpu family', '?')} model {fields.get('model', '?')}, {vector}"


def describe():
    """One line: CPU model and generation, cores, the 1-minute load average and the time (UTC)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu_model()} ({cpu_generation()}), {os.cpu_count()} CPUs, load average {load:.2f}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
