"""Open sockets: to a server on the grading machine and to the internet (answers are honest)."""
# %% solution
# %% first
import socket
reached = []
for host, port in [("127.0.0.1", int("__PORT__")), ("1.1.1.1", 53)]:
    try:
        socket.create_connection((host, port), timeout=1).sendall(b"leak")
        reached.append(host)
    except OSError:
        pass
