#!/usr/bin/env bash
# Runs every test: unit tests and the integration suite against a private
# dockerd, each with the plain and the ASan+UBSan build. Ends with the line
# "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/build.sh --with-asan || { echo "0 passed, 1 failed"; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=98
passed=0
failed=0

# cmocka prints TAP ("ok N - name" / "not ok N - name"): count the rows.
# Usage: run_unit DIR [RUNNER...] (RUNNER: qemu-user for another
# architecture's tests).
run_unit() {
	local dir=$1 out
	shift
	for t in "$dir"/test_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$@" "$t" 2>&1)
		local rc=$?
		local ok nok
		ok=$(grep -c '^ok ' <<<"$out")
		nok=$(grep -c '^not ok ' <<<"$out")
		if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; fi
		[ "$nok" -gt 0 ] && { echo "FAILED: $t"; grep -v '^ok ' <<<"$out"; }
		passed=$((passed + ok))
		failed=$((failed + nok))
	done
	echo "unit tests ($dir): $passed passed, $failed failed so far"
}

# pytest's summary line carries the counts. Usage: run_py BINARY TESTS...
run_py() {
	local bin=$1 out summary p f e
	shift
	# pytest.ini (repository root) adds -rfE and -p no:cacheprovider.
	out=$(DOCKGATE_BIN="$bin" /usr/bin/python3 -m pytest "$@" -q 2>&1)
	local rc=$?
	echo "$out" | tail -n 40
	summary=$(tail -n 1 <<<"$out")
	p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
	f=$(grep -oE '[0-9]+ failed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
	e=$(grep -oE '[0-9]+ error' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
	if [ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f + e))
	echo "pytest $* ($bin): $p passed, $((f + e)) failed"
}

# Each libFuzzer target runs briefly (FUZZ_SECONDS, 45 by default) from the
# committed seeds: real CLI traffic, hostile cases, and inputs that crashed
# once (regress-*). Two run at a time, one test per target.
fuzz_one() {
	local t=$1 secs=$2 name=${1##*/fuzz_} work
	work=$(mktemp -d)
	if "$t" -max_total_time="$secs" -max_len=4096 -artifact_prefix="$work/" \
		"$work" "tests/fuzz/corpus/$name" >"$work/log" 2>&1; then
		echo "ok fuzz $name: $(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$work/log")"
	else
		echo "FAILED: fuzz $name"; tail -n 30 "$work/log"
		# Keep the input: as a file for a regression seed, and in the
		# log for when the machine is gone.
		mkdir -p build-fuzz/crashes
		for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
			[ -f "$f" ] || continue
			cp "$f" build-fuzz/crashes/
			echo "input ${f##*/} (base64): $(base64 -w0 "$f")"
		done
	fi
	rm -rf "$work"
}

run_fuzz() {
	local secs=${FUZZ_SECONDS:-45} out targets=()
	for t in build-fuzz/fuzz_*; do
		[ -f "$t" ] && [ -x "$t" ] && targets+=("$t")
	done
	out=$(for ((i = 0; i < ${#targets[@]}; i += 2)); do
		fuzz_one "${targets[i]}" "$secs" &
		[ -n "${targets[i + 1]:-}" ] && fuzz_one "${targets[i + 1]}" "$secs" &
		wait
	done)
	echo "$out"
	passed=$((passed + $(grep -c '^ok fuzz ' <<<"$out")))
	failed=$((failed + $(grep -c '^FAILED: fuzz ' <<<"$out")))
}

run_unit build
run_unit build-asan
run_fuzz
run_py "$PWD/build/dockgate" tests/integ
run_py "$PWD/build-asan/dockgate" tests/integ
# Differential parsing with both builds; the soak once, with the sanitizers
# watching (it checks their reports, fds and memory afterwards). CI uses a
# fixed generator seed so that a red run can be replayed exactly; run the
# file directly for fresh random seeds.
export DIFF_SEED=${DIFF_SEED:-20261201}
run_py "$PWD/build/dockgate" tests/diff/test_differential.py
run_py "$PWD/build-asan/dockgate" tests/diff
# Every architecture (before the shipping tests, whose release test
# packs them all): its static binary and unit tests, cross-built
# two at a time; the unit tests under qemu-user, then each binary's
# --version/--help and smoke run in front of the real dockerd (tests/arch).
. scripts/arches.sh
# Emulation is one core's work per process: two architectures at a time,
# each counted in a subshell and added here.
run_unit_arches() {
	local a logs=() n=0
	for a in $DOCKGATE_ARCHES; do
		[ "$a" = "$(native_arch)" ] && continue
		arch_info "$a"
		# What this kernel runs itself (i386 on x86-64) needs no qemu.
		local runner=("qemu-$ARCH_QEMU-static")
		"dist/$a/rootfs/dockgate" --version >/dev/null 2>&1 && runner=()
		(passed=0 failed=0
		 run_unit "build-cross/$a/unit" ${runner[@]+"${runner[@]}"}
		 echo "counted: $passed $failed") >"build-cross/$a/unit.log" 2>&1 &
		logs+=("build-cross/$a/unit.log")
		n=$((n + 1))
		[ $((n % 2)) -eq 0 ] && wait
	done
	wait
	for log in "${logs[@]}"; do
		grep -v '^counted: ' "$log"
		read -r _ p f < <(grep '^counted: ' "$log" || echo "counted: 0 1")
		passed=$((passed + p))
		failed=$((failed + f))
	done
}
if scripts/build-static.sh --arch all --with-unit-tests >/dev/null; then
	run_unit_arches
	run_py "$PWD/dist/rootfs/dockgate" tests/arch
else
	echo "FAILED: scripts/build-static.sh --arch all"; failed=$((failed + 1))
fi
# Shipping: the static binary, the FROM-scratch image in its deployment
# modes (also built from source, in a clean clone), the release files, the
# man page; then podman's Docker-compatible API as upstream.
if scripts/build-static.sh >/dev/null; then
	[ -d tests/ship ] && run_py "$PWD/dist/rootfs/dockgate" tests/ship
else
	echo "FAILED: scripts/build-static.sh"; failed=$((failed + 1))
fi
[ -d tests/podman ] && run_py "$PWD/build/dockgate" tests/podman
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
