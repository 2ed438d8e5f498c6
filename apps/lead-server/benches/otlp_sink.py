"""A stand-in OTLP/HTTP collector for benchmarks: accepts every POST (e.g. /v1/traces), answers
200, and keeps a count of batches and bytes received in the file given as second argument."""

import http.server
import sys
import threading

PORT = int(sys.argv[1])
COUNTS = sys.argv[2]
lock = threading.Lock()
batches = 0
received = 0


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global batches, received
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        with lock:
            batches += 1
            received += length
            with open(COUNTS, "w") as f:
                f.write(f"{batches} {received}\n")
        self.send_response(200)
        self.send_header("content-type", self.headers.get("content-type", "application/x-protobuf"))
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Sink).serve_forever()
