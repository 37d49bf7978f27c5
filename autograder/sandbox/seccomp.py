"""The seccomp filter of every sandbox: system calls whose effects outlive the sandbox, or
that reach kernel code no notebook needs, fail with ``EPERM``.

Why a filter and not only namespaces: kernel keyrings (``add_key``/``keyctl``) belong to
a uid, not to a process or a namespace that dies with the sandbox, and the grader's own
session keyring is inherited; an honest notebook's ``atexit`` could leave its answers
there for the next notebook of the same uid (collusion that no similarity check sees).
bubblewrap loads the program from a file descriptor (``--seccomp FD``) after it has set
the sandbox up, so the filter holds for the notebook and everything it starts.

The program is classic BPF written out here (no libseccomp needed): check the
architecture (any other one, e.g. 32-bit calls on a 64-bit kernel, is refused
outright), then compare the call number with the blocked ones.
"""
from __future__ import annotations

import errno
import os
import platform
import struct
import tempfile

# number on (x86_64, aarch64), from the kernel's syscall tables
KEEP_STATE = {  # state that outlives the sandbox
    "add_key": (248, 217), "request_key": (249, 218), "keyctl": (250, 219),
}
ATTACK_SURFACE = {  # kernel interfaces no notebook needs
    "bpf": (321, 280), "userfaultfd": (323, 282), "perf_event_open": (298, 241),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "ptrace": (101, 117),
}
# Shared memory that no memory cgroup charges when the machine has none (Sandbox decides)
UNCHARGED_MEMORY = {"memfd_create": (319, 279), "shmget": (29, 194)}

ARCHES = {"x86_64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7)}  # (column above, AUDIT_ARCH_*)
X32_SYSCALL_BIT = 0x40000000  # x86_64's x32 ABI: the same calls under other numbers
# A new user namespace would give the notebook root over mounts of its own (an uncapped
# tmpfs, new kernel surface): clone/unshare with CLONE_NEWUSER fail, and clone3, whose
# flags a filter cannot read, reports ENOSYS so that libc falls back to clone.
CLONE = {"clone": (56, 220), "unshare": (272, 97)}
CLONE3 = (435, 435)
CLONE_NEWUSER = 0x10000000

_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_RET_ALLOW, _RET_KILL_PROCESS, _RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_ARCH_OFFSET, _NR_OFFSET, _ARG0_LOW_OFFSET = 4, 0, 16  # in struct seccomp_data (little-endian)


def blocked_calls(without_cgroup: bool) -> dict:
    calls = {**KEEP_STATE, **ATTACK_SURFACE}
    if without_cgroup:
        calls.update(UNCHARGED_MEMORY)
    return calls


class _Assembler:
    """Classic BPF with named jump targets, resolved when the program is packed."""

    def __init__(self):
        self.code, self.labels = [], {}

    def label(self, name):
        self.labels[name] = len(self.code)

    def op(self, code, k, jt=None, jf=None):
        self.code.append((code, jt, jf, k))

    def pack(self) -> bytes:
        out = []
        for here, (code, jt, jf, k) in enumerate(self.code):
            offsets = [0 if target is None else self.labels[target] - here - 1 for target in (jt, jf)]
            if not all(0 <= offset < 256 for offset in offsets):  # BPF jumps forward, at most 255
                raise ValueError(f"seccomp jump from instruction {here} cannot reach its target")
            out.append(struct.pack("=HBBI", code, offsets[0], offsets[1], k))
        return b"".join(out)


def program(machine: str, calls: dict) -> bytes:
    """The BPF program (``struct sock_filter[]``) that refuses ``calls`` on ``machine``."""
    if machine not in ARCHES:
        raise ValueError(f"no seccomp filter for machine {machine!r} (known: {', '.join(ARCHES)})")
    column, audit_arch = ARCHES[machine]
    asm = _Assembler()
    asm.op(_LD_W_ABS, _ARCH_OFFSET)
    asm.op(_JEQ_K, audit_arch, jf="kill")
    asm.op(_LD_W_ABS, _NR_OFFSET)
    if machine == "x86_64":
        asm.op(_JGE_K, X32_SYSCALL_BIT, jt="eperm")
    asm.op(_JEQ_K, CLONE3[column], jt="enosys")
    for pair in CLONE.values():
        asm.op(_JEQ_K, pair[column], jt="clone_flags")
    for number in sorted({pair[column] for pair in calls.values()}):
        asm.op(_JEQ_K, number, jt="eperm")
    asm.label("allow")
    asm.op(_RET_K, _RET_ALLOW)
    asm.label("clone_flags")
    asm.op(_LD_W_ABS, _ARG0_LOW_OFFSET)
    asm.op(_JSET_K, CLONE_NEWUSER, jt="eperm")
    asm.op(_RET_K, _RET_ALLOW)  # BPF jumps only forward: a second `ret allow`
    asm.label("eperm")
    asm.op(_RET_K, _RET_ERRNO | errno.EPERM)
    asm.label("enosys")
    asm.op(_RET_K, _RET_ERRNO | errno.ENOSYS)
    asm.label("kill")
    asm.op(_RET_K, _RET_KILL_PROCESS)
    return asm.pack()


def filter_file(without_cgroup: bool) -> int:
    """A read-only file descriptor holding this machine's program, for ``bwrap --seccomp``.

    The file is unlinked at once: only the descriptor (passed to bubblewrap) keeps it.
    """
    data = program(platform.machine(), blocked_calls(without_cgroup))
    fd, path = tempfile.mkstemp(prefix="autograder-seccomp-")
    try:
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    finally:
        os.unlink(path)
    return fd
