#!/usr/bin/env bats
# gpuprobe report: self-contained HTML with inline SVG charts, and Markdown, from the committed
# example reports (FIXTURES). The browser test renders the page in headless Chromium (Debian's
# `chromium`), asserts from the rendered DOM and from the screenshot's pixels that the charts are
# there and non-empty, and keeps the screenshot in $GPUPROBE_ARTIFACTS (default build/artifacts).
# Without chromium it skips, unless GPUPROBE_REQUIRE_CHROMIUM=1 (CI) makes that a failure.

load test_helper
bats_require_minimum_version 1.5.0

DATA="$BATS_TEST_DIRNAME/../data/reports"

artifacts() {
  local art="${GPUPROBE_ARTIFACTS:-$(dirname "$GPUPROBE")/artifacts}"
  mkdir -p "$art"
  echo "$art"
}

find_chromium() {
  local c
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    if [ -x "/usr/bin/$c" ]; then echo "/usr/bin/$c"; return 0; fi
  done
  return 1
}

@test "writes HTML and Markdown; HTML is self-contained with one chart per benchmark and per report" {
  run "$GPUPROBE" report "$DATA/local.json" "$DATA/remote.json" "$DATA/p5.json" \
      --html "$TEST_TMP/r.html" --markdown "$TEST_TMP/r.md"
  [ "$status" -eq 0 ]
  python3 - "$TEST_TMP/r.html" <<'PY'
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
assert h.startswith("<!DOCTYPE html>")
stripped = h.replace("http://www.w3.org/2000/svg", "")
for banned in ("<script", "<link", "@import", "src=", "url(", "http://", "https://"):
    assert banned not in stripped, banned
assert h.count('data-kind="throughput"') == 3, h.count('data-kind="throughput"')
assert h.count('data-kind="peak"') == 3
widths = [float(w) for w in re.findall(r'<rect class="bar"[^>]* width="([0-9.]+)"', h)]
assert len(widths) >= 8 and all(w > 0 for w in widths), widths
assert "<th>check</th>" in h and "software.driver_version" in h
PY
  grep -q '^| benchmark | unit | workstation (base) | p5.48xlarge | p5.48xlarge #2 |$' "$TEST_TMP/r.md"
  grep -q '| cudnn | pass | \*\*fail\*\* | pass |' "$TEST_TMP/r.md"
}

@test "matches the golden files of the unit tests" {
  "$GPUPROBE" report "$DATA/local.json" "$DATA/remote.json" "$DATA/p5.json" --html "$TEST_TMP/r.html" --markdown "$TEST_TMP/r.md"
  diff -u "$BATS_TEST_DIRNAME/../data/golden/report.html" "$TEST_TMP/r.html"
  diff -u "$BATS_TEST_DIRNAME/../data/golden/report.md" "$TEST_TMP/r.md"
}

@test "one report, Markdown to stdout (CI step summary); a report without benchmarks" {
  run --separate-stderr "$GPUPROBE" report "$DATA/nobench.json" --markdown -
  [ "$status" -eq 0 ]
  [[ "$output" == "### gpuprobe report"* ]]
  [[ "$output" == *"No benchmarks in these reports."* ]]
}

@test "errors: no output named → 2, bad input → 2, unwritable output → 5" {
  run "$GPUPROBE" report "$DATA/base.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--html FILE and/or --markdown FILE"* ]]
  echo '{"schema": "gpuprobe.report/2"}' > "$TEST_TMP/v2.json"
  run "$GPUPROBE" report "$TEST_TMP/v2.json" --html "$TEST_TMP/x.html"
  [ "$status" -eq 2 ]
  [[ "$output" == *"gpuprobe.report/2"*"gpuprobe.report/1"* ]]
  run "$GPUPROBE" report "$DATA/base.json" --html /nonexistent/dir/x.html
  [ "$status" -eq 5 ]
}

@test "outputs: --html and --markdown at once or alone give the same bytes; both on stdout → exit 2" {
  "$GPUPROBE" report "$DATA/local.json" "$DATA/remote.json" --html "$TEST_TMP/a.html" --markdown "$TEST_TMP/a.md"
  "$GPUPROBE" report "$DATA/local.json" "$DATA/remote.json" --markdown "$TEST_TMP/b.md"
  "$GPUPROBE" report "$DATA/local.json" "$DATA/remote.json" --html - > "$TEST_TMP/b.html"
  cmp "$TEST_TMP/a.html" "$TEST_TMP/b.html"
  cmp "$TEST_TMP/a.md" "$TEST_TMP/b.md"
  run "$GPUPROBE" report "$DATA/local.json" --html - --markdown -
  [ "$status" -eq 2 ]
  [[ "$output" == *"--html - and --markdown - cannot both write to stdout"* ]]
  run "$GPUPROBE" report "$DATA/local.json" --junit "$TEST_TMP/r.xml"
  [ "$status" -eq 2 ]
}

@test "headless Chromium renders the charts (DOM and pixels); screenshot kept as an artifact" {
  local chromium
  if ! chromium=$(find_chromium); then
    [ "${GPUPROBE_REQUIRE_CHROMIUM:-0}" = "1" ] && { echo "chromium not found: apt-get install chromium"; return 1; }
    skip "chromium not installed (apt-get install chromium); GPUPROBE_REQUIRE_CHROMIUM=1 makes this a failure"
  fi
  "$GPUPROBE" report "$DATA/g4dn.json" "$DATA/g5.json" "$DATA/g6.json" "$DATA/p5.json" --html "$TEST_TMP/r.html"
  local art shot
  art=$(artifacts)
  shot="$art/report-screenshot.png"
  rm -f "$shot"
  local flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
               --user-data-dir="$TEST_TMP/chromium-profile")
  timeout 120 "$chromium" "${flags[@]}" --window-size=1100,1400 --screenshot="$shot" "file://$TEST_TMP/r.html" 3>&- 2>/dev/null
  timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$TEST_TMP/r.html" > "$TEST_TMP/dom.html" 3>&- 2>/dev/null
  cp "$TEST_TMP/r.html" "$art/report.html"
  # The DOM after rendering: the charts and their bars are there.
  python3 - "$TEST_TMP/dom.html" <<'PY'
import re, sys
d = open(sys.argv[1], encoding="utf-8").read()
assert d.count("<svg") >= 4, d.count("<svg")
widths = [float(w) for w in re.findall(r'<rect class="bar"[^>]* width="([0-9.]+)"', d)]
assert len(widths) >= 8 and all(w > 0 for w in widths), widths
PY
  # The pixels: each report's bar colour covers a real area of the screenshot.
  python3 - "$shot" <<'PY'
import struct, sys, zlib

def decode_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

w, h, bpp, rows = decode_png(sys.argv[1])
palette = {"#4e79a7": (78, 121, 167), "#f28e2b": (242, 142, 43), "#59a14f": (89, 161, 79), "#e15759": (225, 87, 89)}
counts = dict.fromkeys(palette, 0)
for row in rows:
    for x in range(0, w * bpp, bpp):
        px = tuple(row[x:x + 3])
        for name, rgb in palette.items():
            if all(abs(px[k] - rgb[k]) <= 6 for k in range(3)):
                counts[name] += 1
print(f"screenshot {w}x{h}: bar pixels per report colour {counts}")
assert all(n >= 500 for n in counts.values()), counts
PY
  [ -s "$shot" ]
}
