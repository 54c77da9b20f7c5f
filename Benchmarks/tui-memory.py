#!/usr/bin/env python3
"""RSS of the real TUI (in tmux, 160×40) once it shows N repositories from `bbtui emulator`,
and its peak (VmHWM) so far. usage: Benchmarks/tui-memory.py BIN N
BBTUI_REQUEST_LIMIT is raised to 5000: 100,000 repositories take 1,000 requests."""
import json, os, subprocess, sys, tempfile, shutil, http.client, urllib.parse, time, re
bin_, n = sys.argv[1], int(sys.argv[2])
emu = subprocess.Popen([bin_, "emulator", "--port", "0", "--repos", str(n), "--workspaces", "6"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
home = tempfile.mkdtemp(); sock = home + "/tmux.sock"
try:
    ep = json.loads(emu.stdout.readline())
    env = {"PATH": os.environ["PATH"], "HOME": home, "BBTUI_HOME": home, "LANG": "C.UTF-8", "TERM": "xterm-256color",
           "BITBUCKET_CLIENT_ID": ep["client_id"], "BITBUCKET_CLIENT_SECRET": ep["client_secret"],
           "BBTUI_AUTHORIZE_URL": ep["authorize_url"], "BBTUI_TOKEN_URL": ep["token_url"], "BBTUI_API_URL": ep["api_url"],
           "BBTUI_REQUEST_LIMIT": "5000"}
    login = subprocess.Popen([bin_, "login", "--no-tui"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    u = urllib.parse.urlparse(login.stdout.readline().strip())
    c = http.client.HTTPConnection(u.hostname, u.port); c.request("GET", u.path + "?" + u.query)
    out, err = login.communicate(c.getresponse().getheader("location") + "\n"); assert login.returncode == 0, err
    envs = sum([["-e", f"{k}={v}"] for k, v in env.items()], [])
    subprocess.run(["tmux", "-S", sock, "new-session", "-d", "-x", "160", "-y", "40"] + envs + [bin_], check=True, env=env)
    pid = int(subprocess.run(["tmux", "-S", sock, "list-panes", "-F", "#{pane_pid}"], capture_output=True, text=True).stdout.split()[0])
    deadline = time.time() + 300; screen = ""
    while time.time() < deadline:
        screen = subprocess.run(["tmux", "-S", sock, "capture-pane", "-p"], capture_output=True, text=True).stdout
        if ("Repositories · %d " % n) in screen: break
        time.sleep(0.5)
    time.sleep(2)
    status = open(f"/proc/{pid}/status").read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024; hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) // 1024
    print(f"RSS {rss} MiB, peak {hwm} MiB")
    print("\n".join(screen.splitlines()[:3]))
finally:
    subprocess.run(["tmux", "-S", sock, "kill-server"], stderr=subprocess.DEVNULL)
    emu.terminate(); emu.wait(); shutil.rmtree(home, ignore_errors=True)
