#!/bin/bash
# Snapshot sizing under a write storm during the copy (docs/sizing.md), one cluster, three points:
#   1. a too-small snapshot_size with room in the VG: pgsnap extends the snapshot, the backup
#      succeeds and verifies, backup.json has the extensions and the fill history;
#   2. the same with no room left in the VG: the early abort (exit 5) names the size needed,
#      before the snapshot overflows; nothing of pgsnap's is left;
#   3. a thin pool driven towards full: the backup fails (exit 5), its thin snapshot is gone,
#      the origin file system stays writable and PostgreSQL keeps running.
# The storm is a writer with a known footprint: dd of distinct 1 MiB blocks into a new file on
# the origin, oflag=direct, at a steady rate, until told to stop or its cap is reached. The copy
# is paced with max_rate (1 MiB/s), so it lasts long enough for the storm whatever the speed of
# the emulation, without a slow compression level's CPU.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"

# ext4 with its inode tables and journal initialised by mkfs: by default ext4lazyinit zeroes them
# in the background after mount, tens of MiB of writes to the origin that would fill a small
# snapshot at once and blur the writer's known footprint.
mkfs_eager() {
	local dev=$1 mnt=$VM_SCEN_DIR/mnt/$(tr / _ <<<"${1#/dev/}")
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dev" >&2
	mkdir -p "$mnt"
	mount "$dev" "$mnt"
	echo "$mnt"
}

run_dir=$VM_SCEN_DIR/run
mkdir -p -m 0700 "$run_dir"

# One VG: the data directory on a classic LV, a tablespace on a thin LV of a 300 MiB pool.
vg=$(vm_make_vg 1 2G)
data_mnt=$(mkfs_eager "$(vm_make_lv "$vg" data 400M)")
vm_make_thin_pool "$vg" pool 300M >/dev/null
thin_mnt=$(mkfs_eager "$(vm_make_thin_lv "$vg" pool thin 1G)")
pg_cluster_start "$data_mnt/pgdata"
pg_create_tablespace ts_thin "$thin_mnt/ts" >/dev/null
pg_as pgbench -i -q -s 2 -h "$PGHOST" -p "$PGPORT" -U postgres postgres >&2
pg_psql -c "CREATE TABLE thin_rows TABLESPACE ts_thin AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g"
pg_psql -c CHECKPOINT

# storm FILE MIB_PER_SECOND MAX_MIB STOPFILE: steady writes of distinct blocks.
storm() {
	local file=$1 rate=$2 max=$3 stop=$4 i=0
	while [[ ! -e $stop ]] && ((i < max)); do
		dd if=/dev/urandom of="$file" bs=1M count="$rate" seek="$i" oflag=direct conv=notrunc status=none || true
		i=$((i + rate))
		sleep 1
	done
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
		--run-directory "$run_dir" --json --log-level info --max-rate 1M --watch-interval 0.5 "$@" \
		>"$VM_SCEN_DIR/$name.json" 2>"$VM_SCEN_DIR/$name.log" || status=$?
	touch "$VM_SCEN_DIR/stop-$name"
	wait "$storm_pid" || true
	rm -f "$mnt/storm-$name"
	echo "$status" >"$VM_SCEN_DIR/$name.status"
	cat "$VM_SCEN_DIR/$name.log" >&2
}

vm_log "1. too small, room in the VG: pgsnap extends the snapshot"
backup_with_storm extend "$VM_SCEN_DIR/backups1" "$data_mnt" 2 120 --snapshot-size 32M \
	--snapshot-autoextend-threshold 50 --snapshot-autoextend-percent 100
[[ $(<"$VM_SCEN_DIR/extend.status") == 0 ]] || vm_fail "backup with room failed: exit $(<"$VM_SCEN_DIR/extend.status")"
grep -q "extended by" "$VM_SCEN_DIR/extend.log" || vm_fail "no extension logged"
python3 - "$VM_SCEN_DIR/extend.json" "$VM_SCEN_DIR/extend.log" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read()
base = next(v for v in r["volumes"] if v["archive"] == "base.tar.zst")
ext = base.get("extensions") or []
assert ext, base
assert all(e["to_bytes"] > e["from_bytes"] for e in ext), ext
assert ext[0]["from_bytes"] == base["snapshot_bytes"], (ext, base["snapshot_bytes"])
hist = base.get("fill_history") or []
assert len(hist) >= 2 and all("seconds" in s and "bytes" in s for s in hist), hist
peak = max(s["bytes"] for s in hist)
assert peak > base["snapshot_bytes"], ("the storm outgrew the configured size", peak, base["snapshot_bytes"])
# max_rate held: the stream stage read its volumes at no more than 1 MiB/s, all together
# (plus the limiter's 0.25 s of credit).
stream = float(re.search(r"stage stream done in ([0-9.]+) s", log).group(1))
read = sum(v["bytes_read"] for v in r["volumes"] if v["archive"] != "pg_wal.tar.zst")
assert read > 8 << 20 and stream >= read / 2**20 - 0.3, ("faster than max_rate", read, stream)
print(f"extended {len(ext)}x: {base['snapshot_bytes']>>20} MiB -> {ext[-1]['to_bytes']>>20} MiB, "
      f"peak COW {peak/2**20:.1f} MiB, window {r['backup_mode_seconds']:.2f} s")
