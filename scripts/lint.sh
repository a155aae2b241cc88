#!/usr/bin/env bash
# Style and static checks that CI runs: clang-format (must be clean) and clang-tidy (.clang-tidy) on the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^third_party/')
clang-format --dry-run --Werror "${files[@]}"
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/compile_commands.json" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja >/dev/null
fi
mapfile -t tus < <(git ls-files 'src/*.cc' 'app/*.cc' | grep -v '_test.cc$')
if [ "${#tus[@]}" -gt 0 ]; then
  log=$(mktemp)
  if ! printf '%s\n' "${tus[@]}" | xargs -P 2 -n 4 clang-tidy -p "$BUILD_DIR" --quiet >"$log" 2>&1; then
    grep -v "warnings generated" "$log"
    echo "lint: clang-tidy found problems" >&2
    exit 1
  fi
fi
echo "lint: clean"
