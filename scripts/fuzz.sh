#!/usr/bin/env bash
# Builds and runs bbtui's libFuzzer targets (with AddressSanitizer) for a set time each.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET …]
# Targets: keydecoder textfield sanitizer paste models repoparser git keys (default: all, 60 s each).
# The committed seeds are in Fuzz/Corpus/<target>; what the fuzzer finds goes to a scratch
# corpus under .build-fuzz/, and a crash leaves its input in .build-fuzz/<target>/ (exit non-zero).
# Not part of `swift test`: run it by hand, and record what you ran in docs/TESTING.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(keydecoder textfield sanitizer paste models repoparser git keys)

ui=$(find Sources/TerminalUI -name '*.swift' | sort)
kit=(Sources/BitbucketKit/API/RawModels.swift Sources/BitbucketKit/API/Models.swift Sources/BitbucketKit/API/APIError.swift
     Sources/BitbucketKit/HTTP/HTTPTransport.swift Sources/BitbucketKit/OAuth/Token.swift Sources/BitbucketKit/OAuth/OAuthError.swift
     Sources/BitbucketKit/OAuth/OAuthConfiguration.swift Sources/BitbucketKit/OAuth/PastedAuthorization.swift
     Sources/BitbucketKit/OAuth/RedirectVerdict.swift Sources/BitbucketKit/Support/Format.swift)

mkdir -p .build-fuzz
status=0
for target in "${targets[@]}"; do
  case "$target" in
    keydecoder) sources=($ui Fuzz/Targets/KeyDecoderFuzz.swift) ;;
    textfield) sources=($ui Fuzz/Targets/TextFieldFuzz.swift) ;;
    sanitizer) sources=($ui Fuzz/Targets/SanitizerFuzz.swift) ;;
    paste) sources=("${kit[@]}" Fuzz/Targets/PasteFuzz.swift) ;;
    models) sources=("${kit[@]}" Fuzz/Targets/ModelsFuzz.swift) ;;
    repoparser) sources=("${kit[@]}" Sources/BitbucketKit/Listing/RepositoryPageParser.swift Sources/BitbucketKit/Listing/RepositorySnapshot+Binary.swift
                         Sources/BitbucketKit/Store/CacheBlob.swift Fuzz/Targets/RepositoryParserFuzz.swift) ;;
    git) sources=("${kit[@]}" Sources/BitbucketKit/Git/GitCredential.swift Sources/BitbucketKit/Git/ClonePlan.swift
                  Sources/BitbucketKit/Git/Cloner.swift Sources/BitbucketKit/Support/SpawnAttributes.swift
                  Fuzz/Targets/GitFuzz.swift) ;;
    keys) sources=($ui Sources/BitbucketKit/Configuration/ConfigTables.swift Sources/BitbucketKit/Support/EditDistance.swift
                   Fuzz/Targets/KeysFuzz.swift) ;;
    *) echo "unknown target: $target" >&2; exit 64 ;;
  esac
  binary=.build-fuzz/$target/fuzz
  mkdir -p ".build-fuzz/$target/corpus"
  echo "== $target: building"
  if ! swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name "Fuzz_$target" "${sources[@]}" -o "$binary" > ".build-fuzz/$target/build.log" 2>&1; then
    grep -v 'Cannot export local symbol' ".build-fuzz/$target/build.log" >&2
    exit 1
  fi
  echo "== $target: fuzzing for $seconds s"
  if ! (cd ".build-fuzz/$target" && ./fuzz -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 corpus "../../Fuzz/Corpus/$target" 2>&1 | tail -n 12); then
    status=1
  fi
done
exit $status
