# shellcheck shell=bash
# Helpers for VM scenarios (Tests/VM/scenarios/*.sh), run as root by guest-driver.sh.
#
# Everything a helper creates is findable without any in-memory state, so that
# vm_teardown works even after the scenario died half way:
#   - loop backing files, mount points, sockets, logs live under $VM_SCEN_DIR (tmpfs);
#   - every VG name starts with $VM_VG_PREFIX;
#   - every PostgreSQL data directory started here is listed in $VM_SCEN_DIR/pg.list.
# Helpers that create something print its name/path on stdout (use x=$(helper ...));
# LVM/mkfs chatter goes to stderr, i.e. the scenario log.

set -euo pipefail
shopt -s inherit_errexit # without it, `x=$(helper)` ignores failures inside helper
set -E                   # ERR trap in functions too

: "${VM_SCEN_DIR:?run scenarios through scripts/vm/run}"
: "${VM_VG_PREFIX:?run scenarios through scripts/vm/run}"
: "${PG_BINDIR:=/usr/lib/postgresql/15/bin}"
export LVM_SUPPRESS_FD_WARNINGS=1 # virtme leaves console fds open; LVM warns per command

# LVM's configuration for the scenario (its commands and pgsnap's liblvm2cmd both read
# LVM_SYSTEM_DIR). By default a lean one: no waiting for udevd (LVM makes the device nodes
# itself), no metadata backups, no dmeventd monitoring, only loop devices scanned. Measured
# in the guest: lvcreate -s 8-9 s -> 3-5 s, lvremove 5-6 s -> 2-4 s under emulation. A
# scenario that sets VM_LVM_CONFIG=host before sourcing this keeps the guest's default
# configuration, udev-synchronised as on a database host (20-backup-lvm does).
if [[ ${VM_LVM_CONFIG:-lean} == lean ]]; then
	export LVM_SYSTEM_DIR=$VM_SCEN_DIR/lvm
	if [[ ! -f $LVM_SYSTEM_DIR/lvm.conf ]]; then
		mkdir -p "$LVM_SYSTEM_DIR"
		cat >"$LVM_SYSTEM_DIR/lvm.conf" <<-'CONF'
			devices { filter = [ "a|^/dev/loop|", "r|.*|" ] obtain_device_list_from_udev = 0 }
			activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
			backup { backup = 0 archive = 0 }
			global { use_lvmpolld = 0 }
		CONF
	fi
fi

vm_log() { printf '[%(%T)T] %s\n' -1 "$*" >&2; }
vm_fail() {
	vm_log "FAIL: $*"
	exit 1
}

# Names must survive $(...) subshells, so the counter lives in a file.
_vm_seq() {
	local f=$VM_SCEN_DIR/.seq n=0
	[[ ! -f $f ]] || n=$(<"$f")
	echo $((n + 1)) >"$f"
	echo $((n + 1))
}

# vm_make_loop SIZE -> /dev/loopN backed by a sparse file on tmpfs.
# tmpfs, because loop files on the 9p root are ~7x slower.
vm_make_loop() {
	local f
	f=$VM_SCEN_DIR/disks/disk$(_vm_seq).img
	mkdir -p "${f%/*}"
	truncate -s "$1" "$f"
	losetup --find --show "$f"
}

# vm_make_vg [NPV=1] [PV_SIZE=1G] -> VG name (unique: $VM_VG_PREFIX + counter)
vm_make_vg() {
	local n=${1:-1} size=${2:-1G} vg loop pvs=() i
	vg=${VM_VG_PREFIX}vg$(_vm_seq)
	for ((i = 0; i < n; i++)); do
		loop=$(vm_make_loop "$size")
		pvs+=("$loop")
	done
	vgcreate -q "$vg" "${pvs[@]}" >&2
	echo "$vg"
}

# vm_make_lv VG NAME SIZE -> /dev/VG/NAME (classic linear LV)
vm_make_lv() {
	lvcreate -q -y -n "$2" -L "$3" "$1" >&2
	echo "/dev/$1/$2"
}

# vm_make_thin_pool VG POOL SIZE -> VG/POOL
vm_make_thin_pool() {
	lvcreate -q -y --type thin-pool -n "$2" -L "$3" "$1" >&2
	echo "$1/$2"
}

# vm_make_thin_lv VG POOL NAME VIRTUAL_SIZE -> /dev/VG/NAME
vm_make_thin_lv() {
	lvcreate -q -y --type thin --thinpool "$2" -n "$3" -V "$4" "$1" >&2
	echo "/dev/$1/$3"
}

