# shellcheck shell=bash
# A throwaway PostgreSQL cluster for the tests. Source it (bash):
#
#   source .ci/postgres.sh     # starts the cluster, exports CHECKOUT_TEST_POSTGRES
#   go test -race -count=1 ./...
#   checkout_pg_stop           # or leave the shell: it stops on exit
#
# It installs Debian's postgresql package when initdb and pg_ctl are missing, makes a
# cluster in a temp dir (owned by the postgres user when run as root, since initdb refuses
# root) on a free port of 127.0.0.1 with trust authentication there only, starts it and
# exports CHECKOUT_TEST_POSTGRES, a superuser DSN. On exit, or with checkout_pg_stop, the
# cluster is stopped and its directory removed. If CHECKOUT_TEST_POSTGRES is already set,
# that database is used and nothing is started.

if ! (return 0 2>/dev/null); then
  echo "source this file (source .ci/postgres.sh); do not run it" >&2
  exit 2
fi

_checkout_pg_dir=""
_checkout_pg_user=""
_checkout_pg_bin=""

# checkout_pg_bindir prints the directory of initdb and pg_ctl: PATH first, then the
# newest /usr/lib/postgresql/<major>/bin (Debian keeps them off PATH).
checkout_pg_bindir() {
  local p d
  if p=$(command -v pg_ctl 2>/dev/null); then
    d=$(dirname "$(readlink -f "$p")")
    if [ -x "$d/initdb" ]; then
      echo "$d"
      return 0
    fi
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

# checkout_pg_install installs Debian's postgresql without its default cluster: the
# tests make their own, and nothing should be left listening on 5432.
checkout_pg_install() {
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  echo "postgres.sh: installing PostgreSQL (Debian's postgresql package)" >&2
  "${sudo[@]}" apt-get update -qq || return 1
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-common >/dev/null || return 1
  "${sudo[@]}" sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
    /etc/postgresql-common/createcluster.conf || return 1
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
}

# _checkout_pg_as runs a command as the cluster's owner, from inside its directory (so
# that the owner need not be able to read the caller's working directory).
_checkout_pg_as() {
  if [ -z "$_checkout_pg_user" ]; then
    (cd "$_checkout_pg_dir" && "$@")
  elif command -v runuser >/dev/null 2>&1; then
    (cd "$_checkout_pg_dir" && runuser -u "$_checkout_pg_user" -- "$@")
  else
    (cd "$_checkout_pg_dir" && su -s /bin/bash -c "$(printf '%q ' "$@")" "$_checkout_pg_user")
  fi
}

# _checkout_pg_port_free reports whether nothing listens on 127.0.0.1:$1.
_checkout_pg_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

checkout_pg_start() {
  if [ -n "${CHECKOUT_TEST_POSTGRES:-}" ]; then
    echo "postgres.sh: using CHECKOUT_TEST_POSTGRES from the environment" >&2
    return 0
  fi
  if [ -n "$_checkout_pg_dir" ]; then
    echo "postgres.sh: a cluster is already running in $_checkout_pg_dir" >&2
    return 0
  fi
  _checkout_pg_bin=$(checkout_pg_bindir) || {
    checkout_pg_install || return 1
    _checkout_pg_bin=$(checkout_pg_bindir) || { echo "postgres.sh: initdb and pg_ctl not found after installing" >&2; return 1; }
  }
  _checkout_pg_user=""
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root; the package's postgres user owns the cluster.
    if id postgres >/dev/null 2>&1; then _checkout_pg_user=postgres; else _checkout_pg_user=nobody; fi
  fi
  _checkout_pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/checkout-pg.XXXXXX") || return 1
  # The trap comes first, so a failure from here on still removes the directory.
  _checkout_pg_trap
  chmod 0700 "$_checkout_pg_dir"
  [ -z "$_checkout_pg_user" ] || chown "$_checkout_pg_user:" "$_checkout_pg_dir" || { checkout_pg_stop; return 1; }

  if ! _checkout_pg_as "$_checkout_pg_bin/initdb" -D "$_checkout_pg_dir/data" -U postgres \
    --auth=trust -E UTF8 --no-locale >"$_checkout_pg_dir/initdb.log" 2>&1; then
    echo "postgres.sh: initdb failed:" >&2
    tail -n 20 "$_checkout_pg_dir/initdb.log" >&2
    checkout_pg_stop
    return 1
  fi
  # Trust, and only on 127.0.0.1 and the socket in the cluster's own directory (0700).
  _checkout_pg_as sh -c 'cat >"$1/data/pg_hba.conf"' -- "$_checkout_pg_dir" <<'EOF'
local all all              trust
host  all all 127.0.0.1/32 trust
EOF
  _checkout_pg_as sh -c 'cat >>"$1/data/postgresql.conf"' -- "$_checkout_pg_dir" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$_checkout_pg_dir'
# go test runs packages side by side, each with its own pools.
max_connections = 300
EOF

  # A free port now may be taken before the server binds it: then try another.
  local port="" try
  for try in 1 2 3 4 5; do
    port=$((15000 + RANDOM % 17000))
    _checkout_pg_port_free "$port" || continue
    if _checkout_pg_as "$_checkout_pg_bin/pg_ctl" -D "$_checkout_pg_dir/data" -l "$_checkout_pg_dir/server.log" \
      -o "-p $port" -w -t 60 start >/dev/null; then
      export CHECKOUT_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
      echo "postgres.sh: PostgreSQL $("$_checkout_pg_bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port (CHECKOUT_TEST_POSTGRES); checkout_pg_stop stops it" >&2
      return 0
    fi
  done
  echo "postgres.sh: PostgreSQL did not start:" >&2
  tail -n 20 "$_checkout_pg_dir/server.log" >&2 2>/dev/null
  checkout_pg_stop
  return 1
}

# checkout_pg_stop stops the cluster this file started and removes its directory.
checkout_pg_stop() {
  [ -n "$_checkout_pg_dir" ] || return 0
  if [ -f "$_checkout_pg_dir/data/postmaster.pid" ]; then
    _checkout_pg_as "$_checkout_pg_bin/pg_ctl" -D "$_checkout_pg_dir/data" -m fast -w -t 60 stop >/dev/null ||
      echo "postgres.sh: pg_ctl stop failed; see $_checkout_pg_dir/server.log" >&2
  fi
  if [ -f "$_checkout_pg_dir/data/postmaster.pid" ]; then
    return 1 # still running: keep its directory
  fi
  rm -rf "$_checkout_pg_dir"
  _checkout_pg_dir=""
  unset CHECKOUT_TEST_POSTGRES
}

# _checkout_pg_trap stops the cluster when the shell exits, after any EXIT trap that was
# there before. A script (not an interactive shell) also exits on INT and TERM, so that
# the EXIT trap runs.
_checkout_pg_trap() {
  local prev=""
  eval "set -- $(trap -p EXIT)"
  prev=${3:-}
  case "$prev" in *checkout_pg_stop*) return 0 ;; esac
  # shellcheck disable=SC2064 # expanded now, on purpose
  trap "checkout_pg_stop${prev:+; $prev}" EXIT
  case $- in
    *i*) ;;
    *) trap 'exit 130' INT; trap 'exit 143' TERM ;;
  esac
}

checkout_pg_start
