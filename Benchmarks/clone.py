#!/usr/bin/env python3
"""Wall time of cloning 20 small repositories with `bbtui clone --workspace`, a few at once (the
bound the list's `c` uses) against one after another, side by side: runs are interleaved so a
noisy machine hurts them alike. The emulator serves git over loopback with LATENCY ms added to
every request (default 50, a near Bitbucket); each run clones into a fresh directory, and every
run must clone all 20 (exit 0, 20 working trees).

usage: Benchmarks/clone.py BIN [RUNS] [JOBS…]   (default: 5 runs, jobs 1 and 4)"""
import json, os, subprocess, sys, tempfile, shutil, time, http.client, urllib.parse, statistics

binary = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
jobs = [int(j) for j in sys.argv[3:]] or [1, 4]
latency = os.environ.get("LATENCY", "50")
# Two workspaces: the personal one gets every tenth repository, acme-platform the other 20.
emu = subprocess.Popen([binary, "emulator", "--port", "0", "--repos", "23", "--workspaces", "2", "--latency", latency],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
home = tempfile.mkdtemp()
os.chmod(home, 0o700)
try:
    ep = json.loads(emu.stdout.readline())
    env = {"PATH": os.environ["PATH"], "HOME": home, "BBTUI_HOME": home, "LANG": "C.UTF-8",
           "BITBUCKET_CLIENT_ID": ep["client_id"], "BITBUCKET_CLIENT_SECRET": ep["client_secret"],
           "BBTUI_AUTHORIZE_URL": ep["authorize_url"], "BBTUI_TOKEN_URL": ep["token_url"], "BBTUI_API_URL": ep["api_url"],
           "BBTUI_REQUEST_LIMIT": "1000000", "BBTUI_CLONE_PROTOCOL": "https"}
    login = subprocess.Popen([binary, "login", "--no-tui"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    u = urllib.parse.urlparse(login.stdout.readline().strip())
    c = http.client.HTTPConnection(u.hostname, u.port); c.request("GET", u.path + "?" + u.query)
    out, err = login.communicate(c.getresponse().getheader("location") + "\n")
    assert login.returncode == 0, err
    times = {j: [] for j in jobs}
    for i in range(runs + 1):
        for j in jobs:
            target = tempfile.mkdtemp(dir=home)
            e = dict(env, BBTUI_CLONE_DIR=target + "/{slug}")
            start = time.monotonic()
            r = subprocess.run([binary, "clone", "--workspace", "acme-platform", "--jobs", str(j)], env=e,
                               capture_output=True, text=True)
            elapsed = time.monotonic() - start
            cloned = [d for d in os.listdir(target) if os.path.isdir(os.path.join(target, d, ".git"))]
            assert r.returncode == 0 and len(cloned) == 20, (r.returncode, len(cloned), r.stderr[-500:])
            if i > 0:  # the first round makes the emulator's repositories: not measured
                times[j].append(elapsed)
            shutil.rmtree(target)
    base = statistics.median(times[jobs[0]])
    for j in jobs:
        m = statistics.median(times[j])
        print(f"--jobs {j}: min {min(times[j]):.2f} s, median {m:.2f} s, {base / m:.2f}x of --jobs {jobs[0]}")
finally:
    emu.terminate(); emu.wait()
    shutil.rmtree(home, ignore_errors=True)
