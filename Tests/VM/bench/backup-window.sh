#!/bin/bash
# Benchmark (not a test): backup mode's window and the LVM commands inside it, for the
# sandbox's layout (data directory and pg_wal on classic LVs, a tablespace on a thin LV:
# three snapshots). Runs PGSNAP_BIN and, when set, PGSNAP_BEFORE_BIN (an older pgsnap)
# alternately, PGSNAP_BENCH_ROUNDS times each (default 2), and prints each run's
# backup_mode_seconds and, where backup.json records it, backup_mode_window.lvm_commands.
# Asserts only what must hold for any build: every backup succeeds and leaves nothing.
#   PGSNAP_BIN=... PGSNAP_BEFORE_BIN=... scripts/vm/run Tests/VM/bench/backup-window.sh
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"
rounds=${PGSNAP_BENCH_ROUNDS:-2}

vg=$(vm_make_vg 2 1G)
data_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" data 400M)" ext4)
wal_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" wal 300M)" ext4)
vm_make_thin_pool "$vg" pool 400M >/dev/null
ts_mnt=$(vm_mkfs_mount "$(vm_make_thin_lv "$vg" pool ts 1G)" xfs)
pg_cluster_start "$data_mnt/pgdata" "$wal_mnt/pg_wal"
pg_create_tablespace bench_ts "$ts_mnt/ts" >/dev/null
pg_psql -c "CREATE TABLE demo TABLESPACE bench_ts AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 10000) g"
target=$VM_SCEN_DIR/backups
mkdir -p -m 0700 "$target" "$VM_SCEN_DIR/run"
conninfo="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"

bench_one() {
	local label=$1 bin=$2 out=$VM_SCEN_DIR/$1-$3
	"$bin" backup --conninfo "$conninfo" --target "$target" --run-directory "$VM_SCEN_DIR/run" \
		--json --log-level info >"$out.json" 2>"$out.log" || { cat "$out.log" >&2; vm_fail "$label backup failed"; }
	[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "$label left a snapshot"
	python3 - "$label" "$out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
w = r.get("backup_mode_window") or {}
print(f"BENCH {sys.argv[1]}: backup_mode_seconds={r['backup_mode_seconds']:.2f} "
      f"lvm_commands={w.get('lvm_commands', 'not recorded')} "
      f"snapshot_create_seconds={[v.get('snapshot_create_seconds') for v in r['volumes'] if v.get('origin')]}")
PY
	grep -E "created in|backup mode window" "$out.log" >&2 || true
}

for ((i = 1; i <= rounds; i++)); do
	[[ -z ${PGSNAP_BEFORE_BIN:-} ]] || bench_one before "$PGSNAP_BEFORE_BIN" "$i"
	bench_one after "$PGSNAP_BIN" "$i"
done
