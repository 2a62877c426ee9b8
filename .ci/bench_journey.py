#!/usr/bin/env python3
"""The OAT submission journey under load, on 127.0.0.1 only, bounded in time.

N concurrent users work through the organisations seeded by `portal-tools bench-seed` (each has its
own service manager and vouching scheme): sign in as that organisation's manager, then the whole
journey: overview, start page, the question pages and answers, the connection date, check
answers, send, and the confirmation page. Every request's
latency is recorded (sign-in excluded: it is an argon2 hash, measured separately).
Standard library only.

Each user is its own process: with threads, every response would also wait for Python's global
interpreter lock (up to its 5 ms switch interval, behind 31 other users), and that wait would be
counted as the portal's latency.
"""
import argparse
import datetime
import http.client
import http.cookies
import re
import statistics
import sys
import multiprocessing
import time
import urllib.parse


class Client:
    def __init__(self, host, port):
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookie = None

    def request(self, method, path, form=None):
        headers = {"Accept": "text/html"}
        body = None
        if self.cookie:
            headers["Cookie"] = self.cookie
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Sec-Fetch-Site"] = "same-origin"
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        elapsed = (time.perf_counter() - started) * 1000
        for value in resp.headers.get_all("Set-Cookie") or []:
            morsel = value.split(";", 1)[0]
            if "portal_session=" in morsel:
                self.cookie = morsel
        return resp.status, resp.headers.get("Location", ""), data, elapsed


def journey(args, c, results_local):
    """One whole journey for the signed-in manager's vouching scheme. Returns True when sent."""
    latencies, errors = results_local["latencies"], results_local["errors"]
    status, _, body, ms = c.request("GET", "/organisation")
    latencies.append(ms)
    m = re.search(rb'href="/oat/(\d+)"', body)
    if status != 200 or not m:
        errors.append(f"overview: {status}, no scheme to request")
        return False
    scheme = int(m.group(1))
    date = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    steps = [
        ("GET", f"/oat/{scheme}", None, 200),
        ("GET", f"/oat/{scheme}/crypto-deployed", None, 200),
        ("POST", "/api/oat/answer", {"scheme": scheme, "question": "crypto-deployed", "answer": "yes"}, 302),
        ("GET", f"/oat/{scheme}/connection-ready", None, 200),
        ("POST", "/api/oat/answer", {"scheme": scheme, "question": "connection-ready", "answer": "yes"}, 302),
        ("GET", f"/oat/{scheme}/ready-for-live", None, 200),
        ("POST", "/api/oat/answer", {"scheme": scheme, "question": "ready-for-live", "answer": "yes"}, 302),
        ("GET", f"/oat/{scheme}/connection-date", None, 200),
        ("POST", "/api/oat/connection-date", {"scheme": scheme, "connection_date": date}, 302),
        ("GET", f"/oat/{scheme}/check-answers", None, 200),
    ]
    key = None
    for method, path, form, expect in steps:
        status, _, body, ms = c.request(method, path, form)
        latencies.append(ms)
        if status != expect:
            errors.append(f"{method} {path}: {status}")
            return False
        if path.endswith("/check-answers"):
            m = re.search(rb'name="submission_key" value="([^"]+)"', body)
            key = m.group(1).decode() if m else None
    if not key:
        errors.append("check answers: no submission key")
        return False
    status, location, _, ms = c.request("POST", "/api/oat/send", {"scheme": scheme, "submission_key": key})
    latencies.append(ms)
    if status != 302 or not location.endswith("/sent"):
        errors.append(f"send: {status} {location}")
        return False
    status, _, _, ms = c.request("GET", location)
    latencies.append(ms)
    if status != 200:
        errors.append(f"confirmation: {status}")
        return False
    return True


def user_loop(job):
    """User n works through organisations n, n+users, n+2*users, ... (each its own manager and
    vouching scheme) until time or organisations run out. Sign-ins are not measured. Runs in its
    own process; returns its latencies, journeys and errors."""
    args, n, deadline = job
    local = {"latencies": [], "errors": []}
    journeys = 0
    org = n
    while time.time() < deadline and org <= args.organisations:
        c = Client(args.host, args.port)
        status, location, _, _ = c.request("POST", "/api/auth/sign-in", {
            "email": f"bench-manager-{org}@bench.example", "password": args.password, "next": ""})
        if status != 302 or location != "/organisation":
            local["errors"].append(f"organisation {org}: sign-in gave {status} {location}")
        elif journey(args, c, local):
            journeys += 1
        org += args.users
    return local["latencies"], journeys, local["errors"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--organisations", type=int, default=640)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--password", required=True)
    p.add_argument("--label", default="")
    args = p.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load tests only ever target this machine")
    results = {"latencies": [], "journeys": 0, "errors": []}
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(args.users) as pool:
        started = time.time()
        deadline = started + args.seconds
        jobs = [(args, n, deadline) for n in range(1, args.users + 1)]
        for latencies, journeys, errors in pool.imap_unordered(user_loop, jobs):
            results["latencies"].extend(latencies)
            results["journeys"] += journeys
            results["errors"].extend(errors)
        elapsed = time.time() - started
    lat = sorted(results["latencies"])
    if not lat:
        sys.exit(f"no requests measured: {results['errors'][:5]}")
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"| journey {args.label:<26} | {len(lat) / elapsed:9.0f} | {p50:8.2f} | {p99:8.2f} | "
          f"{len(results['errors'])} errors, {results['journeys']} journeys by {args.users} users |")
    for e in results["errors"][:5]:
        print(f"  error: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
