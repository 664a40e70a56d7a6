#!/usr/bin/env python3
"""Captures NETLINK_SOCK_DIAG replies from the running kernel for ListenQueuesTests.

listen-ipv4.bin: the dump of listening IPv4 TCP sockets while a listener on 127.0.0.1 with
backlog 4 holds 3 connections it has not accepted (plus whatever else listens on the host).
error-einval.bin: the kernel's NLMSG_ERROR for a request naming no address family it knows.
Prints `ss -lnt` at capture time, which is what the test's expectations come from.
"""
import socket, struct, subprocess, sys

NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
TCP_LISTEN = 10

def request(family, protocol=socket.IPPROTO_TCP):
    # struct inet_diag_req_v2: family, protocol, ext, pad, states, then inet_diag_sockid (48 bytes)
    body = struct.pack("=BBBBI", family, protocol, 0, 0, 1 << TCP_LISTEN) + bytes(48)
    return struct.pack("=IHHII", 16 + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body

def dump(family):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)
    s.sendto(request(family), (0, 0))
    replies = b""
    while True:
        data = s.recv(65536)
        replies += data
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind in (2, 3):  # NLMSG_ERROR or NLMSG_DONE ends the dump
                return replies
            offset += (length + 3) & ~3

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))
server.listen(4)
clients = [socket.create_connection(server.getsockname()) for _ in range(3)]
print(subprocess.run(["ss", "-lnt4"], capture_output=True, text=True).stdout)
open("listen-ipv4.bin", "wb").write(dump(socket.AF_INET))
open("error-einval.bin", "wb").write(dump(99))
