#!/usr/bin/env python3
"""The hostile peers of bench/fault.sh, on 127.0.0.1 only.

  fault-clients.py slow PORT CA        200 connections silent before the TLS handshake and 200 trickling a request
                                       header a byte every 0.5 s, for 40 s ("holding N" once all are open); then how
                                       many of each the server closed
  fault-clients.py oversized PORT CA   declares a 1 GiB body, sends one byte, prints the status line of the answer
  fault-clients.py black-hole PORT     a Kubernetes API that accepts connections and never reads or writes (120 s)
"""
import socket
import ssl
import sys
import time


def tls(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")


def slow(port, ca):
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]  # TCP connected, no TLS handshake
    trickling = [tls(port, ca) for _ in range(200)]  # TLS up, then a request header one byte at a time
    print("holding", len(held) + len(trickling), flush=True)
    header = b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
    deadline = time.time() + 40
    i = 0
    while time.time() < deadline:
        for s in list(trickling):
            try:
                s.send(header[i % len(header):i % len(header) + 1])
            except OSError:
                trickling.remove(s)
        i += 1
        time.sleep(0.5)
    closed = 0
    for s in held:
        try:
            s.settimeout(0.01)
            if s.recv(1) == b"":
                closed += 1
        except socket.timeout:
            pass
        except OSError:
            closed += 1
    print("silent connections closed by the server after 40 s:", closed, "of", len(held), flush=True)
    print("trickling connections closed by the server after 40 s:", 200 - len(trickling), "of 200", flush=True)


def oversized(port, ca):
    s = tls(port, ca)
    s.settimeout(5)
    s.send(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Content-Length: 1073741824\r\n\r\n{")
    print(s.recv(200).split(b"\r\n")[0].decode())


def black_hole(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)
    held = []
    end = time.time() + 120
    srv.settimeout(1)
    while time.time() < end:
        try:
            held.append(srv.accept()[0])  # accept, then never read or write
        except socket.timeout:
            pass


if __name__ == "__main__":
    commands = {"slow": slow, "oversized": oversized, "black-hole": black_hole}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](int(sys.argv[2]), *sys.argv[3:])
