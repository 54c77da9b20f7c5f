#!/usr/bin/env python3
"""Signals during token refreshes: how many sessions are lost.

Runs `bbtui whoami` against `bbtui emulator --token-ttl 1` (every run refreshes, and Bitbucket's
rotating refresh tokens are replaced each time), sends it a signal at a random moment of its
run, then runs `bbtui whoami` again: a session is lost when that one says to log in again.

    Benchmarks/signal-refresh.py [--binary .build/debug/bbtui] [--runs 200] [--kill-grace0-runs 100]

Prints one line per series and exits 1 if a series that must lose nothing lost a session, or a
loss at grace 0 after SIGKILL is not explained by its message ("was interrupted").
"""
import argparse, json, os, random, shutil, signal, statistics, subprocess, sys, tempfile, time
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def approve(url):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(url)
    except urllib.error.HTTPError as error:
        return error.headers["Location"]
    raise RuntimeError("the emulator did not redirect")


class Emulator:
    def __init__(self, binary, grace):
        self.process = subprocess.Popen(
            [binary, "emulator", "--port", "0", "--token-ttl", "1", "--refresh-grace", str(grace)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.endpoints = json.loads(self.process.stdout.readline())

    def environment(self, home):
        e = self.endpoints
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "BBTUI_HOME": home, "LANG": "C.UTF-8",
            "BITBUCKET_CLIENT_ID": e["client_id"], "BITBUCKET_CLIENT_SECRET": e["client_secret"],
            "BBTUI_AUTHORIZE_URL": e["authorize_url"], "BBTUI_TOKEN_URL": e["token_url"],
            "BBTUI_API_URL": e["api_url"],
        }

    def stop(self):
        self.process.terminate()
        self.process.wait()


def login(binary, environment):
    process = subprocess.Popen([binary, "login", "--no-tui"], env=environment, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    process.stdin.write(approve(url) + "\n")
    process.stdin.close()
    process.wait(timeout=60)
    if process.returncode != 0:
        raise RuntimeError("login failed: " + process.stderr.read())


def whoami(binary, environment):
    return subprocess.run([binary, "whoami"], env=environment, capture_output=True, text=True, timeout=60)


def series(binary, grace, signum, runs, seed):
    rng = random.Random(seed)
    home = tempfile.mkdtemp(prefix="bbtui-signal-")
    emulator = Emulator(binary, grace)
    environment = emulator.environment(home)
    try:
        login(binary, environment)
        # How long a run takes here, so the signal lands anywhere in it.
        durations = []
        for _ in range(5):
            start = time.monotonic()
            whoami(binary, environment)
            durations.append(time.monotonic() - start)
        span = statistics.median(durations) * 1.2
        lost, explained, statuses, signalled = 0, 0, {}, 0
        for _ in range(runs):
            process = subprocess.Popen([binary, "whoami"], env=environment, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, span))
            if process.poll() is None:
                process.send_signal(signum)
                signalled += 1
            status = process.wait(timeout=60)
            statuses[status] = statuses.get(status, 0) + 1
            check = whoami(binary, environment)
            if check.returncode != 0:
                lost += 1
                if "was interrupted" in check.stderr:
                    explained += 1
                else:
                    print("  unexplained loss:", check.stderr.strip()[:300], file=sys.stderr)
                login(binary, environment)
        return {"signalled": signalled, "lost": lost, "explained": explained, "statuses": statuses,
                "run_ms": round(span / 1.2 * 1000)}
    finally:
        emulator.stop()
        shutil.rmtree(home, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/bbtui")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--kill-grace0-runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    failed = False
    plan = [("SIGHUP", 0, signal.SIGHUP, args.runs), ("SIGTERM", 0, signal.SIGTERM, args.runs),
            ("SIGINT", 0, signal.SIGINT, args.runs), ("SIGKILL", 600, signal.SIGKILL, args.runs),
            ("SIGKILL", 0, signal.SIGKILL, args.kill_grace0_runs)]
    for index, (name, grace, signum, runs) in enumerate(plan):
        result = series(args.binary, grace, signum, runs, args.seed + index)
        must_keep = not (signum == signal.SIGKILL and grace == 0)
        print(f"{name} grace {grace}: {runs} runs, {result['signalled']} signalled while running, "
              f"{result['lost']} sessions lost ({result['explained']} explained), exit statuses {result['statuses']}, "
              f"a run takes ~{result['run_ms']} ms", flush=True)
        if must_keep and result["lost"]:
            failed = True
        if result["lost"] != result["explained"]:
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
