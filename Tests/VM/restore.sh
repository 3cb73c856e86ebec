# shellcheck shell=bash
# Restoring a pgsnap backup with nothing but zstd and tar, as a DBA would by hand; used by the
# VM scenarios (and the sandbox) after sourcing lib.sh.

# vm_restore_by_hand BACKUP_DIR DEST -> data directory. Extracts base.tar.zst into DEST/data,
# each tablespace archive into DEST/ts-<oid> (relocated: the pg_tblspc link is repointed), and
# pg_wal.tar.zst into pg_wal. tablespace_map is left as archived, so that pg_verifybackup can
# check it; vm_restore_relocate_map rewrites it before start-up.
vm_restore_by_hand() {
	local backup=$1 dest=$2 oid location
	vm_pg_dir "$dest" "$dest/data"
	zstd -dcq "$backup/base.tar.zst" | tar -x -C "$dest/data"
	if [[ -f $dest/data/tablespace_map ]]; then
		while read -r oid location; do
			vm_pg_dir "$dest/ts-$oid"
			zstd -dcq "$backup/$oid.tar.zst" | tar -x -C "$dest/ts-$oid"
			ln -sfn "$dest/ts-$oid" "$dest/data/pg_tblspc/$oid"
		done <"$dest/data/tablespace_map"
	fi
	zstd -dcq "$backup/pg_wal.tar.zst" | tar -x -C "$dest/data/pg_wal"
	echo "$dest/data"
}

# vm_restore_relocate_map DATA: point tablespace_map at the relocated directories, since
# PostgreSQL recreates pg_tblspc links from it during recovery.
vm_restore_relocate_map() {
	local data=$1 dest oid location
	dest=$(dirname "$data")
	[[ -f $data/tablespace_map ]] || return 0
	while read -r oid location; do echo "$oid $dest/ts-$oid"; done <"$data/tablespace_map" >"$data/tablespace_map.new"
	mv "$data/tablespace_map.new" "$data/tablespace_map"
	chown postgres: "$data/tablespace_map"
	chmod 600 "$data/tablespace_map"
}

# vm_verifybackup BACKUP_DIR DATA: PostgreSQL's pg_verifybackup on the extracted tree.
vm_verifybackup() {
	local backup=$1 data=$2 copy
	copy=$(dirname "$data")/backup_manifest
	install -o postgres -m 600 "$backup/backup_manifest" "$copy"
	pg_as pg_verifybackup -m "$copy" "$data" >&2
}

# vm_pgbench_invariant: pgbench's four sums agree in any consistent state ("t").
vm_pgbench_invariant() {
	pg_psql -c "SELECT (SELECT sum(abalance) FROM pgbench_accounts) = (SELECT sum(bbalance) FROM pgbench_branches)
	   AND (SELECT sum(bbalance) FROM pgbench_branches) = (SELECT sum(tbalance) FROM pgbench_tellers)
	   AND (SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT coalesce(sum(delta), 0) FROM pgbench_history)"
}
