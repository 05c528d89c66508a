#!/usr/bin/env bash
# Runs the test suite against the native core built with AddressSanitizer and
# UndefinedBehaviorSanitizer, then a valgrind pass over a smaller set.
#
#   npm run sanitize               # ASan+UBSan on every test, then valgrind
#   npm run sanitize -- asan       # only the sanitizer pass
#   npm run sanitize -- valgrind   # only valgrind
#   npm run sanitize -- asan pipe-basic   # filters as for npm test
#
# Node itself is not instrumented, so the sanitizer runtime is preloaded and
# leak detection is left to valgrind (Node keeps memory alive until exit by
# design). Any report fails the run.
set -euo pipefail
shopt -s inherit_errexit
# npm gives scripts its node-gyp and its configuration (e.g. nodedir).
if [[ -z ${npm_lifecycle_event:-} ]]; then exec npm run sanitize -- "$@"; fi

root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/.sanitize"
what=${1:-all}
shift || true

build() { # $1: name, $2: extra cflags
  local dir="$work/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  cp -r "$root/binding.gyp" "$root/native" "$dir/"
  echo '{"name":"ipckit-sanitize","version":"0.0.0"}' >"$dir/package.json"
  (cd "$dir" && CFLAGS="$2" CXXFLAGS="$2" LDFLAGS="$3" node-gyp rebuild --debug >"$work/build-$1.log" 2>&1)
  echo "$dir/build/Debug/ipckit.node"
}

cd "$root"
npm run build:test --silent

if [[ $what == all || $what == asan ]]; then
  lib=$(build asan "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" "-fsanitize=address,undefined")
  asan=$(gcc -print-file-name=libasan.so)
  ubsan=$(gcc -print-file-name=libubsan.so)
  log="$work/asan.log"
  echo "ASan+UBSan: $lib"
  IPCKIT_NATIVE="$lib" IPCKIT_TIME_SCALE=5 IPCKIT_MEM_SCALE=16 LD_PRELOAD="$asan:$ubsan" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$work/asan-report" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$work/ubsan-report" \
    node scripts/run-tests.mjs "$@" 2>&1 | tee "$log" | grep -E '^ℹ (tests|pass|fail)|✖' || true
  if ls "$work"/asan-report* "$work"/ubsan-report* >/dev/null 2>&1; then
    echo "sanitizer reports:"; cat "$work"/asan-report* "$work"/ubsan-report* 2>/dev/null | head -80
    exit 1
  fi
  grep -q '^ℹ fail 0' "$log" || { echo "tests failed under the sanitizers (see $log)"; exit 1; }
  echo "ASan+UBSan: 0 reports"
fi

if [[ $what == all || $what == valgrind ]]; then
  command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
  lib=$(build valgrind "-O0 -g" "")
  out="$work/valgrind.txt"
  # Test files run in-process (node file.test.js), one valgrind each; the
  # children they spawn run the normal build untraced. (Not signal-realtime:
  # valgrind keeps the highest realtime signal for itself.)
  for f in pipe/pipe-basic pipe/pipe-closed pipe/pipe-eof pipe/pipe-fault uds/read-sizes uds/uds-fds signal/signal-basic; do
    IPCKIT_NATIVE="$lib" IPCKIT_TIME_SCALE=50 valgrind --suppressions="$root/scripts/valgrind.supp" --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
      --errors-for-leak-kinds=definite --trace-children=no --log-file="$out" \
      node "dist-test/test/$f.test.js" >"$work/valgrind-test.log" 2>&1 || {
        status=$?
        grep -A30 -E "Invalid|uninitialised|definitely lost: [1-9]" "$out" | head -80
        echo "valgrind: $f failed (status $status), see $out and $work/valgrind-test.log"; exit 1; }
    grep -q "^# fail 0" "$work/valgrind-test.log" || { echo "valgrind: $f: tests failed"; cat "$work/valgrind-test.log" | tail -20; exit 1; }
    echo "valgrind: $f: $(grep -E "definitely lost" "$out" | sed 's/==[0-9]*==//') $(grep -E "ERROR SUMMARY" "$out" | sed 's/==[0-9]*==//')"
  done
fi
