#!/usr/bin/env bash
# Builds bbtui as a self-contained binary and installs it, its man page and its completions.
#
#   scripts/install.sh [PREFIX]              build and install (PREFIX defaults to ~/.local)
#   scripts/install.sh --uninstall [PREFIX]  remove exactly what an install put there
#
# The binary links the Swift runtime and Foundation statically (--static-swift-stdlib) and is
# stripped: it runs on a Debian or Ubuntu machine with no Swift installed, needing only system
# libraries every such machine has or gets with one apt-get: glibc, libstdc++, zlib, ncursesw and
# sqlite3 (apt-get install libncursesw6 libsqlite3-0). Build it once here and copy
# PREFIX/bin/bbtui to a server, or run this script on the server if it has a toolchain.
# No root needed. Installs:
#   PREFIX/bin/bbtui
#   PREFIX/share/man/man1/bbtui.1
#   PREFIX/share/bash-completion/completions/bbtui
#   PREFIX/share/zsh/site-functions/_bbtui
#   PREFIX/share/fish/vendor_completions.d/bbtui.fish
# and a list of those files in PREFIX/share/bbtui/installed-files, which --uninstall reads.
set -euo pipefail
cd "$(dirname "$0")/.."

uninstall=0
if [[ ${1:-} == --uninstall ]]; then
  uninstall=1
  shift
fi
prefix=${1:-$HOME/.local}
manifest=$prefix/share/bbtui/installed-files

if ((uninstall)); then
  if [[ ! -f $manifest ]]; then
    echo "Nothing to uninstall: $manifest is missing." >&2
    exit 1
  fi
  while IFS= read -r file; do
    [[ -n $file ]] || continue
    rm -f -- "$file" && echo "removed $file"
  done <"$manifest"
  rm -f -- "$manifest"
  rmdir -- "$prefix/share/bbtui" 2>/dev/null || true
  echo "bbtui is uninstalled from $prefix (your accounts in ~/.config/bbtui are kept)."
  exit 0
fi

scratch=.build-static
# Record the commit in the binary (`bbtui --version`), then put the source file back.
info=Sources/bbtui/BuildInfo.swift
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then commit+="-modified"; fi
backup=$(mktemp)
cp "$info" "$backup"
trap 'cp "$backup" "$info"; rm -f "$backup"' EXIT
sed -i "s/static let commit: String? = nil/static let commit: String? = \"$commit\"/" "$info"

echo "Building bbtui $commit (release, Swift runtime linked in); a cold build takes a while…"
started=$(date +%s)
swift build -c release --static-swift-stdlib --product bbtui --scratch-path "$scratch"
echo "Built in $(($(date +%s) - started)) s."
binary=$(swift build -c release --static-swift-stdlib --product bbtui --scratch-path "$scratch" --show-bin-path)/bbtui

# Self-contained means no Swift library at run time.
if ldd "$binary" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|lib_FoundationICU' >&2; then
  echo "The binary still needs the Swift libraries above; not installing." >&2
  exit 1
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"; cp "$backup" "$info"; rm -f "$backup"' EXIT
cp "$binary" "$staging/bbtui"
strip "$staging/bbtui"
"$staging/bbtui" --generate-completion-script bash >"$staging/bbtui.bash"
"$staging/bbtui" --generate-completion-script zsh >"$staging/_bbtui"
"$staging/bbtui" --generate-completion-script fish >"$staging/bbtui.fish"
# ArgumentParser completes nothing after `bbtui help`: teach each shell the command names.
# (Account names for `switch` and workspace slugs for `repos --workspace` come from bbtui itself,
# read from the local store and cache.)
commands=$("$staging/bbtui" --help | sed -n '/^SUBCOMMANDS:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | tr '\n' ' ')
cat >>"$staging/bbtui.bash" <<EOS

_bbtui_help() { COMPREPLY+=(\$(compgen -W "$commands" -- "\${COMP_WORDS[COMP_CWORD]}")); }
EOS
sed -i "/^_bbtui_help() {/,/^}/ s/'\*:subcommands:'/'*:subcommands:($commands)'/" "$staging/_bbtui"
echo "complete -c bbtui -n '__fish_seen_subcommand_from help' -f -a '$commands'" >>"$staging/bbtui.fish"

files=(
  "$prefix/bin/bbtui"
  "$prefix/share/man/man1/bbtui.1"
  "$prefix/share/bash-completion/completions/bbtui"
  "$prefix/share/zsh/site-functions/_bbtui"
  "$prefix/share/fish/vendor_completions.d/bbtui.fish"
)
sources=("$staging/bbtui" Resources/bbtui.1 "$staging/bbtui.bash" "$staging/_bbtui" "$staging/bbtui.fish")
modes=(755 644 644 644 644)
mkdir -p "$prefix/share/bbtui"
: >"$manifest"
for i in "${!files[@]}"; do
  install -D -m "${modes[$i]}" "${sources[$i]}" "${files[$i]}"
  echo "${files[$i]}" >>"$manifest"
  echo "installed ${files[$i]}"
done

echo
echo "bbtui $("$prefix/bin/bbtui" --version) is installed ($(du -h "$prefix/bin/bbtui" | cut -f1) binary)."
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "Add $prefix/bin to your PATH (e.g. in ~/.profile: export PATH=\"$prefix/bin:\$PATH\")." ;;
esac
echo "Man page: MANPATH may need $prefix/share/man. zsh: add $prefix/share/zsh/site-functions to fpath."
echo "Uninstall: scripts/install.sh --uninstall $prefix"
