"""Writes through the API server of an e2e stack (e2e/cluster.sh start DIR), as the admin, from worker threads.

Shared by e2e/failover-load.py (a fixed rate while replicas are killed and rolled) and bench/apiserver-load.py
(a fixed rate, then a closed loop, with the API server's own admission histograms).

  stack = Stack(DIR)                 the API server of DIR/cluster.env, with DIR/pki/admin.{crt,key}
  conn = stack.connection()          one keep-alive HTTPS connection
  drive(stack, write, clients, rate, stop, record)
      write(conn, n) -> tuple        one write (the n-th of the run); its result goes to record(n, result, ms)
      rate > 0: write n is due at start + n / rate (the fixed rate: each write has its slot, whichever worker is free)
      rate = 0: a closed loop, each worker writing as soon as its previous write is answered
      stop(n) -> bool                checked before each write; true ends the run
"""
import http.client
import json
import os
import ssl
import threading
import time


class Stack:
    def __init__(self, directory):
        values = {}
        with open(os.path.join(directory, "cluster.env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                values[key] = value
        self.host, port = values["APISERVER_URL"].removeprefix("https://").split(":")
        self.port = int(port)
        self.context = ssl.create_default_context(cafile=values["CA_FILE"])
        pki = os.path.join(directory, "pki")
        self.context.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))

    def connection(self):
        return http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=30)

    def request(self, method, path, body=None, content_type="application/json"):
        """One request on a connection of its own: (status, parsed JSON or text)."""
        conn = self.connection()
        try:
            return send(conn, method, path, body, content_type)
        finally:
            conn.close()


def send(conn, method, path, body=None, content_type="application/json"):
    """(status, answer): the answer parsed as JSON when it is, else its text."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    conn.request(method, path, body, {"Content-Type": content_type} if body is not None else {})
    response = conn.getresponse()
    text = response.read().decode(errors="replace")
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def drive(stack, write, clients, rate, stop, record):
    lock = threading.Lock()
    counter = iter(range(1 << 62))
    start = time.monotonic()

    def worker():
        conn = stack.connection()
        while True:
            with lock:
                n = next(counter)
            if stop(n):
                return
            if rate > 0:
                due = start + n / rate
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)  # the fixed rate: each write has its slot
            t0 = time.monotonic()
            try:
                result = write(conn, n)
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = stack.connection()
                result = None, f"client {e!r}"
            record(n, result, (time.monotonic() - t0) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
