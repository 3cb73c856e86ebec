#!/bin/bash
# The harness (a cluster from the template on LVM over loop devices, its socket on tmpfs), then
# `pgsnap check --json` on real LVM: the data directory, pg_wal and two tablespaces on
# separate LVs (classic and thin) map to the right VG/LV/type/pool; a tablespace on a plain
# loop filesystem, a target on an origin volume and a VG too small for its snapshots are
# each reported with their own exit code.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"

vg=$(vm_make_vg 2 1G)
data_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" data 400M)" ext4)
wal_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" wal 300M)" ext4)
ts1_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" ts1 300M)" xfs)
vm_make_thin_pool "$vg" pool 400M >/dev/null
ts2_mnt=$(vm_mkfs_mount "$(vm_make_thin_lv "$vg" pool ts2 1G)" ext4)
target=$VM_SCEN_DIR/backups
mkdir -p "$target"

pg_cluster_start "$data_mnt/pgdata" "$wal_mnt/pg_wal"
# The harness itself (this is the first scenario): the server answers over the tmpfs socket,
# with checksums, its WAL on its own LV, its files owned by postgres.
[[ $(pg_psql -c 'select 1') == 1 ]] || vm_fail "select 1 over $PGHOST"
[[ $(pg_psql -c 'show data_checksums') == on ]] || vm_fail "checksums off"
[[ $(readlink "$PGDATA/pg_wal") == "$wal_mnt/pg_wal" ]] || vm_fail "pg_wal not on its LV"
[[ $(stat -c %U "$PGDATA/base") == postgres ]] || vm_fail "data dir not owned by postgres"
pg_create_tablespace ts_classic "$ts1_mnt/ts" >/dev/null
pg_create_tablespace ts_thin "$ts2_mnt/ts" >/dev/null
conninfo="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"

check() { "$PGSNAP_BIN" check --json --conninfo "$conninfo" "$@"; }

vm_log "layout on LVM"
set +e
check --target "$target" --snapshot-size 10% >"$VM_SCEN_DIR/check.json"
status=$?
set -e
cat "$VM_SCEN_DIR/check.json" >&2
[[ $status == 0 ]] || vm_fail "check exited $status on a valid LVM layout"
python3 - "$VM_SCEN_DIR/check.json" "$vg" <<'PY'
import json, sys
report, vg = json.load(open(sys.argv[1])), sys.argv[2]
by_name = {d["name"]: d for d in report["directories"]}
expect = {"pg_default": ("data", "classic", None), "pg_global": ("data", "classic", None),
          "pg_wal": ("wal", "classic", None), "ts_classic": ("ts1", "classic", None),
          "ts_thin": ("ts2", "thin", "pool")}
assert set(by_name) == set(expect), by_name.keys()
for name, (lv, kind, pool) in expect.items():
    lvm = by_name[name]["lvm"]
    got = (lvm["vg"], lvm["lv"], lvm["type"], lvm["pool"])
    assert got == (vg, lv, kind, pool), (name, got)
    assert by_name[name]["device_mapper"]["uuid"].startswith("LVM-"), name
    assert by_name[name]["filesystem"] == ("xfs" if name == "ts_classic" else "ext4"), name
thin = by_name["ts_thin"]["lvm"]
assert thin["pool_data_percent"] is not None and thin["pool_metadata_percent"] is not None, thin
snapshots = {s["lv"]: s for s in report["snapshots"]}
# pg_wal is copied live after backup mode ends, so its LV gets no snapshot.
assert set(snapshots) == {"data", "ts1", "ts2"}, snapshots.keys()
assert sorted(snapshots["data"]["directories"]) == ["pg_default", "pg_global"]
assert snapshots["ts2"]["snapshot_bytes"] is None
assert snapshots["data"]["snapshot_bytes"] == 40 * 2**20, snapshots["data"]
assert report["ok"] is True and report["problems"] == []
print("layout ok")
PY

vm_log "target on an origin volume"
mkdir -p "$ts1_mnt/backups"
set +e; check --target "$ts1_mnt/backups" >"$VM_SCEN_DIR/origin.json"; status=$?; set -e
[[ $status == 6 ]] || vm_fail "target on origin: exit $status, expected 6"
grep -q '"target_on_origin"' "$VM_SCEN_DIR/origin.json" || vm_fail "target_on_origin not reported"

vm_log "volume group too small for its snapshots"
set +e; check --target "$target" --snapshot-size 100% >"$VM_SCEN_DIR/space.json"; status=$?; set -e
[[ $status == 5 ]] || vm_fail "no VG space: exit $status, expected 5"
grep -q '"vg_free_space"' "$VM_SCEN_DIR/space.json" || vm_fail "vg_free_space not reported"

vm_log "tablespace on a plain filesystem"
plain_mnt=$(vm_make_plain_fs 100M ext4)
pg_create_tablespace ts_plain "$plain_mnt/ts" >/dev/null
set +e; check --target "$target" >"$VM_SCEN_DIR/plain.json"; status=$?; set -e
[[ $status == 5 ]] || vm_fail "plain tablespace: exit $status, expected 5"
python3 - "$VM_SCEN_DIR/plain.json" "$plain_mnt/ts" <<'PY'
import json, sys
report, path = json.load(open(sys.argv[1])), sys.argv[2]
problems = [p for p in report["problems"] if p["code"] == "not_on_lvm"]
assert len(problems) == 1, report["problems"]
assert "ts_plain" in problems[0]["message"] and path in problems[0]["message"], problems[0]
print("plain tablespace reported:", problems[0]["message"])
PY
text=$("$PGSNAP_BIN" check --conninfo "$conninfo" --target "$target" 2>&1 || true)
grep -q "PROBLEM: tablespace ts_plain" <<<"$text" || vm_fail "text output does not name ts_plain: $text"

pg_cluster_stop
vm_log "ok"