PY
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$VM_SCEN_DIR/extend.json")
"$PGSNAP_BIN" verify "$id" --target "$VM_SCEN_DIR/backups1" >&2 || vm_fail "verify of the extended backup failed"
no_pgsnap_leftovers

vm_log "2. too small, no room in the VG: early abort naming the size needed"
# The VG keeps exactly the snapshot's 40 MiB (ten 4 MiB extents) free: nothing to extend with.
# Before the copy the snapshot takes the stop's new WAL segment (16 MiB, pg_wal is on this
# volume) and ~8 s of the storm; the copy's ~35 s at 1 MiB/s would bring ~35 MiB more: the
# projection passes 100% a second into the copy, the overflow would come ~15 s later.
free=$(vgs --noheadings -o vg_free_count "$vg" | tr -d ' ')
lvcreate -q -y -n filler -l "$((free - 10))" "$vg" >&2
backup_with_storm noroom "$VM_SCEN_DIR/backups2" "$data_mnt" 1 120 --snapshot-size 40M
[[ $(<"$VM_SCEN_DIR/noroom.status") == 5 ]] || vm_fail "no-room backup: exit $(<"$VM_SCEN_DIR/noroom.status"), expected 5"
grep -q "would overflow" "$VM_SCEN_DIR/noroom.log" || vm_fail "no early abort: $(tail -5 "$VM_SCEN_DIR/noroom.log")"
grep -q "it should be at least .* (snapshot_size)" "$VM_SCEN_DIR/noroom.log" || vm_fail "the abort does not name the size needed"
! grep -q "overflowed" "$VM_SCEN_DIR/noroom.log" || vm_fail "the snapshot overflowed before the abort"
no_pgsnap_leftovers
! compgen -G "$VM_SCEN_DIR/backups2/*.partial" >/dev/null || vm_fail "partial backup left: $(ls "$VM_SCEN_DIR/backups2")"
lvremove -q -y "$vg/filler" >&2

vm_log "3. a thin pool driven towards full: the backup fails before the pool does"
# Ballast brings the pool to ~45% of its 300 MiB before the backup; the storm into the thin
# origin then takes new pool blocks at 2 MiB/s: past 60% ~20 s into the ~35 s copy.
pool_used() { lvs --noheadings -o data_percent "$vg/pool" | tr -d ' ' | cut -d. -f1; }
ballast=$((300 * (45 - $(pool_used)) / 100))
((ballast > 0)) || vm_fail "the pool is $(pool_used)% full before the ballast"
dd if=/dev/urandom of="$thin_mnt/ballast" bs=1M count="$ballast" oflag=direct status=none
vm_log "pool $(pool_used)% full before the backup"
backup_with_storm thin "$VM_SCEN_DIR/backups3" "$thin_mnt" 2 100 --thin-pool-danger-threshold 60
[[ $(<"$VM_SCEN_DIR/thin.status") == 5 ]] || vm_fail "thin-pool backup: exit $(<"$VM_SCEN_DIR/thin.status"), expected 5"
grep -q "thin pool $vg/pool is .*% full .* removes its thin snapshots" "$VM_SCEN_DIR/thin.log" ||
	vm_fail "no thin-pool danger message"
no_pgsnap_leftovers
((($(pool_used)) < 100)) || vm_fail "the pool filled"
timeout 20 touch "$thin_mnt/still-writable" || vm_fail "the thin origin is not writable"
[[ $(pg_psql -c "SELECT count(*) FROM thin_rows") == 20000 ]] || vm_fail "PostgreSQL does not answer on the thin tablespace"
pg_psql -c "INSERT INTO thin_rows SELECT 0, 'after'" >/dev/null || vm_fail "PostgreSQL cannot write the thin tablespace"
rm -f "$thin_mnt/ballast" "$thin_mnt/still-writable"
pg_cluster_stop

vm_log "sizing scenario done"
