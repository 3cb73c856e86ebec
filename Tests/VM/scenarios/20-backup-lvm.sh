#!/bin/bash
# `pgsnap backup` from real LVM snapshots while pgbench writes: data directory on a classic
# LV, pg_wal on its own LV, one tablespace on a classic LV (xfs), one on a thin LV. Restored
# with zstd and tar only; pg_verifybackup accepts it; it reaches consistency; pgbench's
# invariants hold; pg_amcheck is clean. Nothing of pgsnap's remains afterwards.
# LVM as a database host runs it (udev-synchronised, metadata backups, dmeventd), not the
# other scenarios' lean configuration (lib.sh).
VM_LVM_CONFIG=host
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../restore.sh
source "$(dirname "${BASH_SOURCE[0]}")/../restore.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"

vg=$(vm_make_vg 2 1G)
data_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" data 400M)" ext4)
wal_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" wal 200M)" ext4)
ts1_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" ts1 300M)" xfs)
vm_make_thin_pool "$vg" pool 400M >/dev/null
ts2_mnt=$(vm_mkfs_mount "$(vm_make_thin_lv "$vg" pool ts2 1G)" ext4)
target=$VM_SCEN_DIR/backups
run_dir=$VM_SCEN_DIR/run
mkdir -p -m 0700 "$target" "$run_dir"

pg_cluster_start "$data_mnt/pgdata" "$wal_mnt/pg_wal"
# pg_wal's LV is 200 MiB: the default max_wal_size (1 GB) lets the write load below fill it
# (a PANIC that would end the scenario's server, not a pgsnap failure). Checkpoints keep it small.
pg_psql -c "ALTER SYSTEM SET max_wal_size = '96MB'" >/dev/null
pg_psql -c "ALTER SYSTEM SET min_wal_size = '32MB'" >/dev/null
pg_psql -c "SELECT pg_reload_conf()" >/dev/null
pg_create_tablespace ts_classic "$ts1_mnt/ts" >/dev/null
pg_create_tablespace ts_thin "$ts2_mnt/ts" >/dev/null
pg_as pgbench -i -q -s 3 --tablespace=ts_classic -h "$PGHOST" -p "$PGPORT" -U postgres postgres >&2
pg_psql -c "CREATE TABLE thin_rows TABLESPACE ts_thin AS SELECT g, md5(g::text) FROM generate_series(1, 50000) g"
conninfo="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"
backup() { "$PGSNAP_BIN" backup --conninfo "$conninfo" --target "$target" --run-directory "$run_dir" "$@"; }

# Writes during the whole backup, in short bounded pgbench runs; with a second argument,
# each run ends with a CHECKPOINT, which pushes the changed pages onto the origin volumes.
load_until() {
	while [[ ! -e $1 ]]; do
		pg_as pgbench -n -t 100 -c 2 -h "$PGHOST" -p "$PGPORT" -U postgres postgres >/dev/null 2>&1 || true
		[[ -z ${2:-} ]] || pg_psql -c CHECKPOINT >/dev/null 2>&1 || true
	done
}

