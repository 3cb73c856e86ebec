#!/bin/bash
# The README's sandbox: a scratch VG on loop devices, a PostgreSQL 15 cluster whose data
# directory, pg_wal and a tablespace each sit on their own LV (the tablespace on a thin LV),
# some data, and pgsnap's main job run against it. Everything is torn down afterwards.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../restore.sh
source "$(dirname "${BASH_SOURCE[0]}")/../restore.sh"

: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"
say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

say "scratch volume group on loop devices"
vg=$(vm_make_vg 2 1G)
data_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" data 400M)" ext4)
wal_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" wal 300M)" ext4)
vm_make_thin_pool "$vg" pool 400M >/dev/null
ts_mnt=$(vm_mkfs_mount "$(vm_make_thin_lv "$vg" pool ts 1G)" xfs)
lvs -o lv_name,lv_attr,lv_size,pool_lv,data_percent "$vg" >&2

say "scratch PostgreSQL 15 cluster: data, pg_wal and tablespace on separate LVs"
pg_cluster_start "$data_mnt/pgdata" "$wal_mnt/pg_wal"
pg_create_tablespace sandbox_ts "$ts_mnt/ts" >/dev/null
pg_psql -c "CREATE TABLE demo TABLESPACE sandbox_ts AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 10000) g"
target=$VM_SCEN_DIR/backups
mkdir -p -m 0700 "$target"
conninfo="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"

say "pgsnap check"
"$PGSNAP_BIN" check --conninfo "$conninfo" --target "$target" >&2

say "pgsnap estimate (how big the snapshots must be, from a 5 s sample of the writes)"
# Exit 12 says the configured snapshot_size is too small for what it measured: shown, not fatal.
"$PGSNAP_BIN" estimate --conninfo "$conninfo" --target "$target" --run-directory "$VM_SCEN_DIR/run" --sample 5 >&2 ||
	echo "(estimate exited $?)" >&2

say "pgsnap backup (from LVM snapshots)"
"$PGSNAP_BIN" backup --conninfo "$conninfo" --target "$target" --run-directory "$VM_SCEN_DIR/run" --log-level info >&2
id=$(basename "$(ls -d "$target"/2*)")
ls -l "$target/$id" >&2

say "pgsnap verify (every archive against backup_manifest, and the WAL)"
"$PGSNAP_BIN" verify "$id" --target "$target" >&2

say "pgsnap restore (tablespace relocated), then pg_verifybackup on the restored tree"
restored=$VM_SCEN_DIR/restore/data
"$PGSNAP_BIN" restore "$id" --target "$target" --pgdata "$restored" \
	--tablespace "sandbox_ts=$VM_SCEN_DIR/restore/sandbox_ts" >&2
ls -l "$restored/pg_tblspc" >&2
pg_as pg_verifybackup "$restored" >&2

say "start the restored cluster and query it"
pg_cluster_stop
sock=$VM_SCEN_DIR/restored
vm_pg_dir "$sock"
echo "$restored" >>"$VM_SCEN_DIR/pg.list"
pg_as pg_ctl start -w -t 300 -D "$restored" -l "$sock/log" -o "-p $PGPORT -k $sock -c listen_addresses=''" >&2
PGHOST=$sock pg_psql -c "SELECT 'restored cluster answers: ' || count(*) || ' rows in demo' FROM demo" >&2
pg_cluster_stop "$restored"
say "sandbox done"
