#!/bin/bash
# pgsnap estimate on real LVM (docs/sizing.md): a steady writer of distinct blocks runs during
# `estimate --probe`; with a snapshot_size far below rate × life the verdict is too_small
# (exit 12), the probe's rate is at most the block layer's (its upper bound) and not zero, and
# the probe snapshot is gone afterwards; with room to spare, exit 0. Nothing of pgsnap's is left.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"

vg=$(vm_make_vg 1 1G)
dev=$(vm_make_lv "$vg" data 300M)
mnt=$VM_SCEN_DIR/mnt/data
mkdir -p "$mnt"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dev" >&2
mount "$dev" "$mnt"
pg_cluster_start "$mnt/pgdata"
pg_as pgbench -i -q -s 1 -h "$PGHOST" -p "$PGPORT" -U postgres postgres >&2
target=$VM_SCEN_DIR/backups
mkdir -p -m 0700 "$target" "$VM_SCEN_DIR/run"

storm() {
	local i=0
	while [[ ! -e $VM_SCEN_DIR/stop ]] && ((i < 200)); do
		dd if=/dev/urandom of="$mnt/storm" bs=1M count=1 seek="$i" oflag=direct conv=notrunc status=none
		i=$((i + 1))
		sleep 1
	done
}

estimate() {
	"$PGSNAP_BIN" estimate --conninfo "host=$PGHOST port=$PGPORT user=postgres dbname=postgres" --target "$target" \
		--run-directory "$VM_SCEN_DIR/run" --json --log-level info "$@"
}

vm_log "estimate --probe under a 1 MiB/s writer, snapshot_size 8M"
storm &
storm_pid=$!
status=0
estimate --probe --sample 10 --snapshot-size 8M >"$VM_SCEN_DIR/small.json" 2>"$VM_SCEN_DIR/small.log" || status=$?
cat "$VM_SCEN_DIR/small.log" >&2
cat "$VM_SCEN_DIR/small.json" >&2
[[ $status == 12 ]] || vm_fail "estimate with a too-small snapshot_size exited $status, not 12"
python3 - "$VM_SCEN_DIR/small.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["probed"] and r["exit_status"] == 12, r
v = r["volumes"][0]
assert v["rate_source"] == "probe" and v["verdict"] == "too_small", v
probe, block = v["probe_bytes_per_second"], v["block_bytes_per_second"]
assert probe > 0, v
assert probe <= block * 1.05, ("the block counters are an upper bound of the probe", probe, block)
assert v["recommended_bytes"] > v["configured_bytes"], v
print(f"probe {probe/2**20:.2f} MiB/s, block {block/2**20:.2f} MiB/s, recommended {v['recommended_bytes']>>20} MiB")
PY
[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "probe snapshot left: $(lvs -o lv_name,lv_tags)"
[[ -z $(lvs --noheadings -o lv_name 2>/dev/null | grep _pgsnap_) ]] || vm_fail "pgsnap-named LV left: $(lvs)"

vm_log "estimate with room to spare"
status=0
estimate --sample 5 --snapshot-size 400M >"$VM_SCEN_DIR/room.json" 2>"$VM_SCEN_DIR/room.log" || status=$?
cat "$VM_SCEN_DIR/room.json" >&2
[[ $status == 0 ]] || vm_fail "estimate with a 400M snapshot_size exited $status: $(cat "$VM_SCEN_DIR/room.log")"
touch "$VM_SCEN_DIR/stop"
wait "$storm_pid" || true
[[ $(pg_psql -c "SELECT count(*) FROM pg_replication_slots") == 0 ]] || vm_fail "estimate left a replication slot"
pg_cluster_stop
vm_log "estimate scenario done"