# vm_mkfs_mount DEV [ext4|xfs] [MOUNTPOINT] -> mount point
# (default mount point: $VM_SCEN_DIR/mnt/<dev path with / as _>). xfs needs >= 300M.
vm_mkfs_mount() {
	local dev=$1 fs=${2:-ext4} mnt=${3:-}
	[[ -n $mnt ]] || mnt=$VM_SCEN_DIR/mnt/$(tr / _ <<<"${dev#/dev/}")
	case $fs in
	ext4) mkfs.ext4 -q -F "$dev" >&2 ;;
	xfs) mkfs.xfs -q -f "$dev" >&2 ;;
	*) vm_fail "vm_mkfs_mount: unsupported fs $fs" ;;
	esac
	mkdir -p "$mnt"
	mount "$dev" "$mnt"
	echo "$mnt"
}

# vm_make_plain_fs SIZE [ext4|xfs] -> mount point of a loop filesystem without LVM
# (for "tablespace not on LVM").
vm_make_plain_fs() {
	local loop
	loop=$(vm_make_loop "$1")
	vm_mkfs_mount "$loop" "${2:-ext4}" "$VM_SCEN_DIR/mnt/plain$(_vm_seq)"
}

# vm_pg_dir DIR... : create (if needed) and hand over to postgres, mode 700.
vm_pg_dir() {
	install -d -o postgres -g postgres -m 700 "$@"
}

# Run a PostgreSQL binary as postgres. cd / so that it never starts in a directory
# postgres can't read (e.g. /root).
pg_as() {
	(cd / && runuser -u postgres -- "$PG_BINDIR/$1" "${@:2}")
}

