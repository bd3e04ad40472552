"""A small seccomp filter that refuses the system calls a student never needs.

Everything here is already out of reach of an unprivileged process in fresh namespaces,
except through kernel features that keep turning up in privilege escalations (user
namespaces, io_uring, bpf, userfaultfd, perf events) or that are shared by every process of
one uid (keyrings). Refusing them costs one filter and nothing that numerical Python uses.
"""

from __future__ import annotations

import ctypes
import errno
import platform

from autograder.sandbox import linux

_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000

_LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JUMP_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JUMP_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JUMP_ANY_BIT = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RETURN = 0x06  # BPF_RET | BPF_K

_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO = 0x00050000

_SYSCALL_NUMBER, _ARCH, _FIRST_ARGUMENT = 0, 4, 16  # offsets in struct seccomp_data

_CLONE = 56
_CLONE3 = 435  # flags hide in a struct; ENOSYS makes the C library fall back to clone
_NAMESPACE_FLAGS = (
    linux.CLONE_NEWNS
    | linux.CLONE_NEWCGROUP
    | linux.CLONE_NEWUTS
    | linux.CLONE_NEWIPC
    | linux.CLONE_NEWUSER
    | linux.CLONE_NEWPID
    | linux.CLONE_NEWNET
)
_REFUSED = {
    "ptrace": 101,
    "syslog": 103,
    "pivot_root": 155,
    "chroot": 161,
    "acct": 163,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "lookup_dcookie": 212,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
}


class _Instruction(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jump_true", ctypes.c_uint8),
        ("jump_false", ctypes.c_uint8),
        ("value", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("length", ctypes.c_ushort), ("instructions", ctypes.POINTER(_Instruction))]


def _program() -> list[_Instruction]:
    """Assemble the filter; jumps name the verdict they lead to."""
    actions = {
        "allow": _ALLOW,
        "deny": _ERRNO | errno.EPERM,
        "unsupported": _ERRNO | errno.ENOSYS,
        "kill": _KILL_PROCESS,
    }
    code = [
        (_LOAD_WORD, _ARCH, None, None),
        (_JUMP_EQUAL, _ARCH_X86_64, None, "kill"),
        (_LOAD_WORD, _SYSCALL_NUMBER, None, None),
        (_JUMP_AT_LEAST, _X32_SYSCALL_BIT, "unsupported", None),
        (_JUMP_EQUAL, _CLONE3, "unsupported", None),
        *[(_JUMP_EQUAL, number, "deny", None) for number in sorted(_REFUSED.values())],
        (_JUMP_EQUAL, _CLONE, None, "allow"),
        (_LOAD_WORD, _FIRST_ARGUMENT, None, None),
        (_JUMP_ANY_BIT, _NAMESPACE_FLAGS, "deny", "allow"),
    ]
    where = {name: len(code) + index for index, name in enumerate(actions)}

    def offset(index: int, target: str | None) -> int:
        return 0 if target is None else where[target] - index - 1

    program = [
        _Instruction(operation, offset(index, if_true), offset(index, if_false), value)
        for index, (operation, value, if_true, if_false) in enumerate(code)
    ]
    return program + [_Instruction(_RETURN, 0, 0, value) for value in actions.values()]


def install() -> None:
    """Apply the filter to this process and every process it starts (needs no_new_privs)."""
    if platform.machine() != "x86_64":
        raise OSError(errno.ENOSYS, "the filter knows only x86-64 system call numbers")
    instructions = _program()
    program = _Program(len(instructions), (_Instruction * len(instructions))(*instructions))
    linux.prctl(linux.PR_SET_SECCOMP, linux.SECCOMP_MODE_FILTER, ctypes.addressof(program))
