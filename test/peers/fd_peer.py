"""A peer nobody on the ipckit side wrote: Python's own socket module.

Usage: fd_peer.py MODE PATH
  stream-send   connect (SOCK_STREAM); send a file's fd with b"F", then
                1 MiB of seeded bytes; print their sha256
  stream-recv   connect (SOCK_STREAM); receive one fd with its data, write
                b"written by python" to it, echo the data back
  seq-send      connect (SOCK_SEQPACKET); send 100 messages of 1,000 to
                100,000 bytes, each with the fd of a pipe, then close
  dgram-send    send 5 datagrams to PATH (up to 40 kB), the third with 3
                fds (stdin, stdout, stderr)
Every message sent is printed as "msg I SHA256".
Everything it prints goes to stdout, one line per fact.
"""
import array
import hashlib
import os
import random
import socket
import sys
import tempfile

mode, path = sys.argv[1], sys.argv[2]


def seeded(n, seed):
    return random.Random(seed).randbytes(n)


if mode == "stream-send":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    with tempfile.TemporaryFile() as f:
        f.write(b"file content from python")
        f.flush()
        socket.send_fds(s, [b"F"], [f.fileno()])
    data = seeded(1 << 20, 7)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    print("sha256", hashlib.sha256(data).hexdigest(), flush=True)
    s.recv(1)  # until the other side closes
elif mode == "stream-recv":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    msg, fds, flags, addr = socket.recv_fds(s, 4096, 4)
    print("fds", len(fds), "cloexec", all(not os.get_inheritable(fd) for fd in fds), flush=True)
    os.write(fds[0], b"written by python")
    for fd in fds:
        os.close(fd)
    s.sendall(msg)
    s.close()
elif mode == "seq-send":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    r, w = os.pipe()
    for i in range(100):
        m = seeded(1000 * (i + 1), i)
        socket.send_fds(s, [m], [w])
        print("msg", i, hashlib.sha256(m).hexdigest(), flush=True)
    os.close(r)
    os.close(w)
    s.close()
elif mode == "dgram-send":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for i in range(5):
        payload = b"datagram %d " % i + seeded(10000 * i, i)
        if i == 2:
            # socket.send_fds ignores its address argument before 3.12; sendmsg it is.
            s.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))], 0, path)
        else:
            s.sendto(payload, path)
        print("msg", i, hashlib.sha256(payload).hexdigest(), flush=True)
    s.close()
else:
    sys.exit("unknown mode " + mode)
