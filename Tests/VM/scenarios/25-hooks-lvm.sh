#!/bin/bash
# Hooks around a real LVM-snapshot backup: all four events in order, with the volumes and
# snapshots named; post-snapshot sees the snapshots existing; the fsfreeze example freezes an
# application filesystem and leaves it thawed; a failing pre-snapshot hook exits 11, still
# runs post-snapshot, and leaves no snapshot, mount or slot behind.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

vg=$(vm_make_vg 1 1G)
data_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" data 300M)" ext4)
app_mnt=$(vm_mkfs_mount "$(vm_make_lv "$vg" app 100M)" ext4)
target=$VM_SCEN_DIR/backups
run_dir=$VM_SCEN_DIR/run
hooks=$VM_SCEN_DIR/hooks
out=$VM_SCEN_DIR/hook-out
mkdir -p -m 0700 "$target" "$run_dir" "$out"
install -d -m 0755 "$hooks"

pg_cluster_start "$data_mnt/pgdata"
conninfo="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"
backup() {
	"$PGSNAP_BIN" backup --conninfo "$conninfo" --target "$target" --run-directory "$run_dir" \
		--hook-directory "$hooks" --hook-timeout 60 --log-level info "$@"
}

# A recording hook: its event, its environment, and the pgsnap snapshots LVM knows right now.
recorder() {
	cat >"$hooks/$1" <<-HOOK
		#!/bin/sh
		echo "\$PGSNAP_EVENT" >> "$out/order"
		env > "$out/env.\$PGSNAP_EVENT"
		lvs --noheadings -o lv_name @pgsnap > "$out/lvs.\$PGSNAP_EVENT" 2>&1
		${2:-exit 0}
	HOOK
	chmod 0755 "$hooks/$1"
}
var() { sed -n "s/^$2=//p" "$out/env.$1"; }

vm_log "all four events around an LVM backup"
for event in pre-backup pre-snapshot post-snapshot post-backup; do recorder "$event"; done
backup --json >"$VM_SCEN_DIR/backup.json"
[[ $(tr '\n' ' ' <"$out/order") == "pre-backup pre-snapshot post-snapshot post-backup " ]] ||
	vm_fail "order: $(cat "$out/order")"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$VM_SCEN_DIR/backup.json")
[[ $(var pre-snapshot PGSNAP_VOLUMES) == "$vg/data" ]] || vm_fail "PGSNAP_VOLUMES: $(var pre-snapshot PGSNAP_VOLUMES)"
[[ -n $(var pre-snapshot PGSNAP_START_LSN) ]] || vm_fail "no PGSNAP_START_LSN in pre-snapshot"
[[ ! -s $out/lvs.pre-snapshot ]] || vm_fail "snapshots before pre-snapshot: $(cat "$out/lvs.pre-snapshot")"
snapshot=$(var post-snapshot PGSNAP_SNAPSHOTS)
[[ $snapshot == "$vg/data_pgsnap_$id" ]] || vm_fail "PGSNAP_SNAPSHOTS: $snapshot"
grep -q "data_pgsnap_$id" "$out/lvs.post-snapshot" || vm_fail "post-snapshot ran before the snapshot existed"
[[ $(var post-snapshot PGSNAP_STATUS) == success ]] || vm_fail "post-snapshot status"
[[ ! -s $out/lvs.post-backup ]] || vm_fail "post-backup ran before teardown: $(cat "$out/lvs.post-backup")"
[[ $(var post-backup PGSNAP_BACKUP_DIRECTORY) == "$target/$id" ]] || vm_fail "PGSNAP_BACKUP_DIRECTORY"

vm_log "the fsfreeze example leaves the application filesystem thawed"
rm -f "$hooks"/* "$out"/*
install -m 0755 "$repo/hooks/examples/fsfreeze" "$hooks/fsfreeze"
ln -s fsfreeze "$hooks/pre-snapshot"
ln -s fsfreeze "$hooks/post-snapshot"
# Next to the hook, not in /etc: the guest shares the host's root filesystem.
echo "FSFREEZE_MOUNTPOINTS=\"$app_mnt\"" >"$hooks/fsfreeze.conf"
chmod 0644 "$hooks/fsfreeze.conf"
backup >"$VM_SCEN_DIR/freeze.out" 2>&1 || vm_fail "backup with fsfreeze: $(cat "$VM_SCEN_DIR/freeze.out")"
grep -q "hook pre-snapshot: froze $app_mnt" "$VM_SCEN_DIR/freeze.out" || vm_fail "not frozen: $(cat "$VM_SCEN_DIR/freeze.out")"
grep -q "hook post-snapshot: thawed $app_mnt" "$VM_SCEN_DIR/freeze.out" || vm_fail "not thawed"
timeout 10 touch "$app_mnt/still-writable" || vm_fail "$app_mnt is still frozen"
[[ ! -e /run/pgsnap-fsfreeze.watchdog ]] || vm_fail "the fsfreeze watchdog was not stopped"

vm_log "a failing pre-snapshot hook: exit 11, post-snapshot still runs, nothing left"
rm -f "$hooks"/* "$out"/*
recorder pre-snapshot "echo 'array busy' >&2; exit 1"
recorder post-snapshot
recorder post-backup
before=$(ls "$target")
set +e
backup >"$VM_SCEN_DIR/refused.out" 2>&1
status=$?
set -e
[[ $status == 11 ]] || vm_fail "exit $status, expected 11: $(cat "$VM_SCEN_DIR/refused.out")"
grep -q "pre-snapshot hook $hooks/pre-snapshot exited with status 1: array busy" "$VM_SCEN_DIR/refused.out" ||
	vm_fail "message: $(cat "$VM_SCEN_DIR/refused.out")"
[[ $(tr '\n' ' ' <"$out/order") == "pre-snapshot post-snapshot post-backup " ]] || vm_fail "order: $(cat "$out/order")"
[[ $(var post-snapshot PGSNAP_STATUS) == failure && $(var post-snapshot PGSNAP_EXIT_STATUS) == 11 ]] ||
	vm_fail "post-snapshot: $(cat "$out/env.post-snapshot")"
[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "snapshots left"
[[ $(pg_psql -c "SELECT count(*) FROM pg_replication_slots") == 0 ]] || vm_fail "replication slot left"
# The refusal came before the target was touched: the earlier backups and nothing else.
[[ $(ls "$target") == "$before" ]] || vm_fail "target: $(ls "$target"), before: $before"

pg_cluster_stop
vm_log "ok"
