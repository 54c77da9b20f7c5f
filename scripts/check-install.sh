#!/usr/bin/env bash
# Proves the installed binary is self-contained: installs into a temporary prefix, then runs it
# with an empty environment (no Swift toolchain on PATH, no LD_LIBRARY_PATH): --version, the
# emulator, a login --no-tui against it and a whoami; then uninstalls and checks nothing is left.
#   scripts/check-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
prefix=$work/prefix
emulator_pid=
cleanup() {
  [[ -n $emulator_pid ]] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

scripts/install.sh "$prefix"
bbtui=$prefix/bin/bbtui
clean_env=(env -i PATH=/usr/bin:/bin HOME="$work/home" BBTUI_HOME="$work/home" LANG=C.UTF-8)
mkdir -m 700 "$work/home"

echo "== ldd"
ldd "$bbtui"
echo "== --version"
version=$("${clean_env[@]}" "$bbtui" --version)
echo "$version"
[[ $version =~ ^0\.[0-9]+\.[0-9]+\ \(commit\ [0-9a-f]{7,}(-modified)?\)$ ]] || { echo "unexpected version line" >&2; exit 1; }

echo "== emulator"
mkfifo "$work/emulator.out"
"${clean_env[@]}" "$bbtui" emulator --port 0 >"$work/emulator.out" 2>/dev/null &
emulator_pid=$!
exec {emulator_out}<"$work/emulator.out"
read -r -t 30 endpoints <&"$emulator_out"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$endpoints" "$1"; }
login_env=("${clean_env[@]}" BITBUCKET_CLIENT_ID="$(field client_id)" BITBUCKET_CLIENT_SECRET="$(field client_secret)"
  BBTUI_AUTHORIZE_URL="$(field authorize_url)" BBTUI_TOKEN_URL="$(field token_url)" BBTUI_API_URL="$(field api_url)")

echo "== login --no-tui"
coproc LOGIN { "${login_env[@]}" "$bbtui" login --no-tui 2>"$work/login.err"; }
read -r url <&"${LOGIN[0]}"
location=$(curl -sI "$url" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
echo "$location" >&"${LOGIN[1]}"
exec {LOGIN[1]}>&-
wait "$LOGIN_PID"
cat "$work/login.err"
grep -q "Logged in as" "$work/login.err"

echo "== whoami"
"${login_env[@]}" "$bbtui" whoami | head -n 3

echo "== completions (bash)"
complete_words() {
  "${login_env[@]}" PATH="$prefix/bin:/usr/bin:/bin" bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _bbtui "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; printf "%s\n" "${COMPREPLY[@]}"' _ "$prefix/share/bash-completion/completions/bbtui" "$@"
}
complete_words bbtui help lo | sort | tr '\n' ' ' | grep -q "login logout" || { echo "help does not complete command names" >&2; exit 1; }
complete_words bbtui switch z | grep -qx zoe || { echo "switch does not complete account names" >&2; exit 1; }
echo "help and switch complete."

echo "== uninstall"
scripts/install.sh --uninstall "$prefix"
left=$(find "$prefix" -type f)
[[ -z $left ]] || { echo "left behind: $left" >&2; exit 1; }
echo "The installed binary works with no Swift toolchain, and uninstalling leaves nothing."
