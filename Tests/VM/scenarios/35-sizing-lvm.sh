#!/bin/bash
# Snapshot sizing under a write storm (docs/sizing.md), each point on its own VG:
#  1. a too-small snapshot_size with room in the VG: pgsnap extends the snapshot during the
#     copy, the backup succeeds and verifies, backup.json has the extensions and fill history;
#  2. the same without room: the backup aborts early naming the size needed, nothing is left;
#  3. a thin pool driven past thin_pool_danger_threshold during the copy: the backup fails, its
#     thin snapshot is gone, the origin stays writable and PostgreSQL keeps running.
# The storm is a writer with a known footprint: dd of distinct 1 MiB blocks into a new file on
# the origin, oflag=direct, at a steady rate, until told to stop or its cap is reached.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"

run_dir=$VM_SCEN_DIR/run
mkdir -p -m 0700 "$run_dir"

# storm FILE MIB_PER_SECOND MAX_MIB STOPFILE: steady writes of distinct blocks.
storm() {
	local file=$1 rate=$2 max=$3 stop=$4 i=0
	while [[ ! -e $stop ]] && ((i < max)); do
		dd if=/dev/urandom of="$file" bs=1M count="$rate" seek="$i" oflag=direct conv=notrunc status=none
		i=$((i + rate))
		sleep 1
	done
}

# A cluster whose data directory is on its own classic LV of VG $1 (mounted at $mnt), with
# enough data that the copy at --compress-level 19 lasts a while under emulation. Not in $(...):
# pg_cluster_start exports PGHOST and PGPORT.
cluster_on() {
	mnt=$(vm_mkfs_mount "$(vm_make_lv "$1" data 600M)" ext4)
	pg_cluster_start "$mnt/pgdata"
	pg_as pgbench -i -q -s 12 -h "$PGHOST" -p "$PGPORT" -U postgres postgres >&2
}

