#!/usr/bin/env python3
"""CPU of `bbtui repos --json --full` for one or more bbtui binaries, side by side: runs are
interleaved so a noisy machine hurts them alike. Each run is one real process against
`bbtui emulator --repos N --workspaces 5` on loopback, measured with `perf stat` (task-clock: every
thread, the kernel's time included). Prints min and median CPU per repository, and checks that
every binary printed the same JSON.

usage: Benchmarks/listing-cpu.py N RUNS BIN [BIN…]
  ARGS="repos --json"   measure another command (here: the refresh from the last listing)
  BIN:tunable=value     run that binary with GLIBC_TUNABLES=tunable=value
  SIZES=1               print the cache files' sizes at the end
The request ledger is emptied before each run (BBTUI_REQUEST_LIMIT is raised too)."""
import json, os, subprocess, sys, tempfile, shutil, glob, http.client, urllib.parse, statistics
n, runs, bins = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
extra = os.environ.get("ARGS", "repos --json --full").split()
emu = subprocess.Popen([bins[0].split(":")[0], "emulator", "--port", "0", "--repos", str(n), "--workspaces", "5"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
home = tempfile.mkdtemp()
try:
    ep = json.loads(emu.stdout.readline())
    env = {"PATH": os.environ["PATH"], "HOME": home, "BBTUI_HOME": home, "LANG": "C.UTF-8",
           "BITBUCKET_CLIENT_ID": ep["client_id"], "BITBUCKET_CLIENT_SECRET": ep["client_secret"],
           "BBTUI_AUTHORIZE_URL": ep["authorize_url"], "BBTUI_TOKEN_URL": ep["token_url"], "BBTUI_API_URL": ep["api_url"],
           "BBTUI_REQUEST_LIMIT": "1000000"}
    login = subprocess.Popen([bins[0].split(":")[0], "login", "--no-tui"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    u = urllib.parse.urlparse(login.stdout.readline().strip())
    c = http.client.HTTPConnection(u.hostname, u.port); c.request("GET", u.path + "?" + u.query)
    out, err = login.communicate(c.getresponse().getheader("location") + "\n")
    assert login.returncode == 0, err
    runs_env = {}
    for b in bins:
        e = dict(env)
        if "=" in b.split(":")[-1] and ":" in b:
            path, tun = b.split(":", 1)
            e["GLIBC_TUNABLES"] = tun
        runs_env[b] = e
    res = {b: [] for b in bins}
    outputs = {}
    for i in range(runs):
        for b in bins:
            for f in glob.glob(home + "/cache/requests-*.log"): os.remove(f)
            r = subprocess.run(["perf", "stat", "-x", ",", "-e", "task-clock,page-faults", b.split(":")[0]] + extra, env=runs_env[b], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert r.returncode == 0, r.stderr[-500:]
            stats = {}
            for line in r.stderr.decode().splitlines():
                parts = line.split(",")
                if len(parts) > 3:
                    try: stats[parts[2]] = float(parts[0])
                    except ValueError: pass
            res[b].append((stats.get("task-clock", 0), 0, stats.get("page-faults", 0)))
            outputs.setdefault(b, r.stdout)
    for b in bins:
        t = [x[0] for x in res[b]]; pf = [x[2] for x in res[b]]
        print(f"{os.path.basename(b)[:60]:16} cpu min {min(t)/n*1000:5.1f} med {statistics.median(t)/n*1000:5.1f} us/repo   faults {statistics.median(pf):.0f}")
    base = outputs[bins[0]]
    for b in bins[1:]: print(os.path.basename(b), "output identical" if outputs[b] == base else "OUTPUT DIFFERS")
    if os.environ.get("SIZES"):
        for f in sorted(glob.glob(home + "/cache/*")): print(os.path.basename(f), os.path.getsize(f))
finally:
    emu.terminate(); emu.wait(); shutil.rmtree(home, ignore_errors=True)
