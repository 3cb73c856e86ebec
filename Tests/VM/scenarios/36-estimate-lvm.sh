#!/bin/bash
# pgsnap estimate on real LVM (docs/sizing.md): a steady writer of distinct blocks runs during
# `estimate --probe`; with a snapshot_size far below rate × life the verdict is too_small
# (exit 12), the probe's rate is at most the block layer's (its upper bound) and not zero, and
# the probe snapshot is gone afterwards; with room to spare, exit 0. Then the estimate against
# the backup it predicts: with one backup's history, `estimate --probe`'s projected copy-on-write
# use is within ±25% of the next backup's measured peak under the same writer. Then a backup
# with snapshot_size = auto: sized from the sample and the history (snapshot_size_choice in
# backup.json, the log line), never extended, and it verifies. A SIGKILLed `estimate --probe`
# leaves its probe snapshot: `cleanup` removes it, and so does the next backup. Nothing of
# pgsnap's is left.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${PGSNAP_BIN:?PGSNAP_BIN must point at the pgsnap binary}"

vg=$(vm_make_vg 1 1G)
dev=$(vm_make_lv "$vg" data 500M)
mnt=$VM_SCEN_DIR/mnt/data
mkdir -p "$mnt"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dev" >&2
mount "$dev" "$mnt"
pg_cluster_start "$mnt/pgdata"
pg_as pgbench -i -q -s 1 -h "$PGHOST" -p "$PGPORT" -U postgres postgres >&2
target=$VM_SCEN_DIR/backups
mkdir -p -m 0700 "$target" "$VM_SCEN_DIR/run"