# First port nobody listens on (TCP on localhost; the Unix socket dir is private anyway).
_pg_free_port() {
	local p
	for ((p = 54320; p < 54420; p++)); do
		if ! (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	vm_fail "no free port"
}

# Same options as scripts/vm/run's template cluster.
_pg_initdb_opts=(--no-instructions -A trust -U postgres --data-checksums)

# initdb takes ~45 s under emulation, so scripts/vm/run makes one template cluster on the
# host ($PGSNAP_VM_PG_TEMPLATE, a .tgz); unpacking it is equivalent to initdb (--waldir
# included). All clusters made from it share one system identifier: unset the variable
# for a real initdb.
_pg_copy_template() {
	local data=$1 wal=$2
	tar -xzf "$PGSNAP_VM_PG_TEMPLATE" -C "$data"
	if [[ -n $wal ]]; then
		cp -a "$data/pg_wal/." "$wal/"
		rm -rf "$data/pg_wal"
		ln -s "$wal" "$data/pg_wal"
	fi
	chown -hR postgres:postgres "$data" ${wal:+"$wal"}
}

# pg_cluster_start DATADIR [WALDIR]
# initdb --data-checksums (or unpack the template), WAL in WALDIR as with --waldir if
# given, and start PostgreSQL 15 as
# postgres, socket + log on tmpfs (Unix sockets can't be created on 9p). Exports
# PGDATA PGHOST PGPORT PGUSER PGDATABASE (and PG_LOG) so psql/pgsnap just connect.
# DATADIR/WALDIR should be subdirectories of mount points (mkfs leaves lost+found).
pg_cluster_start() {
	local data=$1 wal=${2:-} port sock
	port=$(_pg_free_port)
	sock=$VM_SCEN_DIR/pg$port
	vm_pg_dir "$data" "$sock" ${wal:+"$wal"}
	if [[ -f ${PGSNAP_VM_PG_TEMPLATE:-} ]]; then
		_pg_copy_template "$data" "$wal"
	else
		pg_as initdb "${_pg_initdb_opts[@]}" -D "$data" ${wal:+--waldir="$wal"} >&2
	fi
	echo "$data" >>"$VM_SCEN_DIR/pg.list" # before start: teardown must find it
	if ! pg_as pg_ctl start -w -t 120 -D "$data" -l "$sock/log" \
		-o "-p $port -k $sock -c listen_addresses=127.0.0.1" >&2; then
		tail -n 30 "$sock/log" >&2 || true
		vm_fail "pg_ctl start failed for $data"
	fi
	export PGDATA=$data PGHOST=$sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	export PG_LOG=$sock/log
}

# pg_psql ARGS... : psql against the current cluster; unaligned, tuples only, stop on error.
pg_psql() {
	"$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# pg_create_tablespace NAME DIR -> DIR (created, owned by postgres; put it on another LV)
pg_create_tablespace() {
	vm_pg_dir "$2"
	pg_psql -c "CREATE TABLESPACE $1 LOCATION '$2'" >&2
	echo "$2"
}

# pg_cluster_stop [DATADIR=$PGDATA] [MODE=fast]
pg_cluster_stop() {
	pg_as pg_ctl stop -w -t 120 -D "${1:-$PGDATA}" -m "${2:-fast}" >&2
}

# vm_teardown: remove everything this scenario created (idempotent, best effort).
# Order matters: servers hold files on the mounts, mounts hold the LVs, LVs hold the loops.
# Returns non-zero if something is left over.
vm_teardown() {
	set +e
	local d pid m vg dm loop file
	cd / || return 1
	if [[ -f $VM_SCEN_DIR/pg.list ]]; then
		while read -r d; do
			[[ -f $d/postmaster.pid ]] || continue
			pid=$(head -n 1 "$d/postmaster.pid")
			pg_as pg_ctl stop -w -t 30 -D "$d" -m immediate >/dev/null 2>&1 ||
				{ pkill -9 -P "$pid"; kill -9 "$pid"; } 2>/dev/null
		done <"$VM_SCEN_DIR/pg.list"
	fi
	# Deepest first; also catch LVs/snapshots mounted outside $VM_SCEN_DIR (e.g. by pgsnap).
	for m in $(_vm_our_mounts | sort -r); do
		umount "$m" 2>/dev/null || { fuser -km "$m" && sleep 1 && umount "$m"; } >/dev/null 2>&1 || umount -l "$m"
	done
	for vg in $(vgs --noheadings -o vg_name 2>/dev/null); do
		[[ $vg != "$VM_VG_PREFIX"* ]] || vgremove -ff -y "$vg" >/dev/null 2>&1
	done
	for dm in $(dmsetup ls 2>/dev/null | cut -f1); do # dm devices LVM lost track of
		[[ $dm != "$VM_VG_PREFIX"* ]] || dmsetup remove --force --retry "$dm" >/dev/null 2>&1
	done
	while read -r loop file; do
		[[ $file != "$VM_SCEN_DIR"/* ]] || losetup -d "$loop"
	done < <(losetup -n -O NAME,BACK-FILE 2>/dev/null)
	_vm_leftovers || { rm -rf "$VM_SCEN_DIR/disks" && return 0; }
	vm_log "teardown left behind:"
	_vm_leftovers >&2
	return 1
}

# Mount points under $VM_SCEN_DIR, of our VGs' LVs, or of loops backed by our files.
_vm_our_mounts() {
	local m src
	findmnt -rn -o TARGET,SOURCE | while read -r m src; do
		if [[ $m == "$VM_SCEN_DIR"/* || $src == /dev/mapper/"$VM_VG_PREFIX"* ]] ||
			{ [[ $src == /dev/loop* ]] && losetup -n -O BACK-FILE "$src" | grep -q "^$VM_SCEN_DIR/"; }; then
			echo "$m"
		fi
	done
}

# Prints leftovers; succeeds if there are any.
_vm_leftovers() {
	{
		_vm_our_mounts | sed 's/^/mount /'
		vgs --noheadings -o vg_name 2>/dev/null | awk -v p="$VM_VG_PREFIX" 'index($1, p) == 1 { print "vg " $1 }'
		losetup -n -O NAME,BACK-FILE 2>/dev/null | awk -v d="$VM_SCEN_DIR/" 'index($2, d) == 1 { print "loop " $0 }'
	} | grep .
}

# On failure, dump what the storage and the server looked like before tearing down.
_vm_on_exit() {
	local rc=$1
	trap - ERR
	if ((rc != 0)); then
		vm_log "scenario failed (rc=$rc); state before teardown:"
		{ lvs -a -o vg_name,lv_name,lv_attr,lv_size,pool_lv,origin,data_percent 2>&1 | grep -e VG -e "$VM_VG_PREFIX"; } >&2
		[[ -z ${PG_LOG:-} ]] || tail -n 20 "$PG_LOG" >&2
	fi
	vm_teardown >&2 || ((rc != 0)) || rc=1
	exit "$rc"
}

trap 'vm_log "command failed (rc=$?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR
trap '_vm_on_exit $?' EXIT
