#!/usr/bin/env python3
"""A real HTTP server on 127.0.0.1 for the source tests: each path misbehaves in one way.

Prints the port it listens on as its first line, then serves until killed. With two arguments,
CERT and KEY (PEM files), it serves https with them, and with a third, CLIENT_CA, asks every
client for a certificate that CLIENT_CA signed (mutual TLS); with --unix PATH, plain http on that
unix socket (and prints 0).
  /health            200 "ok"
  /status/N          status N with a short body
  /slow/MS           answers after MS milliseconds
  /truncated         promises 1000 bytes, sends 10, closes
  /big/MB            a body of MB mebibytes
  /garbage           an HTML error page with status 200
  /metrics           Prometheus text: counters that grow by fixed steps per scrape, a histogram
  /lazy/metrics      the same without the 503 series, as a client library exports a shop that
                     has not answered a 5xx yet (it makes a labelled series at its first count)
  /nginx_status      nginx stub_status, counters growing by 50 requests per scrape
  /vhost/NAME        200 "ok" when the Host header names NAME, else 421 (a name-based virtual host)
  /auth/TOKEN/metrics  /metrics when the request carries "Authorization: Bearer TOKEN", else 401
  /echo-headers      the request's header lines, as received
  /redirect?to=URL   302 to URL (relative or absolute), as written; &after=MS: after MS milliseconds
  /loop              302 to itself
  POST /record/NAME  200, keeps the body (with the request's Content-Type) under NAME
  /recorded/NAME     what was posted to /record/NAME: "Content-Type: ...", then the body, a
                     line each post (a webhook receiver for Alertmanager, a stand-in for one)
  POST /status/N     status N, the body read and dropped
  POST /slow/MS      answers 200 after MS milliseconds
"""
import http.server
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

lock = threading.Lock()
scrapes = {"metrics": 0, "nginx": 0}
recorded = {}


def metrics_body(n, errors=True):
    # After n scrapes: 100 requests per scrape, 5 of them 503; latencies spread over buckets.
    ok, err = 95 * n, 5 * n
    bounds = ["0.05", "0.1", "0.25", "0.5", "1.0", "+Inf"]
    per_scrape = [40, 30, 20, 8, 2, 0]
    lines = [
        "# HELP http_requests_total Requests served, by status code.",
        "# TYPE http_requests_total counter",
        f'http_requests_total{{code="200",path="/buy"}} {ok}',
    ] + ([f'http_requests_total{{code="503",path="/buy"}} {err}'] if errors else []) + [
        "# TYPE http_request_duration_seconds histogram",
    ]
    cumulative = 0
    for bound, count in zip(bounds, per_scrape):
        cumulative += count
        lines.append(f'http_request_duration_seconds_bucket{{le="{bound}"}} {cumulative * n}')
    lines.append(f"http_request_duration_seconds_count {100 * n}")
    lines.append("# TYPE app_inflight_requests gauge")
    lines.append(f"app_inflight_requests {n % 7}")
    return ("\n".join(lines) + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.strip("/").split("/")
        if parts[0] == "record":
            with lock:
                recorded.setdefault(parts[1], []).append(f"Content-Type: {self.headers.get('Content-Type')}\n".encode() + body)
            self.send(200, b"")
        elif parts[0] == "status":
            self.send(int(parts[1]), b"refused: status " + parts[1].encode() + b"\n")
        elif parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000)
            self.send(200, b"")
        else:
            self.send(404, b"not found\n")

    def do_GET(self):
        target = urllib.parse.urlsplit(self.path)
        if target.path == "/redirect":
            query = urllib.parse.parse_qs(target.query)
            time.sleep(int(query.get("after", ["0"])[0]) / 1000)
            self.redirect(query["to"][0])
            return
        if target.path == "/loop":
            self.redirect("/loop")
            return
        parts = self.path.strip("/").split("/")
        if parts[0] == "health":
            self.send(200, b"ok\n")
        elif parts[0] == "status":
            self.send(int(parts[1]), b"status\n")
        elif parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000)
            self.send(200, b"late\n")
        elif parts[0] == "truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.close_connection = True
        elif parts[0] == "big":
            self.send(200, b"x" * (int(parts[1]) << 20))
        elif parts[0] == "garbage":
            self.send(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>\n", "text/html")
        elif parts[0] == "metrics":
            with lock:
                scrapes["metrics"] += 1
                n = scrapes["metrics"]
            self.send(200, metrics_body(n), "text/plain; version=0.0.4")
        elif parts[0] == "lazy":
            with lock:
                scrapes["metrics"] += 1
                n = scrapes["metrics"]
            self.send(200, metrics_body(n, errors=False), "text/plain; version=0.0.4")
        elif parts[0] == "vhost":
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            self.send(200, b"ok\n") if host == parts[1] else self.send(421, b"misdirected\n")
        elif parts[0] == "auth":
            if self.headers.get("Authorization") != "Bearer " + parts[1]:
                self.send(401, b"unauthorized\n")
                return
            with lock:
                scrapes["metrics"] += 1
                n = scrapes["metrics"]
            self.send(200, metrics_body(n), "text/plain; version=0.0.4")
        elif parts[0] == "recorded":
            with lock:
                posts = list(recorded.get(parts[1], []))
            self.send(200, b"".join(post + b"\n" for post in posts))
        elif parts[0] == "echo-headers":
            self.send(200, "".join(f"{name}: {value}\n" for name, value in self.headers.items()).encode())
        elif parts[0] == "nginx_status":
            with lock:
                scrapes["nginx"] += 1
                n = scrapes["nginx"]
            body = (f"Active connections: {n % 5 + 1} \nserver accepts handled requests\n"
                    f" {10 * n} {10 * n} {50 * n} \nReading: 0 Writing: 1 Waiting: {n % 3} \n")
            self.send(200, body.encode())
        else:
            self.send(404, b"not found\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def finish_request(self, request, client_address):
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                # As Go's servers do, the alert sent, read what the client sends until it closes:
                # closing on its unread request would reset the connection, and a reset drops
                # the alert from the client's receive buffer before curl reads it.
                request.settimeout(2)
                try:
                    while socket.socket.recv(request, 4096):
                        pass
                except OSError:
                    pass
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        # Clients that give up (a timeout, a size cap) close the connection mid-answer: expected.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if len(sys.argv) == 3 and sys.argv[1] == "--unix":
    server = UnixServer(sys.argv[2], Handler)
    print(0, flush=True)
    server.serve_forever()
server = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) >= 3:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    if len(sys.argv) == 4:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(sys.argv[3])
    # The handshake in the request's thread (finish_request), not in accept on the serving one.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
print(server.server_address[1], flush=True)
server.serve_forever()