no_pgsnap_leftovers() {
	pg_psql -c "SELECT 1" >/dev/null 2>&1 || vm_fail "the origin's server is not running: $(tail -5 "$PG_LOG" 2>/dev/null)"
	[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "pgsnap snapshots left: $(lvs -o lv_name,lv_tags "$vg")"
	! grep -q " $run_dir/mnt" /proc/self/mounts || vm_fail "pgsnap mounts left: $(grep "$run_dir" /proc/self/mounts)"
	[[ $(pg_psql -c "SELECT count(*) FROM pg_replication_slots") == 0 ]] || vm_fail "replication slot left"
	! compgen -G "$target/*.partial" >/dev/null || vm_fail "partial backup left: $(ls "$target")"
}

vm_log "backup from snapshots under load"
load_until "$VM_SCEN_DIR/stop-load" &
load_pid=$!
backup --json --snapshot-size 40% --log-level info >"$VM_SCEN_DIR/backup.json" 2>"$VM_SCEN_DIR/backup.log" ||
	{ cat "$VM_SCEN_DIR/backup.log" >&2; vm_fail "backup failed"; }
touch "$VM_SCEN_DIR/stop-load"
wait "$load_pid"
cat "$VM_SCEN_DIR/backup.json" "$VM_SCEN_DIR/backup.log" >&2
no_pgsnap_leftovers
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$VM_SCEN_DIR/backup.json")
python3 - "$VM_SCEN_DIR/backup.json" "$vg" "$VM_SCEN_DIR/backup.log" <<'PY'
import json, sys
record, vg = json.load(open(sys.argv[1])), sys.argv[2]
log = open(sys.argv[3]).read().splitlines()
assert record["snapshot_mode"] == "lvm" and record["status"] == "complete", record
origins = {v["archive"]: (v.get("origin"), v.get("snapshot_type")) for v in record["volumes"]}
assert origins["base.tar.zst"] == (f"{vg}/data", "classic"), origins
kinds = sorted(t for a, (o, t) in origins.items() if a not in ("base.tar.zst", "pg_wal.tar.zst"))
assert kinds == ["classic", "thin"], origins
# Backup mode ends once the snapshots exist, before anything is read from them (not a timing
# check: emulation speed varies, the order does not).
stopped = [i for i, line in enumerate(log) if "backup mode stopped" in line]
mounted = [i for i, line in enumerate(log) if "mounted read-only" in line]
assert stopped and mounted and stopped[0] < mounted[0], log
print("backup ok: backup mode", round(record["backup_mode_seconds"], 1), "s, ended before the first mount")
PY
[[ $(stat -c %a "$target/$id") == 700 && $(stat -c %a "$target/$id/base.tar.zst") == 600 ]] || vm_fail "backup modes"

vm_log "restore with zstd and tar"
restored=$(vm_restore_by_hand "$target/$id" "$VM_SCEN_DIR/restore")
vm_verifybackup "$target/$id" "$restored"
vm_restore_relocate_map "$restored"
original_host=$PGHOST original_port=$PGPORT
pg_cluster_stop "$PGDATA"
port=$(_pg_free_port)
sock=$VM_SCEN_DIR/restored-sock
vm_pg_dir "$sock"
echo "$restored" >>"$VM_SCEN_DIR/pg.list"
pg_as pg_ctl start -w -t 300 -D "$restored" -l "$sock/log" -o "-p $port -k $sock -c listen_addresses=''" >&2 ||
	{ tail -30 "$sock/log" >&2; vm_fail "restored cluster did not start"; }
export PGHOST=$sock PGPORT=$port
# (PostgreSQL refuses to open a backup whose WAL ends before the end-of-backup record.)
[[ $(vm_pgbench_invariant) == t ]] || vm_fail "pgbench invariants do not hold"
[[ $(pg_psql -c "SELECT count(*) FROM thin_rows") == 50000 ]] || vm_fail "thin tablespace rows"
pg_as pg_amcheck --install-missing -h "$PGHOST" -p "$PGPORT" -U postgres --all >&2 || vm_fail "pg_amcheck"
pg_cluster_stop "$restored"
export PGHOST=$original_host PGPORT=$original_port
pg_as pg_ctl start -w -t 120 -D "$data_mnt/pgdata" -l "$PGHOST/log" -o "-p $PGPORT -k $PGHOST -c listen_addresses=127.0.0.1" >&2

vm_log "snapshot too small for the writes during the copy"
# A writer with a known footprint on the xfs tablespace's origin: 1 MiB every 0.2 s over the
# same 64 MiB, round and round (direct I/O, so it reaches the origin at once): a snapshot pays
# once per block, so each round after its creation costs it 64 MiB, far past 4 MiB. (pgbench
# with checkpoints took ten minutes to fill it under emulation, near the scenario's limit.)
overflow_writer() {
	local i=0
	while [[ ! -e $VM_SCEN_DIR/stop-load2 ]] && ((i < 3000)); do
		dd if=/dev/urandom of="$ts1_mnt/overflow" bs=1M count=1 seek="$((i % 64))" oflag=direct conv=notrunc status=none || true
		i=$((i + 1))
		sleep 0.2
	done
}
overflow_writer &
load_pid=$!
set +e
backup --snapshot-size 4M --snapshot-autoextend-threshold 100 --watch-interval 0.5 --max-rate 4M --log-level info \
	>"$VM_SCEN_DIR/small.out" 2>&1
status=$?
set -e
touch "$VM_SCEN_DIR/stop-load2"
wait "$load_pid"
rm -f "$ts1_mnt/overflow"
cat "$VM_SCEN_DIR/small.out" >&2
[[ $status == 5 ]] || vm_fail "small snapshot: exit $status, expected 5"
grep -q "overflowed" "$VM_SCEN_DIR/small.out" || vm_fail "no overflow message"
no_pgsnap_leftovers
# Besides the complete backup, at most a failed-run record: <id>.failed/ holding only backup.json.
# pgsnap.target binds the target to the cluster (docs/target.md): it stays.
mapfile -t extra < <(find "$target" -mindepth 1 -maxdepth 1 ! -name "$id" ! -name pgsnap.target)
for entry in "${extra[@]}"; do
	[[ $entry == *.failed && $(ls "$entry") == backup.json ]] || vm_fail "unexpected in the target after a failure: $(ls "$target")"
	python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["status"] != "failed")' "$entry/backup.json" ||
		vm_fail "not a failed record: $(cat "$entry/backup.json")"
	rm -r "$entry"
done

vm_log "a second backup while one streams; then SIGKILL mid-stream and cleanup"
# pgsnap itself in the background (not the shell function), so $! is pgsnap's pid. max_rate
# keeps it streaming (at 1 MiB/s) for as long as the steps below need, without the CPU a slow
# compression level would take under emulation.
"$PGSNAP_BIN" backup --conninfo "$conninfo" --target "$target" --run-directory "$run_dir" --max-rate 1M \
	--log-level info >"$VM_SCEN_DIR/killed.out" 2>&1 &
pid=$!
streaming() {
	grep -q " $run_dir/mnt" /proc/self/mounts && compgen -G "$target/*.partial" >/dev/null &&
		grep -q "reading at most 1.0 MiB/s (max_rate)" "$VM_SCEN_DIR/killed.out"
}
for _ in $(seq 1 300); do streaming && break; sleep 0.2; done
streaming || vm_fail "the first backup is not streaming at max_rate: $(cat "$VM_SCEN_DIR/killed.out")"
set +e
backup >"$VM_SCEN_DIR/second.out" 2>&1
status=$?
set -e
[[ $status == 7 ]] || vm_fail "second run: exit $status, expected 7: $(cat "$VM_SCEN_DIR/second.out")"
kill -0 "$pid" 2>/dev/null || vm_fail "the first backup ended before the SIGKILL: $(cat "$VM_SCEN_DIR/killed.out")"
kill -KILL "$pid"
wait "$pid" || true
[[ -n $(lvs --noheadings -o lv_name @pgsnap) ]] || vm_fail "the killed run should have left its snapshots"
"$PGSNAP_BIN" cleanup --target "$target" --run-directory "$run_dir" >&2
no_pgsnap_leftovers

pg_cluster_stop
vm_log "ok"