# storm NAME [MAX_MIB]: 1 MiB of distinct blocks a second into $mnt/NAME until $VM_SCEN_DIR/stop-NAME.
storm() {
	local i=0
	while [[ ! -e $VM_SCEN_DIR/stop-$1 ]] && ((i < ${2:-200})); do
		dd if=/dev/urandom of="$mnt/$1" bs=1M count=1 seek="$i" oflag=direct conv=notrunc status=none
		i=$((i + 1))
		sleep 1
	done
}
stop_storm() {
	touch "$VM_SCEN_DIR/stop-$1"
	wait "$2" || true
	rm -f "$mnt/$1"
}
backup() {
	"$PGSNAP_BIN" backup --conninfo "host=$PGHOST port=$PGPORT user=postgres dbname=postgres" --target "$target" \
		--run-directory "$VM_SCEN_DIR/run" --json --log-level info "$@"
}
no_pgsnap_leftovers() {
	[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "pgsnap snapshot left: $(lvs -o lv_name,lv_tags)"
	[[ -z $(lvs --noheadings -o lv_name 2>/dev/null | grep _pgsnap_) ]] || vm_fail "pgsnap-named LV left: $(lvs)"
	[[ $(pg_psql -c "SELECT count(*) FROM pg_replication_slots") == 0 ]] || vm_fail "a replication slot left"
	! grep -q " $VM_SCEN_DIR/run/mnt" /proc/self/mounts || vm_fail "pgsnap mounts left"
}

estimate() {
	"$PGSNAP_BIN" estimate --conninfo "host=$PGHOST port=$PGPORT user=postgres dbname=postgres" --target "$target" \
		--run-directory "$VM_SCEN_DIR/run" --json --log-level info "$@"
}

vm_log "estimate --probe under a 1 MiB/s writer, snapshot_size 8M"
storm first &
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
stop_storm first "$storm_pid"
[[ $(pg_psql -c "SELECT count(*) FROM pg_replication_slots") == 0 ]] || vm_fail "estimate left a replication slot"

# probe_then_kill: SIGKILL an `estimate --probe` once its probe snapshot exists.
probe_then_kill() {
	# pgsnap itself in the background (not the shell function, whose subshell $! would name).
	"$PGSNAP_BIN" estimate --conninfo "host=$PGHOST port=$PGPORT user=postgres dbname=postgres" --target "$target" \
		--run-directory "$VM_SCEN_DIR/run" --probe --sample 60 --snapshot-size 8M >/dev/null 2>"$VM_SCEN_DIR/killed.log" &
	local pid=$!
	for _ in $(seq 1 300); do
		[[ -n $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] && break
		sleep 0.2
	done
	[[ -n $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "no probe snapshot: $(cat "$VM_SCEN_DIR/killed.log")"
	kill -KILL "$pid"
	wait "$pid" || true
	[[ -n $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "the killed estimate removed its probe"
}

vm_log "SIGKILL during estimate --probe: cleanup removes the probe snapshot"
probe_then_kill
"$PGSNAP_BIN" cleanup --target "$target" --run-directory "$VM_SCEN_DIR/run" >&2 || vm_fail "cleanup: exit $?"
[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "cleanup left the probe: $(lvs -o lv_name,lv_tags)"

vm_log "SIGKILL during estimate --probe: the next backup removes the probe snapshot"
probe_then_kill
storm second 170 &
storm_pid=$!
backup --snapshot-size 200M >"$VM_SCEN_DIR/history.json" 2>"$VM_SCEN_DIR/history.log" ||
	{ cat "$VM_SCEN_DIR/history.log" >&2; vm_fail "the history backup failed"; }
grep -q "removing leftover snapshot $vg/data_pgsnap_" "$VM_SCEN_DIR/history.log" || vm_fail "the backup did not say it removed the probe: $(cat "$VM_SCEN_DIR/history.log")"
[[ -z $(lvs --noheadings -o lv_name @pgsnap 2>/dev/null) ]] || vm_fail "the backup left the probe: $(lvs -o lv_name,lv_tags)"

vm_log "estimate --probe against the backup it predicts"
estimate --probe --sample 10 --snapshot-size 200M >"$VM_SCEN_DIR/predict.json" 2>"$VM_SCEN_DIR/predict.log" ||
	{ cat "$VM_SCEN_DIR/predict.log" "$VM_SCEN_DIR/predict.json" >&2; vm_fail "estimate before the measured backup failed"; }
backup --snapshot-size 200M >"$VM_SCEN_DIR/measured.json" 2>"$VM_SCEN_DIR/measured.log" ||
	{ cat "$VM_SCEN_DIR/measured.log" >&2; vm_fail "the measured backup failed"; }
stop_storm second "$storm_pid"
no_pgsnap_leftovers
python3 - "$VM_SCEN_DIR/predict.json" "$VM_SCEN_DIR/measured.json" "$vg/data" <<'PY'
import json, sys
estimate, backup, origin = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
v = next(v for v in estimate["volumes"] if v["origin"] == origin)
assert v["rate_source"] == "probe" and v["life_source"] == "history", v
b = next(b for b in backup["volumes"] if b.get("origin") == origin)
peak = max(s["bytes"] for s in b["fill_history"] if s.get("bytes") is not None)
ratio = v["projected_bytes"] / peak
print(f"estimate: {v['probe_bytes_per_second']/2**20:.2f} MiB/s x {v['snapshot_life_seconds']:.1f} s = "
      f"{v['projected_bytes']/2**20:.1f} MiB; backup's peak {peak/2**20:.1f} MiB over "
      f"{b['fill_history'][-1]['seconds']:.1f} s: ratio {ratio:.2f}")
assert 0.75 <= ratio <= 1.25, f"projected/measured {ratio:.2f} is outside ±25%"
# What snapshot_size = auto would choose now: at least the projection with the safety factor
# (or the default snapshot_size_min, 256 MiB, that raised it).
assert v["auto_bytes"] >= min(v["recommended_bytes"], 256 << 20), v
print(f"auto would choose {v['auto_bytes']>>20} MiB (limited by {v['auto_limited_by']})")
PY

vm_log "backup with snapshot_size = auto"
storm third 170 &
storm_pid=$!
status=0
backup --snapshot-size auto --snapshot-size-min 16M --snapshot-size-sample 5 \
	>"$VM_SCEN_DIR/auto.json" 2>"$VM_SCEN_DIR/auto.log" || status=$?
stop_storm third "$storm_pid"
cat "$VM_SCEN_DIR/auto.log" >&2
[[ $status == 0 ]] || vm_fail "the auto-sized backup exited $status"
no_pgsnap_leftovers
grep -q "snapshot of $vg/data sized .*: auto: " "$VM_SCEN_DIR/auto.log" || vm_fail "no sizing line in the log"
python3 - "$VM_SCEN_DIR/auto.json" "$VM_SCEN_DIR/measured.json" "$vg/data" <<'PY'
import json, sys
auto, measured, origin = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
v = next(v for v in auto["volumes"] if v.get("origin") == origin)
c = v["snapshot_size_choice"]
assert c["life_source"] == "history" and c["bytes_per_second"] > 0, c
assert v["snapshot_bytes"] == c["chosen_bytes"] and c["minimum_bytes"] <= c["chosen_bytes"] <= c["maximum_bytes"], (v, c)
m = next(m for m in measured["volumes"] if m.get("origin") == origin)
peak = max(s["bytes"] for s in m["fill_history"] if s.get("bytes") is not None)
assert c["history_peak_bytes"] is not None and c["projected_bytes"] >= c["history_peak_bytes"] >= peak, (c, peak)
assert not v.get("extensions"), ("an auto-sized snapshot was extended", v.get("extensions"))
print(f"auto: chosen {c['chosen_bytes']>>20} MiB for a projected {c['projected_bytes']>>20} MiB, "
      f"peak fill {v['peak_fill_percent']:.0f}%")
PY
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$VM_SCEN_DIR/auto.json")
"$PGSNAP_BIN" verify "$id" --target "$target" >&2 || vm_fail "the auto-sized backup does not verify"
pg_cluster_stop
vm_log "estimate scenario done"
