#!/bin/bash
# The storage-hook pattern on real LVM (issue 10): a "storage system" script calls
# `pgsnap freeze`, takes LVM snapshots of the data, WAL and tablespace LVs itself (a few
# seconds apart, as an array would), calls `pgsnap thaw`. Later the snapshots are mounted
# elsewhere as clones and `pgsnap restore --in-place` (with --waldir and --tablespace for the
# clones of the WAL and tablespace volumes) makes them startable; the clone recovers to a
# consistent state, pgbench's invariants hold, and pgsnap verify accepts the external record.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../restore.sh
source "$(dirname "${BASH_SOURCE[0]}")/../restore.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"

vg=$(vm_make_vg 1 1G)
data_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" data 250M)" ext4)
wal_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" wal 150M)" ext4)
ts_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" ts 150M)" ext4)
target=$VM_SCEN_DIR/backups
run_dir=$VM_SCEN_DIR/run
install -d -m 0700 "$target" "$run_dir"

pg_cluster_start "$data_mnt/pgdata" "$wal_mnt/wal"
pg_create_tablespace ts_fast "$ts_mnt/ts" >/dev/null
pg_as pgbench -i -q -s 1 --tablespace=ts_fast -h "$PGHOST" -p "$PGPORT" -U postgres postgres >&2
conninfo="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"
oid=$(pg_psql -c "SELECT oid FROM pg_tablespace WHERE spcname = 'ts_fast'")
common=(--target "$target" --run-directory "$run_dir")

# The storage system: its own snapshots, between pgsnap's two hooks.
storage_system() {
	"$PGSNAP_BIN" freeze --json --conninfo "$conninfo" "${common[@]}" >"$VM_SCEN_DIR/freeze.json" ||
		vm_fail "freeze: exit $?"
	lvcreate -q -y -s -n data_snap -L 80M "$vg/data" >&2
	sleep 2
	lvcreate -q -y -s -n wal_snap -L 120M "$vg/wal" >&2
	sleep 1
	lvcreate -q -y -s -n ts_snap -L 40M "$vg/ts" >&2
	"$PGSNAP_BIN" thaw --json --snapshot-name "$vg/data_snap $vg/wal_snap $vg/ts_snap" "${common[@]}" \
		>"$VM_SCEN_DIR/thaw.json" || vm_fail "thaw: exit $?"
}

vm_log "freeze, LVM snapshots by the storage system, thaw, under load"
load_until() {
	while [[ ! -e $1 ]]; do
		pg_as pgbench -n -t 50 -c 2 -h "$PGHOST" -p "$PGPORT" -U postgres postgres >/dev/null 2>&1 || true
	done
}
load_until "$VM_SCEN_DIR/stop-load" &
load_pid=$!
storage_system
touch "$VM_SCEN_DIR/stop-load"
wait "$load_pid"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$VM_SCEN_DIR/freeze.json")
python3 - "$VM_SCEN_DIR/thaw.json" "$target/$id/backup.json" <<'PY'
import json, sys
thaw, record = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert thaw["ok"] and record["kind"] == "external", (thaw, record)
assert "data_snap" in record["external"]["snapshot_name"], record
print(f"window {thaw['window_seconds']:.2f} s", file=sys.stderr)
PY
[[ $(pg_psql -c "SELECT count(*) FROM pg_replication_slots") == 0 ]] || vm_fail "slot left after thaw"
"$PGSNAP_BIN" verify "$id" "${common[@]}" >&2 || vm_fail "verify of the external record: exit $?"

vm_log "clones of the snapshots mounted elsewhere; restore --in-place"
clone=$VM_SCEN_DIR/clone
mkdir -p "$clone/data" "$clone/wal" "$clone/ts"
mount "/dev/$vg/data_snap" "$clone/data"
mount "/dev/$vg/wal_snap" "$clone/wal"
mount "/dev/$vg/ts_snap" "$clone/ts"
restored=$clone/data/pgdata
echo "$restored" >>"$VM_SCEN_DIR/pg.list"
# Without --waldir the clone's pg_wal links to the original's live WAL: refused, untouched.
if "$PGSNAP_BIN" restore "$id" --in-place --pgdata "$restored" "${common[@]}" 2>"$VM_SCEN_DIR/refused"; then
	vm_fail "restore --in-place without --waldir accepted a pg_wal linking to the original's WAL"
fi
grep -q -- --waldir "$VM_SCEN_DIR/refused" || vm_fail "refusal: $(cat "$VM_SCEN_DIR/refused")"
"$PGSNAP_BIN" restore "$id" --in-place --pgdata "$restored" --waldir "$clone/wal/wal" \
	--tablespace "ts_fast=$clone/ts/ts" "${common[@]}" >&2 || vm_fail "restore --in-place: exit $?"
[[ $(readlink "$restored/pg_wal") == "$clone/wal/wal" ]] || vm_fail "pg_wal link"
[[ $(readlink "$restored/pg_tblspc/$oid") == "$clone/ts/ts" ]] || vm_fail "pg_tblspc link"
[[ ! -e $restored/postmaster.pid ]] || vm_fail "postmaster.pid left in the clone"

vm_log "start the clone"
port=$(_pg_free_port)
sock=$VM_SCEN_DIR/clone-sock
vm_pg_dir "$sock"
pg_as pg_ctl start -w -t 300 -D "$restored" -l "$sock/log" -o "-p $port -k $sock -c listen_addresses=''" >&2 ||
	{ tail -30 "$sock/log" >&2; vm_fail "the clone did not start"; }
export PGHOST=$sock PGPORT=$port PG_LOG=$sock/log
for _ in $(seq 1 100); do
	[[ $(pg_psql -c "SELECT pg_is_in_recovery()") == f ]] && break
	sleep 0.5
done
grep -q "consistent recovery state reached" "$sock/log" || vm_fail "no consistent recovery state in the log"
[[ $(vm_pgbench_invariant) == t ]] || vm_fail "pgbench invariants do not hold"
[[ $(pg_psql -c "SELECT count(*) FROM pgbench_accounts") == 100000 ]] || vm_fail "pgbench_accounts rows"
[[ $(pg_psql -c "SELECT pg_tablespace_location($oid)") == "$clone/ts/ts" ]] || vm_fail "tablespace location"
pg_cluster_stop "$restored"
vm_log "ok"
