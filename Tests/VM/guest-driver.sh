#!/bin/bash
# Runs VM scenarios as root inside the guest booted by scripts/vm/run (or natively on a
# kernel with device-mapper). Usage: guest-driver.sh OUTDIR
#
# OUTDIR (a host directory shared read-write with the guest) holds, from the host:
#   env        sourced first: PGSNAP_REPO, PG_BINDIR, PGSNAP_BIN, other PGSNAP_* vars, PATH
#   scenarios  absolute scenario paths, one per line
# and gets, from here:
#   logs/NAME.log   per-scenario output (stdout+stderr, plus teardown messages)
#   results         one line per scenario: PASS|FAIL NAME SECONDS
#   timing          boot (guest uptime when the driver started), total (driver seconds)
#   done            written last: the driver got to the end
set -euo pipefail

out=$1
# shellcheck source=/dev/null
source "$out/env"
lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh
export PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
export PATH=$PATH:/usr/sbin:/sbin # lvm, losetup, mkfs even if the caller's PATH lacks them
export LVM_SUPPRESS_FD_WARNINGS=1
scenario_timeout=${PGSNAP_VM_SCENARIO_TIMEOUT:-900}
start=$SECONDS
echo "boot $(cut -d' ' -f1 /proc/uptime)" >"$out/timing"
mkdir -p "$out/logs"
: >"$out/results"

say() { echo "pgsnap-vm: $*"; }

# Modules: loop before losetup; dm-* for LVM. Natively they may be built in, hence || warn.
for mod in loop dm-mod dm-snapshot dm-thin-pool ext4 xfs; do
	modprobe "$mod" 2>/dev/null || say "warning: modprobe $mod failed"
done
ip link set lo up 2>/dev/null || true # PostgreSQL listens on 127.0.0.1

# Private tmpfs for loop backing files, mounts, sockets and everything postgres writes:
# the shared 9p root can't hold Unix sockets, turns postgres-owned files into root-owned
# ones, and is ~7x slower for loop files. Sparse files only use the RAM they fill.
root=$(mktemp -d /run/pgsnap-vm.XXXXXX)
mount -t tmpfs -o "size=${PGSNAP_VM_TMPFS_SIZE:-75%},mode=755" pgsnap-vm "$root"
trap 'umount -l "$root" && rmdir "$root"' EXIT

idx=0
while read -r scen; do
	[[ -n $scen ]] || continue
	idx=$((idx + 1))
	name=$(basename "$scen" .sh)
	log=$out/logs/$name.log
	export VM_SCEN_DIR=$root/$name VM_VG_PREFIX=pgsnap_s${idx}_
	mkdir -p "$VM_SCEN_DIR"
	say "running $name"
	t0=$SECONDS
	rc=0
	(cd "$VM_SCEN_DIR" && timeout -k 10 "$scenario_timeout" bash "$scen") >"$log" 2>&1 </dev/null || rc=$?
	((rc != 124)) || echo "pgsnap-vm: scenario timed out after ${scenario_timeout}s" >>"$log"
	# Safety net: the scenario's own EXIT trap normally did this already.
	# shellcheck disable=SC2016
	bash -c 'source "$1"; trap - EXIT ERR; vm_teardown' _ "$lib" >>"$log" 2>&1 </dev/null ||
		((rc != 0)) || rc=1 # leftovers fail the scenario
	rm -rf --one-file-system "$VM_SCEN_DIR"
	result=PASS
	((rc == 0)) || result=FAIL
	echo "$result $name $((SECONDS - t0))" >>"$out/results"
	say "$result $name ($((SECONDS - t0))s)"
done <"$out/scenarios"

echo "total $((SECONDS - start))" >>"$out/timing"
echo "done" >"$out/done"
