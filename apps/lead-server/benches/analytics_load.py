#!/usr/bin/env python3
"""Load generator for /app/analytics: signs in to the sales inbox, then requests the report for
the last 365 days from CONCURRENCY threads for REQUESTS requests and prints p50/p90/p99/max."""
import http.client
import os
import re
import statistics
import sys
import threading
import time
import urllib.parse

PORT = int(os.environ.get("BENCH_PORT", "18081"))
EMAIL = os.environ["BENCH_EMAIL"]
PASSWORD = os.environ["BENCH_PASSWORD"]
REQUESTS = int(os.environ.get("REQUESTS", "200"))
CONCURRENCY = int(os.environ.get("CONCURRENCY", "1"))
PATH = os.environ.get("BENCH_PATH", "/app/analytics?group_by=week")


def sign_in():
    c = http.client.HTTPConnection("127.0.0.1", PORT)
    c.request("GET", "/app/login")
    r = c.getresponse()
    body = r.read().decode()
    login = re.search(r"lead_login_csrf=([^;]+)", r.getheader("Set-Cookie") or "").group(1)
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD, "csrf": csrf})
    c.request("POST", "/app/login", form, {"Content-Type": "application/x-www-form-urlencoded",
                                           "Cookie": f"lead_login_csrf={login}"})
    r = c.getresponse()
    r.read()
    cookies = r.getheaders()
    session = next(re.search(r"lead_session=([^;]+)", v).group(1)
                   for k, v in cookies if k.lower() == "set-cookie" and "lead_session=" in v)
    return f"lead_session={session}"


def worker(cookie, n, out):
    c = http.client.HTTPConnection("127.0.0.1", PORT)
    for _ in range(n):
        start = time.perf_counter()
        c.request("GET", PATH, headers={"Cookie": cookie})
        r = c.getresponse()
        r.read()
        out.append((time.perf_counter() - start) * 1000)
        if r.status != 200:
            print("status", r.status, file=sys.stderr)
            sys.exit(1)


def main():
    cookie = sign_in()
    warm = []
    worker(cookie, 5, warm)
    times = []
    threads = [threading.Thread(target=worker, args=(cookie, REQUESTS // CONCURRENCY, times))
               for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    times.sort()
    q = lambda p: times[max(0, min(len(times) - 1, int(-(-p * len(times) // 100)) - 1))]
    print(f"{PATH} c{CONCURRENCY}: {len(times)} requests, {len(times) / elapsed:.1f} req/s, "
          f"p50 {q(50):.0f} ms, p90 {q(90):.0f} ms, p99 {q(99):.0f} ms, max {times[-1]:.0f} ms, "
          f"mean {statistics.mean(times):.0f} ms")


main()
