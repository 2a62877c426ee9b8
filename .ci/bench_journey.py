#!/usr/bin/env python3
"""The OAT submission journey under load, on 127.0.0.1 only, bounded in time.

Each of N users (a service manager of their own organisation, seeded by `portal bench-seed`)
signs in once, then repeats the whole journey on its schemes: the question pages, the three
answers, the connection date, check answers, send, and the confirmation page. Every request's
latency is recorded (sign-in excluded: it is an argon2 hash, measured separately).
Standard library only.
"""
import argparse
import datetime
import http.client
import http.cookies
import re
import statistics
import sys
import threading
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


def user_loop(args, n, deadline, results, lock):
    c = Client(args.host, args.port)
    status, location, _, _ = c.request("POST", "/api/auth/sign-in", {
        "email": f"bench-manager-{n}@bench.example", "password": args.password, "next": ""})
    if status != 302 or location != "/organisation":
        with lock:
            results["errors"].append(f"user {n}: sign-in gave {status} {location}")
        return
    status, _, body, ms = c.request("GET", "/organisation")
    scheme_ids = sorted(set(int(x) for x in re.findall(rb'href="/oat/(\d+)"', body)))
    # Only the vouching scheme is offered on the overview; the others are reached by address.
    first = scheme_ids[0] if scheme_ids else None
    if first is None:
        with lock:
            results["errors"].append(f"user {n}: no scheme on the overview")
        return
    date = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    latencies, journeys, errors = [], 0, []
    scheme = first
    while time.time() < deadline and scheme < first + args.schemes:
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
        ok = True
        key = None
        for method, path, form, expect in steps:
            status, _, body, ms = c.request(method, path, form)
            latencies.append(ms)
            if status != expect:
                errors.append(f"{method} {path}: {status}")
                ok = False
                break
            if path.endswith("/check-answers"):
                m = re.search(rb'name="submission_key" value="([^"]+)"', body)
                key = m.group(1).decode() if m else None
        if ok and key:
            status, location, _, ms = c.request("POST", "/api/oat/send", {"scheme": scheme, "submission_key": key})
            latencies.append(ms)
            if status == 302 and location.endswith("/sent"):
                status, _, _, ms = c.request("GET", location)
                latencies.append(ms)
                journeys += 1 if status == 200 else 0
            else:
                errors.append(f"send: {status} {location}")
        scheme += 1
    with lock:
        results["latencies"].extend(latencies)
        results["journeys"] += journeys
        results["errors"].extend(errors)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--schemes", type=int, default=50)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--password", required=True)
    p.add_argument("--label", default="")
    args = p.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load tests only ever target this machine")
    results = {"latencies": [], "journeys": 0, "errors": []}
    lock = threading.Lock()
    started = time.time()
    deadline = started + args.seconds
    threads = [threading.Thread(target=user_loop, args=(args, n, deadline, results, lock)) for n in range(1, args.users + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    lat = sorted(results["latencies"])
    if not lat:
        sys.exit(f"no requests measured: {results['errors'][:5]}")
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"| journey {args.label:<26} | {len(lat) / elapsed:9.0f} | {p50:8.2f} | {p99:8.2f} | "
          f"{len(results['errors'])} errors, {results['journeys']} requests sent by {args.users} users |")
    for e in results["errors"][:5]:
        print(f"  error: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
