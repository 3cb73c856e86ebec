#!/usr/bin/env bash
# The proof of the Debian package (issue 13): scripts/package/build makes the .deb; lintian finds
# no error or warning; every man page renders; then, in a fresh Debian 12 root made by
# debootstrap (no /opt/swift, only Debian's packages), apt-get installs the package's declared
# dependencies, `dpkg -i` installs it, and the installed pgsnap runs: --version, check --help,
# the units' commands with the packaged configuration, and `pgsnap check` against a real
# PostgreSQL refused the way docs/exit-codes.md says for a host without device-mapper (exit 5).
#
# Usage (as root): Tests/Package/debian12-chroot.sh   (scripts/test package runs it)
# Needs: scripts/install-deps (debootstrap, lintian, dpkg-dev, man-db, PostgreSQL 15) and the
# network to the host's Debian mirror the first time. Downloads are kept in $PGSNAP_PACKAGE_CACHE
# (default /var/cache/pgsnap): the debootstrap tarball and apt's archives, so a rerun is quick.
# Everything else lives in one directory under $TMPDIR and is removed, mounts first, whatever
# happens. Prints one line per check and last "N passed, N failed"; exit 0 only if none failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

((EUID == 0)) || { echo "debian12-chroot: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
cache=${PGSNAP_PACKAGE_CACHE:-/var/cache/pgsnap}
pg_bin=${PGSNAP_PACKAGE_PG_BIN:-/usr/lib/postgresql/15/bin}

work=$(mktemp -d "${TMPDIR:-/tmp}/pgsnap-package-test.XXXXXX")
# postgres must reach its data directory and socket below this one.
chmod 711 "$work"
chroot_dir=$work/debian12
pg_data=$work/pg/data pg_socket=$work/pg/socket
mounts=()

teardown() {
  if [[ -f $pg_data/postmaster.pid ]]; then
    runuser -u postgres -- env --chdir=/ "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  local index
  for ((index = ${#mounts[@]} - 1; index >= 0; index--)); do
    umount "${mounts[index]}" 2>/dev/null || umount -l "${mounts[index]}" 2>/dev/null || true
  done
  # --one-file-system: never into a mount that could not be undone.
  rm -rf --one-file-system "$work" || echo "debian12-chroot: could not remove $work" >&2
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

passed=0 failed=0
pass() {
  echo "ok - $1"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL - $1"
  [[ -z ${2:-} ]] || sed 's/^/    /' <<<"$2" | head -40
  failed=$((failed + 1))
}
finish() {
  echo "$passed passed, $failed failed"
  exit $((failed > 0))
}
in_root() { chroot "$chroot_dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

version=$(sed -nE 's/^ *static let current = "([^"]+)"$/\1/p' Sources/pgsnap/PgsnapVersion.swift)

# --- The package -----------------------------------------------------------------------------
echo "== scripts/package/build"
if build_log=$(scripts/package/build --output "$work/out" 2>&1); then
  deb=$(tail -1 <<<"$build_log")
  pass "scripts/package/build made $(basename "$deb")"
else
  fail "scripts/package/build" "$build_log"
  finish
fi
[[ $(basename "$deb") == "pgsnap_${version}-1_amd64.deb" ]] && pass "the file name carries PgsnapVersion.current ($version)" ||
  fail "the .deb is $(basename "$deb"), not pgsnap_${version}-1_amd64.deb"

extracted=$work/extracted
dpkg-deb -x "$deb" "$extracted"
dpkg-deb -e "$deb" "$extracted/DEBIAN"
subcommands=$("$extracted/usr/bin/pgsnap" --help | awk '/^SUBCOMMANDS:/ { list = 1; next } list && /^  [a-z]/ { print $1 } list && /^$/ && seen++ { exit }')
expected=(usr/bin/pgsnap usr/share/man/man1/pgsnap.1.gz
  usr/share/bash-completion/completions/pgsnap usr/share/zsh/vendor-completions/_pgsnap
  usr/share/fish/vendor_completions.d/pgsnap.fish etc/pgsnap/pgsnap.conf
  lib/systemd/system/pgsnap-backup.service lib/systemd/system/pgsnap-backup.timer
  lib/systemd/system/pgsnap-verify.service lib/systemd/system/pgsnap-verify.timer
  usr/share/doc/pgsnap/copyright usr/share/doc/pgsnap/changelog.Debian.gz usr/share/doc/pgsnap/README.md
  usr/share/doc/pgsnap/docs/operations.md usr/share/doc/pgsnap/hooks/README.md)
for subcommand in $subcommands; do expected+=("usr/share/man/man1/pgsnap.$subcommand.1.gz"); done
missing=()
for path in "${expected[@]}"; do [[ -f $extracted/$path ]] || missing+=("$path"); done
((${#missing[@]} == 0 && $(wc -w <<<"$subcommands") >= 10)) &&
  pass "the package holds the binary, a man page for each of $(wc -w <<<"$subcommands") subcommands, completions, units, config, docs" ||
  fail "the package lacks: ${missing[*]:-subcommand pages (found: $subcommands)}"
conf_mode=$(dpkg-deb -c "$deb" | awk '$6 == "./etc/pgsnap/pgsnap.conf" { print $1, $2 }')
[[ $conf_mode == "-rw------- root/root" ]] && grep -qx /etc/pgsnap/pgsnap.conf "$extracted/DEBIAN/conffiles" &&
  pass "/etc/pgsnap/pgsnap.conf is a conffile, mode 0600, root's" ||
  fail "/etc/pgsnap/pgsnap.conf: '$conf_mode', conffiles: $(cat "$extracted/DEBIAN/conffiles")"

echo "== lintian"
lintian_status=0
lintian_log=$(lintian --fail-on error,warning "$deb" 2>&1) || lintian_status=$?
lintian_log=$(grep -v 'running with root privileges' <<<"$lintian_log" || true)
if ((lintian_status == 0)); then
  pass "lintian: no error, no warning${lintian_log:+ (}${lintian_log:+$(wc -l <<<"$lintian_log") info lines)}"
else
  fail "lintian" "$lintian_log"
fi

echo "== man -l"
bad_pages=''
for page in "$extracted"/usr/share/man/man1/*.1.gz; do
  # lintian's own filter: a word too long for the line is not a defect of the page.
  if ! rendered=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>"$work/man.err") ||
    ! grep -q SYNOPSIS <<<"$rendered" || grep -v "can't break line" "$work/man.err" | grep -q . ||
    ! lexgrog "$page" >/dev/null; then
    bad_pages+="$(basename "$page"): $(head -3 "$work/man.err")"$'\n'
  fi
done
[[ -z $bad_pages ]] && pass "man -l renders all $(ls "$extracted"/usr/share/man/man1 | wc -l) pages without warnings, and whatis reads each" ||
  fail "man pages" "$bad_pages"

# --- A fresh Debian 12 root ------------------------------------------------------------------
echo "== debootstrap bookworm (minbase)"
# The host's own Debian mirror, from its apt sources (deb822 or one-line format).
mirror=$(awk '/^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ && uri { print uri; exit }' \
  /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[[ -n $mirror ]] || mirror=$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
  awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' || true)
[[ -n $mirror ]] || { fail "no Debian bookworm mirror in /etc/apt/sources.list*"; finish; }
tarball=$cache/debootstrap/bookworm-minbase.tgz
mkdir -p "$cache/debootstrap" "$cache/apt-archives/partial"
if [[ ! -s $tarball ]]; then
  echo "debian12-chroot: downloading bookworm's base packages once into $tarball"
  if ! log=$(debootstrap --variant=minbase --make-tarball="$tarball.part" bookworm "$work/tarball" "$mirror" 2>&1); then
    rm -f "$tarball.part"
    fail "debootstrap --make-tarball from $mirror" "$(tail -5 <<<"$log")"
    finish
  fi
  mv "$tarball.part" "$tarball"
fi
if log=$(debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$chroot_dir" "$mirror" 2>&1); then
  pass "debootstrap made a Debian 12 root from the cached tarball"
else
  fail "debootstrap --unpack-tarball $tarball" "$(tail -5 <<<"$log")"
  finish
fi
[[ ! -e $chroot_dir/opt/swift ]] && ! ls "$chroot_dir"/usr/lib/x86_64-linux-gnu/libswift* >/dev/null 2>&1 &&
  pass "the root has no /opt/swift and no Swift library" || fail "the root has a Swift toolchain"

mount -t proc proc "$chroot_dir/proc" && mounts+=("$chroot_dir/proc")
mount --bind "$cache/apt-archives" "$chroot_dir/var/cache/apt/archives" && mounts+=("$chroot_dir/var/cache/apt/archives")
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
# No service starts inside the root (lvm2's, dmeventd's).
printf '#!/bin/sh\nexit 101\n' >"$chroot_dir/usr/sbin/policy-rc.d"
chmod 0755 "$chroot_dir/usr/sbin/policy-rc.d"

echo "== apt-get install the declared dependencies, then dpkg -i"
depends=$(dpkg-deb -f "$deb" Depends | sed -E 's/ *\([^)]*\)//g; s/,/ /g')
if log=$(in_root apt-get update -qq 2>&1) &&
  log=$(DEBIAN_FRONTEND=noninteractive in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $depends 2>&1); then
  pass "apt-get installed the package's Depends in the root: $depends"
else
  fail "apt-get install $depends" "$(tail -10 <<<"$log")"
  finish
fi
cp "$deb" "$chroot_dir/tmp/"
if log=$(in_root dpkg -i "/tmp/$(basename "$deb")" 2>&1); then
  pass "dpkg -i installs the package"
else
  fail "dpkg -i" "$log"
  finish
fi

# --- The installed pgsnap --------------------------------------------------------------------
echo "== the installed pgsnap"
output=$(in_root /usr/bin/pgsnap --version 2>&1) && [[ $output =~ ^$version\ \(commit\ [0-9a-f]{12}(-dirty)?\)$ ]] &&
  pass "pgsnap --version: $output" || fail "pgsnap --version" "$output"
libraries=$(in_root ldd /usr/bin/pgsnap 2>&1 || true)
if grep -qE 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|/opt/swift|not found' <<<"$libraries"; then
  fail "ldd /usr/bin/pgsnap in the root" "$libraries"
else
  pass "ldd: $(grep -c '=>' <<<"$libraries") libraries, none of Swift's, none missing"
fi
output=$(in_root /usr/bin/pgsnap check --help 2>&1) && grep -q -- '--conninfo' <<<"$output" &&
  pass "pgsnap check --help" || fail "pgsnap check --help" "$output"
mode=$(stat -c '%a %U' "$chroot_dir/etc/pgsnap/pgsnap.conf")
[[ $mode == "600 root" ]] && in_root dpkg-query -W -f='${Conffiles}' pgsnap | grep -q '/etc/pgsnap/pgsnap.conf' &&
  pass "the installed configuration is a conffile, 0600 root" || fail "installed pgsnap.conf: $mode"

# Each service's ExecStart parses, and runs with the packaged (all commented) configuration to
# its documented refusal: no target configured, exit 3 (backup's line may name the first of its
# preflight problems, the unreachable server, and points at `pgsnap check` for the rest).
for service in "$chroot_dir"/lib/systemd/system/pgsnap-*.service; do
  read -ra command <<<"$(sed -n 's/^ExecStart=//p' "$service")"
  status=0
  output=$(in_root "${command[@]}" 2>&1) || status=$?
  if [[ ${command[0]} == /usr/bin/pgsnap && $status == 3 ]] && grep -qE 'target|pgsnap check' <<<"$output"; then
    pass "$(basename "$service"): '${command[*]}' exits 3 (no target in the shipped configuration)"
  else
    fail "$(basename "$service"): '${command[*]}' exited $status" "$output"
  fi
done

echo "== pgsnap check against PostgreSQL 15"
mkdir -p "$pg_data" "$pg_socket"
chown postgres "$work/pg" "$pg_data" "$pg_socket"
if log=$(runuser -u postgres -- env --chdir=/ "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres --no-sync 2>&1) &&
  log=$(runuser -u postgres -- env --chdir=/ "$pg_bin/pg_ctl" -D "$pg_data" -w -l "$work/pg/log" \
    -o "-c listen_addresses='' -k $pg_socket" start 2>&1); then
  mkdir -p "$chroot_dir/run/pgsnap-test-pg" "$chroot_dir/srv/pgsnap"
  mount --bind "$pg_socket" "$chroot_dir/run/pgsnap-test-pg" && mounts+=("$chroot_dir/run/pgsnap-test-pg")
  status=0
  output=$(in_root /usr/bin/pgsnap check --conninfo 'host=/run/pgsnap-test-pg user=postgres dbname=postgres' \
    --target /srv/pgsnap 2>&1) || status=$?
  if grep -q device-mapper /proc/devices; then
    # A kernel with device-mapper: the cluster is still on no LVM volume, storage all the same.
    [[ $status == 5 ]] && pass "pgsnap check: exit 5, the cluster is not on LVM" || fail "pgsnap check exited $status" "$output"
  else
    [[ $status == 5 ]] && grep -q 'no device-mapper' <<<"$output" &&
      pass "pgsnap check: exit 5, 'this kernel has no device-mapper' (docs/exit-codes.md: storage)" ||
      fail "pgsnap check exited $status, not 5 with 'no device-mapper'" "$output"
  fi
else
  fail "a PostgreSQL 15 server for check ($pg_bin)" "$log"
fi

# Removal leaves nothing of the package, its configuration included.
if log=$(in_root dpkg --purge pgsnap 2>&1) && [[ ! -e $chroot_dir/usr/bin/pgsnap && ! -e $chroot_dir/etc/pgsnap/pgsnap.conf ]]; then
  pass "dpkg --purge removes the binary and the configuration"
else
  fail "dpkg --purge" "$log"
fi
finish
