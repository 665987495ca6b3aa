#!/usr/bin/env bash
# Builds the report-parser/compare fuzz target with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs it for a bounded time from the committed seed corpus.
#   tests/fuzz/run.sh [SECONDS]      default 60; exit 0 when no crash, 1 with the crashing input
# Needs: clang and its runtimes (Debian 12: clang libclang-rt-14-dev), nlohmann-json3-dev. Work folder: ${FUZZ_DIR:-build-fuzz}.
# New inputs libFuzzer finds stay in $FUZZ_DIR/corpus (not the committed seeds); a crash leaves
# $FUZZ_DIR/crash-* — replay it with `$FUZZ_DIR/fuzz_report FILE` and add it to tests/fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
dir="${FUZZ_DIR:-build-fuzz}"
cxx="${FUZZ_CXX:-}"
if [[ -z "$cxx" ]]; then
  for c in clang++ clang++-19 clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null; then cxx="$c"; break; fi
  done
fi
[[ -n "$cxx" ]] || { echo "clang++ not found: apt-get install clang" >&2; exit 2; }
mkdir -p "$dir/corpus"

srcs=(report/src/report_json.cpp report/src/render.cpp report/src/load.cpp report/src/json_fast.cpp report/src/benchmark.cpp
      report/src/compare.cpp report/src/compare_render.cpp report/src/catalog.cpp report/src/html.cpp
      report/src/report_markdown.cpp report/src/burn_render.cpp tests/fuzz/fuzz_report.cpp)
bin="$dir/fuzz_report"
newest=$(ls -t "${srcs[@]}" report/include/gpuprobe/report/*.hpp "$0" | head -1)
if [[ ! -x "$bin" || "$newest" -nt "$bin" ]]; then
  echo "building $bin with $cxx" >&2
  t0=$(date +%s)
  "$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -Ireport/include "${srcs[@]}" -o "$bin" || {
    echo "build failed: the sanitizer/libFuzzer runtimes come with Debian's libclang-rt-14-dev" \
         "(apt-get install --no-install-recommends clang libclang-rt-14-dev nlohmann-json3-dev)" >&2
    exit 2
  }
  echo "built in $(( $(date +%s) - t0 )) s" >&2
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
echo "fuzzing for ${seconds} s" >&2
status=0
"$bin" "$dir/corpus" tests/fuzz/corpus tests/data/reports \
  -dict=tests/fuzz/json.dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$dir/" >"$dir/fuzz.log" 2>&1 || status=$?
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|SUMMARY|stat::number_of_executed_units|Test unit written" "$dir/fuzz.log" >&2 || true
if ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* >/dev/null 2>&1; then
  echo "FUZZ: findings in $dir (see $dir/fuzz.log)" >&2
  exit 1
fi
[[ "$status" -eq 0 ]] || { echo "FUZZ: fuzzer exited $status (see $dir/fuzz.log)" >&2; exit 1; }
echo "FUZZ: no crash in ${seconds} s" >&2
