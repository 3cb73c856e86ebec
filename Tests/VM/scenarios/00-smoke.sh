#!/bin/bash
# Proves the harness: LVM on loop devices (classic LV, thin pool + thin LV, classic and
# thin snapshots via the CLI), PostgreSQL 15 with data, pg_wal and tablespaces on
# separate filesystems, and a query over the tmpfs Unix socket. Teardown is the trap's.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

vm_log "storage"
vg=$(vm_make_vg 2 1G)
data_dev=$(vm_make_lv "$vg" data 400M)
wal_dev=$(vm_make_lv "$vg" wal 300M)
vm_make_thin_pool "$vg" pool 600M >/dev/null
ts_dev=$(vm_make_thin_lv "$vg" pool ts 1G)
data_mnt=$(vm_mkfs_mount "$data_dev" ext4)
wal_mnt=$(vm_mkfs_mount "$wal_dev" ext4)
ts_mnt=$(vm_mkfs_mount "$ts_dev" xfs)
plain_mnt=$(vm_make_plain_fs 300M xfs)

vm_log "postgres"
pg_cluster_start "$data_mnt/pgdata" "$wal_mnt/pg_wal"
[[ $(pg_psql -c 'select 1') == 1 ]] || vm_fail "select 1 over $PGHOST"
[[ $(pg_psql -c 'show data_checksums') == on ]] || vm_fail "checksums off"
[[ $(readlink "$PGDATA/pg_wal") == "$wal_mnt/pg_wal" ]] || vm_fail "pg_wal not on its LV"
[[ $(stat -c %U "$PGDATA/base") == postgres ]] || vm_fail "data dir not owned by postgres"
pg_create_tablespace ts_thin "$ts_mnt/ts" >/dev/null
pg_create_tablespace ts_plain "$plain_mnt/ts" >/dev/null
pg_psql -c 'create table t tablespace ts_thin as select generate_series(1, 1000) i'
pg_psql -c 'create table u tablespace ts_plain as select 1 i'
[[ $(pg_psql -c 'select count(*) from t') == 1000 ]] || vm_fail "table t"
pg_psql -c checkpoint

vm_log "snapshots"
lvcreate -q -s -n data_snap -L 100M "$vg/data" >&2
lvcreate -q -s -n ts_snap "$vg/ts" >&2 # thin snapshot: no size, activation skip set
lvchange -q -ay -K "$vg/ts_snap" >&2
lvs -a -o lv_name,lv_attr,origin,pool_lv,lv_size "$vg" >&2
[[ $(lvs --noheadings -o lv_attr "$vg/data_snap" | tr -d ' ') == s* ]] || vm_fail "data_snap attr"
[[ $(lvs --noheadings -o origin "$vg/ts_snap" | tr -d ' ') == ts ]] || vm_fail "ts_snap origin"
# (Not `| tee /dev/stderr`: reopening the log by path on 9p wrote into another host file.)
st=$(dmsetup status "$vg-data_snap")
vm_log "data_snap: $st"
[[ $st == *" snapshot "* ]] || vm_fail "dm snapshot status"
st=$(dmsetup status "$vg-ts_snap")
vm_log "ts_snap: $st"
[[ $st == *" thin "* ]] || vm_fail "dm thin status"

# Snapshots of mounted filesystems: xfs needs nouuid (same UUID as the origin) and
# norecovery (read-only mount of a dirty log).
mkdir -p "$VM_SCEN_DIR/snap/data" "$VM_SCEN_DIR/snap/ts"
mount -o ro "/dev/$vg/data_snap" "$VM_SCEN_DIR/snap/data"
mount -o ro,nouuid,norecovery "/dev/$vg/ts_snap" "$VM_SCEN_DIR/snap/ts"
[[ -f $VM_SCEN_DIR/snap/data/pgdata/PG_VERSION ]] || vm_fail "PG_VERSION missing in snapshot"
compgen -G "$VM_SCEN_DIR/snap/ts/ts/PG_15_*" >/dev/null || vm_fail "tablespace dir missing in thin snapshot"

pg_cluster_stop "$PGDATA"
vm_log "ok"