no_pgsnap_leftovers() {
	[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "pgsnap snapshots left: $(lvs -o lv_name,lv_tags)"
	[[ -z $(lvs --noheadings -o lv_name 2>/dev/null | grep _pgsnap_) ]] || vm_fail "pgsnap-named LV left: $(lvs)"
	! grep -q " $run_dir/mnt" /proc/self/mounts || vm_fail "pgsnap mounts left: $(grep "$run_dir" /proc/self/mounts)"
	[[ $(pg_psql -c "SELECT count(*) FROM pg_replication_slots") == 0 ]] || vm_fail "replication slot left"
	[[ $(pg_psql -c "SELECT pg_is_in_backup()" 2>/dev/null || echo f) != t ]] || true
}

# backup_with_storm NAME TARGET MNT RATE MAX ARGS...: runs one backup while the storm writes
# into MNT; leaves NAME.json / NAME.log and the exit status in NAME.status.
backup_with_storm() {
	local name=$1 target=$2 mnt=$3 rate=$4 max=$5 status=0
	shift 5
	mkdir -p -m 0700 "$target"
	rm -f "$VM_SCEN_DIR/stop-$name"
	storm "$mnt/storm-$name" "$rate" "$max" "$VM_SCEN_DIR/stop-$name" &
	local storm_pid=$!
	"$PGSNAP_BIN" backup --conninfo "host=$PGHOST port=$PGPORT user=postgres dbname=postgres" --target "$target" \
		--run-directory "$run_dir" --json --log-level info --compress-level 19 --watch-interval 0.5 "$@" \
		>"$VM_SCEN_DIR/$name.json" 2>"$VM_SCEN_DIR/$name.log" || status=$?
	touch "$VM_SCEN_DIR/stop-$name"
	wait "$storm_pid" || true
	rm -f "$mnt/storm-$name"
	echo "$status" >"$VM_SCEN_DIR/$name.status"
	cat "$VM_SCEN_DIR/$name.log" >&2
}

vm_log "1. too small, room in the VG: pgsnap extends the snapshot"
vg=$(vm_make_vg 1 2G)
cluster_on "$vg"
backup_with_storm extend "$VM_SCEN_DIR/backups1" "$mnt" 1 300 --snapshot-size 32M \
	--snapshot-autoextend-threshold 50 --snapshot-autoextend-percent 100
[[ $(<"$VM_SCEN_DIR/extend.status") == 0 ]] || vm_fail "backup with room failed: exit $(<"$VM_SCEN_DIR/extend.status")"
grep -q "extended by" "$VM_SCEN_DIR/extend.log" || vm_fail "no extension logged"
python3 - "$VM_SCEN_DIR/extend.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
base = next(v for v in r["volumes"] if v["archive"] == "base.tar.zst")
ext = base.get("extensions") or []
assert ext, base
assert all(e["to_bytes"] > e["from_bytes"] for e in ext), ext
assert ext[0]["from_bytes"] == base["snapshot_bytes"], (ext, base["snapshot_bytes"])
hist = base.get("fill_history") or []
assert len(hist) >= 2 and all("seconds" in s and "bytes" in s for s in hist), hist
peak = max(s["bytes"] for s in hist)
assert peak > base["snapshot_bytes"], ("the storm outgrew the configured size", peak, base["snapshot_bytes"])
print(f"extended {len(ext)}x: {base['snapshot_bytes']>>20} MiB -> {ext[-1]['to_bytes']>>20} MiB, "
      f"peak COW {peak/2**20:.1f} MiB, window {r['backup_mode_seconds']:.2f} s")
PY
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$VM_SCEN_DIR/extend.json")
"$PGSNAP_BIN" verify "$id" --target "$VM_SCEN_DIR/backups1" >&2 || vm_fail "verify of the extended backup failed"
no_pgsnap_leftovers
pg_cluster_stop

vm_log "2. too small, no room: early abort naming the size"
vg=$(vm_make_vg 1 1G)
cluster_on "$vg"
# Leave 24 MiB free: the 16 MiB snapshot fits, the storm's need does not.
free=$(vgs --noheadings --units m --nosuffix -o vg_free "$vg" | tr -d ' ' | cut -d. -f1)
lvcreate -q -y -n filler -L "$((free - 24))m" "$vg" >&2
backup_with_storm noroom "$VM_SCEN_DIR/backups2" "$mnt" 1 200 --snapshot-size 16M
status=$(<"$VM_SCEN_DIR/noroom.status")
[[ $status == 5 ]] || vm_fail "backup without room: exit $status, expected 5"
grep -q "would overflow" "$VM_SCEN_DIR/noroom.log" || vm_fail "no early abort: $(tail -3 "$VM_SCEN_DIR/noroom.log")"
grep -q "it should be at least" "$VM_SCEN_DIR/noroom.log" || vm_fail "the abort does not name the size"
no_pgsnap_leftovers
! compgen -G "$VM_SCEN_DIR/backups2/*.partial" >/dev/null || vm_fail "partial backup left"
pg_cluster_stop

vm_log "3. thin pool driven towards full: the backup fails first, the origin stays writable"
vg=$(vm_make_vg 1 1G)
vm_make_thin_pool "$vg" pool 300M >/dev/null
mnt=$(vm_mkfs_mount "$(vm_make_thin_lv "$vg" pool thin 2G)" ext4)
pg_cluster_start "$mnt/pgdata"
pg_as pgbench -i -q -s 4 -h "$PGHOST" -p "$PGPORT" -U postgres postgres >&2
# Half the pool in use before the backup, so the storm (capped at 100 MiB: at most ~85%, never
# full) passes the 60% danger threshold early in the copy.
dd if=/dev/urandom of="$mnt/prefill" bs=1M count=75 oflag=direct status=none
pool_dm=$(dmsetup ls | awk -v p="${vg}-pool-tpool" '$1 == p { print $1 }')
dmsetup status "$pool_dm" >&2
backup_with_storm thin "$VM_SCEN_DIR/backups3" "$mnt" 4 100 --thin-pool-danger-threshold 60
status=$(<"$VM_SCEN_DIR/thin.status")
[[ $status == 5 ]] || vm_fail "thin pool danger: exit $status, expected 5"
grep -q "thin pool .* full" "$VM_SCEN_DIR/thin.log" || vm_fail "no thin pool message"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); sys.exit(o.get("code") != "backup.thin_pool_danger")' \
	"$VM_SCEN_DIR/thin.json" || vm_fail "not backup.thin_pool_danger: $(cat "$VM_SCEN_DIR/thin.json")"
[[ -z $(lvs --noheadings -o lv_name "$vg" | grep _pgsnap_) ]] || vm_fail "thin snapshot left: $(lvs "$vg")"
dmsetup status "$pool_dm" >&2
! dmsetup status "$pool_dm" | grep -Eq 'out_of_data_space| ro ' || vm_fail "the pool went read-only"
dd if=/dev/urandom of="$mnt/after" bs=1M count=4 oflag=direct status=none || vm_fail "origin not writable"
rm -f "$mnt/after"
[[ $(pg_psql -c "SELECT 1") == 1 ]] || vm_fail "PostgreSQL is not answering"
pg_psql -c "CREATE TABLE after_thin AS SELECT 1 AS x" >/dev/null || vm_fail "PostgreSQL cannot write"
no_pgsnap_leftovers
pg_cluster_stop
vm_log "sizing scenario done"
