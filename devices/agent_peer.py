"""Who is at the other end of a signer agent's socket: the 0700 directory that keeps other users
out, the connecting process's credentials (SO_PEERCRED), and the host its `ssh -R` connects to,
so the agent names the server asking by what this machine sees rather than what it is told.
"""

from __future__ import annotations

import os
import socket
import stat
import struct
from pathlib import Path

from devices.agent_protocol import AgentRefused
from said import Said


def private_directory(path: Path) -> Path:
    """`path` as a directory only this user can enter (created 0700); refused when it exists
    with other owners or looser modes, since another user could then reach the socket."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise AgentRefused(
            Said(
                "agent_peer.not_directory_user_choose",
                "{path} is not a directory of this user: choose another --socket",
                path=path,
            )
        )
    if st.st_mode & 0o077:
        raise AgentRefused(
            Said(
                "agent_peer.can_entered_by_other",
                "{path} can be entered by other users (mode "
                "{mode}): make it 0700 or choose another place",
                path=path,
                mode=format(st.st_mode & 511, "o"),
            )
        )
    return path


def peer_credentials(conn: socket.socket) -> tuple[int, int] | None:
    """(pid, uid) of the connecting process (Linux SO_PEERCRED); None where the OS does not
    tell."""
    opt = getattr(socket, "SO_PEERCRED", None)
    if opt is None:
        return None
    raw = conn.getsockopt(socket.SOL_SOCKET, opt, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", raw)
    return int(pid), int(uid)


def ssh_destination(ssh_args: list[str]) -> str | None:
    """The destination among ssh's arguments: the first word that is not an option or an
    option's value (ssh's getopt string, OpenSSH 9)."""
    takes_value = set("BbcDEeFIiJLlmOoPpQRSWw")
    words = iter(ssh_args)
    for word in words:
        if word == "--":
            return next(words, None)
        if word.startswith("-") and len(word) > 1:
            flags = word[1:]
            for i, flag in enumerate(flags):
                if flag in takes_value:
                    if i == len(flags) - 1:
                        next(words, None)
                    break
            continue
        return word
    return None


def forwarding_host(pid: int) -> str | None:
    """The host an `ssh` process of this user connects to, when `pid` is one: a connection
    that comes through `ssh -R` has the local ssh client as its peer, so its command line
    names the server that asks (better than the name the server gives itself)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    words = [a.decode(errors="replace") for a in argv if a]
    if not words or Path(words[0]).name != "ssh":
        return None
    return ssh_destination(words[1:])
