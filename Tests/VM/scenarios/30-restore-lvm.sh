#!/bin/bash
# `pgsnap restore` of a real LVM snapshot backup: data directory on a classic LV, one
# tablespace on a classic LV (restored relocated, with --tablespace NAME=DIR) and one on a thin
# LV (restored to its original location once the original cluster has stopped and that
# directory has been moved aside). `pgsnap verify` accepts the backup, pg_verifybackup the
# restored tree before start-up; the restored cluster starts, pgbench's invariants hold and the
# tablespaces live where pgsnap said. Kept small: emulation is slow.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../restore.sh
source "$(dirname "${BASH_SOURCE[0]}")/../restore.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"

vg=$(vm_make_vg 1 1G)
data_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" data 300M)" ext4)
ts1_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" ts1 150M)" ext4)
vm_make_thin_pool "$vg" pool 200M >/dev/null
ts2_mnt=$(vm_mkfs_mount "$(vm_make_thin_lv "$vg" pool ts2 500M)" ext4)
target=$VM_SCEN_DIR/backups
run_dir=$VM_SCEN_DIR/run
install -d -m 0700 "$target" "$run_dir"

pg_cluster_start "$data_mnt/pgdata"
pg_create_tablespace ts_classic "$ts1_mnt/ts" >/dev/null
pg_create_tablespace ts_thin "$ts2_mnt/ts" >/dev/null
pg_as pgbench -i -q -s 1 --tablespace=ts_classic -h "$PGHOST" -p "$PGPORT" -U postgres postgres >&2
pg_psql -c "CREATE TABLE thin_rows TABLESPACE ts_thin AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g"
conninfo="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"
classic_oid=$(pg_psql -c "SELECT oid FROM pg_tablespace WHERE spcname = 'ts_classic'")
thin_oid=$(pg_psql -c "SELECT oid FROM pg_tablespace WHERE spcname = 'ts_thin'")

vm_log "backup from snapshots under load"
load_until() {
	while [[ ! -e $1 ]]; do
		pg_as pgbench -n -t 50 -c 2 -h "$PGHOST" -p "$PGPORT" -U postgres postgres >/dev/null 2>&1 || true
	done
}
load_until "$VM_SCEN_DIR/stop-load" &
load_pid=$!
"$PGSNAP_BIN" backup --json --conninfo "$conninfo" --target "$target" --run-directory "$run_dir" \
	--snapshot-size 40% >"$VM_SCEN_DIR/backup.json"
touch "$VM_SCEN_DIR/stop-load"
wait "$load_pid"
id=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["snapshot_mode"] == "lvm", r; print(r["id"])' \
	"$VM_SCEN_DIR/backup.json")
[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "pgsnap snapshots left after the backup"

vm_log "pgsnap verify"
"$PGSNAP_BIN" verify "$id" --json --target "$target" >"$VM_SCEN_DIR/verify.json" || vm_fail "verify: exit $?"
python3 - "$VM_SCEN_DIR/verify.json" "$id" <<'PY'
import json, sys
report, id = json.load(open(sys.argv[1])), sys.argv[2]
assert report["ok"] is True, report
[entry] = report["backups"]
assert entry["id"] == id and entry["ok"] is True and not entry["problems"], entry
PY

vm_log "stop the original; free the thin tablespace's original location"
pg_cluster_stop "$PGDATA"
mv "$ts2_mnt/ts" "$ts2_mnt/ts.original"

vm_log "pgsnap restore (ts_classic relocated, ts_thin at its original location)"
dest=$VM_SCEN_DIR/restore
vm_pg_dir "$dest"
restored=$dest/data
relocated=$dest/ts-classic
echo "$restored" >>"$VM_SCEN_DIR/pg.list" # teardown must find it once started
"$PGSNAP_BIN" restore "$id" --json --target "$target" --pgdata "$restored" \
	--tablespace "ts_classic=$relocated" >"$VM_SCEN_DIR/restore.json" || vm_fail "restore: exit $?"
cat "$VM_SCEN_DIR/restore.json" >&2
python3 - "$VM_SCEN_DIR/restore.json" "$id" "$restored" "$classic_oid=$relocated" "$thin_oid=$ts2_mnt/ts" <<'PY'
import json, sys
summary, id, pgdata = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
expected = dict(arg.split("=", 1) for arg in sys.argv[4:])
assert summary["id"] == id and summary["pgdata"] == pgdata and summary["recovery"] == "none", summary
assert {str(t["oid"]): t["location"] for t in summary["tablespaces"]} == expected, summary
PY
[[ $(stat -c '%a %U' "$restored") == "700 postgres" ]] || vm_fail "pgdata mode/owner: $(stat -c '%a %U' "$restored")"
[[ $(readlink "$restored/pg_tblspc/$classic_oid") == "$relocated" ]] || vm_fail "pg_tblspc/$classic_oid"
[[ $(readlink "$restored/pg_tblspc/$thin_oid") == "$ts2_mnt/ts" ]] || vm_fail "pg_tblspc/$thin_oid"
grep -qx "$classic_oid $relocated" "$restored/tablespace_map" || vm_fail "tablespace_map: $(cat "$restored/tablespace_map")"
grep -qx "$thin_oid $ts2_mnt/ts" "$restored/tablespace_map" || vm_fail "tablespace_map: $(cat "$restored/tablespace_map")"
[[ -f $restored/backup_label && ! -e $restored/recovery.signal && ! -e $restored/standby.signal ]] ||
	vm_fail "backup_label / signal files"
pg_as pg_verifybackup "$restored" >&2 || vm_fail "pg_verifybackup on the restored tree"

vm_log "start the restored cluster"
port=$(_pg_free_port)
sock=$VM_SCEN_DIR/restored-sock
vm_pg_dir "$sock"
pg_as pg_ctl start -w -t 300 -D "$restored" -l "$sock/log" -o "-p $port -k $sock -c listen_addresses=''" >&2 ||
	{ tail -30 "$sock/log" >&2; vm_fail "restored cluster did not start"; }
export PGHOST=$sock PGPORT=$port PG_LOG=$sock/log
[[ $(vm_pgbench_invariant) == t ]] || vm_fail "pgbench invariants do not hold"
[[ $(pg_psql -c "SELECT count(*) FROM pgbench_accounts") == 100000 ]] || vm_fail "pgbench_accounts rows"
[[ $(pg_psql -c "SELECT count(*) FROM thin_rows") == 20000 ]] || vm_fail "thin tablespace rows"
[[ $(pg_psql -c "SELECT pg_tablespace_location($classic_oid)") == "$relocated" ]] || vm_fail "ts_classic location"
[[ $(pg_psql -c "SELECT pg_tablespace_location($thin_oid)") == "$ts2_mnt/ts" ]] || vm_fail "ts_thin location"
pg_cluster_stop "$restored"
vm_log "ok"
