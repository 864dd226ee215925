#!/usr/bin/env python3
"""A validating admission webhook that holds the writes of one user until PARTIES of them have arrived, then admits
them all at once: writers that read the same resourceVersion are made to write at the same moment.

  hold-webhook.py CERT KEY PORT USER PARTIES OUT

Listens on https://127.0.0.1:PORT (any path) with CERT and KEY. A request from USER waits until PARTIES such
requests have arrived (at most HOLD_SECONDS), then every one of them is allowed; once PARTIES have arrived, later
ones pass at once. Requests from anyone else are allowed at once. Always allows: it only decides when.
OUT gets one line per request as it arrives:
  <unix time> held|passed <user> <namespace>/<name> <resourceVersion sent> <sha256 of data.tls.crt, 12 hex digits>

Why holding in admission makes the race: the API server checks the resourceVersion sent against the stored one,
then runs validating admission, then writes with a compare-and-swap on etcd's revision, retrying the whole step when
the swap fails (kubernetes/kubernetes, staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go, Store.Update).
Writers released together both passed the check; one swap wins, the other is retried, finds the new
resourceVersion and gets 409 Conflict.
"""
import hashlib
import http.server
import json
import ssl
import sys
import threading
import time

# Below the client's own request timeout (fabric8's default is 10 s), so a held writer is answered, never timed out.
HOLD_SECONDS = 8


def main(cert, key, port, user, parties, out_path):
    out = open(out_path, "a", buffering=1)
    arrived = threading.Condition()
    held = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            request = review["request"]
            obj = request.get("object") or {}
            meta = obj.get("metadata", {})
            who = request.get("userInfo", {}).get("username", "")
            crt = hashlib.sha256((obj.get("data") or {}).get("tls.crt", "").encode()).hexdigest()[:12]
            hold = who == user
            out.write(f"{time.time():.3f} {'held' if hold else 'passed'} {who} {request.get('namespace', '')}/"
                      f"{request.get('name', '')} {meta.get('resourceVersion', '-')} {crt}\n")
            if hold:
                with arrived:
                    held[0] += 1
                    arrived.notify_all()
                    arrived.wait_for(lambda: held[0] >= parties, timeout=HOLD_SECONDS)
            body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                               "response": {"uid": request["uid"], "allowed": True}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6])
