#!/usr/bin/env bash
# Style and static checks that CI runs: clang-format (must be clean, every file) and clang-tidy (.clang-tidy).
#
# clang-tidy is incremental: `.ci/lint-base` names the last commit on which the whole tree was clean, and only the
# translation units changed since then (and those including a changed header) are checked. `--all` (or a missing or
# unreachable base, e.g. a shallow clone, or a changed .clang-tidy) checks every one; `--all --record` then writes HEAD
# as the new base. The base is also moved by hand to a commit whose CI run (which lints) passed.
set -euo pipefail
cd "$(dirname "$0")/.."
all=0
record=0
for a in "$@"; do
  case "$a" in
    --all) all=1 ;;
    --record) record=1 ;;
    *) echo "lint: unknown argument '$a' (use --all, --record)" >&2; exit 2 ;;
  esac
done
jobs=${JOBS:-$(nproc)}

mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^third_party/')
clang-format --dry-run --Werror "${files[@]}"

BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/compile_commands.json" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja >/dev/null
fi
mapfile -t tus < <(git ls-files 'src/*.cc' 'app/*.cc' | grep -v '_test.cc$')

base=$(cat .ci/lint-base 2>/dev/null || true)
if [ "$all" = 0 ] && [ -n "$base" ] && git cat-file -e "$base^{commit}" 2>/dev/null &&
  git diff --quiet "$base" -- .clang-tidy .clang-format; then
  # Changed files since the base, committed or not.
  mapfile -t changed < <({ git diff --name-only "$base" -- src app include; git ls-files --others --exclude-standard src app include; } | sort -u)
  declare -A pick=()
  for f in "${changed[@]}"; do
    [ -f "$f" ] || continue
    case "$f" in
      *.cc) pick[$f]=1 ;;
      *.h)
        # A header is checked through the translation units that include it (by its include path).
        inc=${f#src/}
        inc=${inc#include/}
        while IFS= read -r tu; do pick[$tu]=1; done < <(grep -l -F "\"$inc\"" "${tus[@]}" 2>/dev/null || true)
        ;;
    esac
  done
  selected=()
  for tu in "${tus[@]}"; do
    if [ -n "${pick[$tu]:-}" ]; then selected+=("$tu"); fi
  done
  echo "lint: clang-tidy on ${#selected[@]} of ${#tus[@]} translation units changed since $base (--all for every one)"
  tus=("${selected[@]}")
else
  echo "lint: clang-tidy on all ${#tus[@]} translation units"
fi

if [ "${#tus[@]}" -gt 0 ]; then
  log=$(mktemp)
  if ! printf '%s\n' "${tus[@]}" | xargs -P "$jobs" -n 2 clang-tidy -p "$BUILD_DIR" --quiet >"$log" 2>&1; then
    grep -v "warnings generated" "$log"
    echo "lint: clang-tidy found problems" >&2
    exit 1
  fi
fi
if [ "$record" = 1 ]; then
  if [ "$all" != 1 ]; then echo "lint: --record needs --all" >&2; exit 2; fi
  if [ -n "$(git status --porcelain -- src app include)" ]; then
    echo "lint: not recording: uncommitted changes in src, app or include" >&2
    exit 1
  fi
  git rev-parse HEAD >.ci/lint-base
  echo "lint: recorded $(cat .ci/lint-base) in .ci/lint-base (commit it)"
fi
echo "lint: clean"
