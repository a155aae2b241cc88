#!/usr/bin/env bash
# The `didban` launcher (app/launcher.cc): `--help` and `--version` answered without loading the commands binary,
# and word for word what it would print; every other command run by libexec/didban-commands in the same process
# (exec: same PID, exit status and output); a clear error when the commands binary is missing.
#   bash tests/launcher_cli.sh <didban> <data-dir>
set -euo pipefail
didban="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
commands="$(dirname "$didban")/libexec/didban-commands"
[ -x "$commands" ] || fail "no commands binary beside the launcher: $commands"

# 1. The root help and the version are the commands binary's own text.
"$didban" --help >"$tmp/launcher_help.txt"
"$commands" --help >"$tmp/commands_help.txt"
cmp -s "$tmp/launcher_help.txt" "$tmp/commands_help.txt" ||
  fail "didban --help differs from didban-commands --help: $(diff "$tmp/launcher_help.txt" "$tmp/commands_help.txt")"
grep -q "^  serve " "$tmp/launcher_help.txt" || fail "didban --help does not list serve: $(cat "$tmp/launcher_help.txt")"
"$didban" -h | cmp -s - "$tmp/commands_help.txt" || fail "didban -h differs from --help"
[ "$("$didban" --version)" = "$("$commands" --version)" ] || fail "didban --version differs"
[ "$("$didban" --version)" = "didban 0.1.0" ] || fail "didban --version: $("$didban" --version)"

# 2. The launcher itself links none of the heavy libraries (the point of it: docs/performance.md, start-up).
heavy=$(ldd "$didban" | grep -c -E 'libav|libopencv|libpq|libsqlite|libnats|libsodium' || true)
[ "$heavy" -eq 0 ] || fail "the launcher links heavy libraries: $(ldd "$didban")"

# 3. Anything else runs in the commands binary, in place: its usage error and exit code 2, its subcommand help.
rc=0
"$didban" track --det x --out y --bogus >"$tmp/out.txt" 2>"$tmp/err.txt" || rc=$?
[ "$rc" -eq 2 ] || fail "unknown flag: exit $rc, want 2"
[ "$(head -1 "$tmp/err.txt")" = "The following argument was not expected: --bogus" ] ||
  fail "unknown flag: $(cat "$tmp/err.txt")"
"$didban" track --help | grep -q -- "--det" || fail "didban track --help does not show --det"
# Same PID after the exec: the shell's $! is the process that runs the command, so tests and service managers
# signal the right process. `track` blocks reading a FIFO until it is written.
mkfifo "$tmp/det.fifo"
"$didban" track --det "$tmp/det.fifo" --out "$tmp/res.txt" >/dev/null 2>"$tmp/track_err.txt" &
pid=$!
for _ in $(seq 50); do
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$commands")" ] && break
  sleep 0.1
done
[ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$commands")" ] ||
  fail "PID $pid runs $(readlink "/proc/$pid/exe"), want the commands binary"
echo "1,-1,10,10,20,20,0.9,-1,-1,-1" >"$tmp/det.fifo"
wait "$pid" || fail "track on the FIFO failed: $(cat "$tmp/track_err.txt")"

# 4. A launcher without its commands binary says what is missing, exit 1.
cp "$didban" "$tmp/didban"
rc=0
"$tmp/didban" analyze x.mp4 2>"$tmp/err.txt" || rc=$?
[ "$rc" -eq 1 ] || fail "missing commands binary: exit $rc, want 1"
[ "$(cat "$tmp/err.txt")" = "didban: cannot run $tmp/libexec/didban-commands: No such file or directory" ] ||
  fail "missing commands binary: $(cat "$tmp/err.txt")"
# ...while --help still answers.
"$tmp/didban" --help | cmp -s - "$tmp/commands_help.txt" || fail "the copied launcher's --help differs"
echo "PASS"
