#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite.
#
#   tests/pg_cluster.sh run CMD [ARG...]  start a cluster, run CMD with TEST_DATABASE_URL set to it,
#                                        then stop and delete the cluster whatever happened.
#                                        Without PostgreSQL: a loud warning and exit 0, or a failure
#                                        when CI=true.
#   tests/pg_cluster.sh start             start a cluster in a new temporary directory; prints
#                                        "URL DIR" (the SQLAlchemy URL and the directory to stop)
#   tests/pg_cluster.sh stop DIR          stop the cluster in DIR and delete DIR
#   tests/pg_cluster.sh bindir            print the directory of the server binaries, or exit 1
#
# The cluster listens on 127.0.0.1 only (a free port) and on a socket inside its own directory,
# trusts only the local user "portal", and runs with fsync off: it holds nothing worth keeping.
# PostgreSQL refuses to run as root, so as root the server runs as the "postgres" OS user.
# PG_BINDIR picks the server binaries; by default pg_config --bindir, then /usr/lib/postgresql/*/bin.
set -euo pipefail

PG_USER=portal
PG_DATABASE=portal_test

log() { printf '[pg_cluster] %s\n' "$*" >&2; }

find_bindir() {
    local candidate
    if [ -n "${PG_BINDIR:-}" ]; then  # an explicit choice of server, e.g. another major version
        is_server_bindir "$PG_BINDIR" && echo "$PG_BINDIR"
        return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        candidate=$(pg_config --bindir 2>/dev/null || true)
        if is_server_bindir "$candidate"; then
            echo "$candidate"
            return 0
        fi
    fi
    # Debian keeps the server binaries off PATH, one directory per major version; prefer 15.
    for candidate in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
        if is_server_bindir "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    candidate=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
    if is_server_bindir "$candidate"; then
        echo "$candidate"
        return 0
    fi
    return 1
}

is_server_bindir() {
    [ -n "$1" ] && [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]
}

# Run a command as the server's OS user (postgres when we are root, else ourselves).
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_cluster() {
    local bindir=$1 dir port attempt
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            log "running as root but there is no 'postgres' OS user to run the server as"
            return 1
        fi
        dir=$(mktemp -d /tmp/portal-pg.XXXXXX) || return 1
        chown postgres: "$dir" || return 1
    else
        dir=$(mktemp -d "${TMPDIR:-/tmp}/portal-pg.XXXXXX") || return 1
    fi
    # Everything below runs from the cluster directory so the server user can always read its cwd.
    # (Callers use this function after `||`, where set -e does not apply: check each step.)
    cd "$dir" || return 1
    if ! as_server_user "$bindir/initdb" -D "$dir/data" -U "$PG_USER" --auth=trust --encoding=UTF8 \
            --no-locale --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        return 1
    fi
    cat >"$dir/data/pg_hba.conf" <<EOF
# Only the test user, only from this machine.
local all $PG_USER trust
host  all $PG_USER 127.0.0.1/32 trust
EOF
    cat >>"$dir/data/postgresql.conf" <<EOF

# Throwaway test cluster: loopback only, speed over durability.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
log_min_messages = warning
EOF
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_server_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p $port" -w -t 60 \
                start >/dev/null 2>&1; then
            if ! "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER" "$PG_DATABASE"; then
                stop_cluster "$bindir" "$dir"
                return 1
            fi
            echo "postgresql+psycopg://$PG_USER@127.0.0.1:$port/$PG_DATABASE $dir"
            return 0
        fi
        log "start on port $port failed (attempt $attempt):"
        tail -n 5 "$dir/server.log" >&2 || true
    done
    rm -rf "$dir"
    return 1
}

stop_cluster() {
    local bindir=$1 dir=$2
    [ -d "$dir" ] || return 0
    case "$dir" in
        */portal-pg.*) ;;
        *) log "refusing to delete $dir: not a cluster directory made by this script"; return 1 ;;
    esac
    if [ -f "$dir/data/postmaster.pid" ]; then
        (cd "$dir" && as_server_user "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1) || true
    fi
    rm -rf "$dir"
}

missing_postgres() {
    if [ "${CI:-}" = "true" ]; then
        cat >&2 <<'EOF'

##########################################################################
#                                                                        #
#   ERROR: PostgreSQL server binaries (initdb, pg_ctl, postgres) were    #
#   not found, and CI=true requires the PostgreSQL run of the suite.     #
#       apt-get install postgresql-15                                    #
#                                                                        #
##########################################################################

EOF
        exit 1
    fi
    cat >&2 <<'EOF'

##########################################################################
#                                                                        #
#   WARNING: PostgreSQL server binaries (initdb, pg_ctl, postgres)       #
#   were not found. The PostgreSQL run of the test suite was SKIPPED:    #
#   nothing was tested on the production database. Install it with      #
#       apt-get install postgresql-15                                    #
#                                                                        #
##########################################################################

EOF
    exit 0
}

cmd_run() {
    local bindir started url dir status
    if [ $# -eq 0 ]; then
        log "usage: $0 run CMD [ARG...]"
        exit 2
    fi
    bindir=$(find_bindir) || missing_postgres
    dir=""
    trap 'stop_cluster "$bindir" "$dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    started=$(cd / && start_cluster "$bindir") || { log "could not start PostgreSQL"; exit 1; }
    url=${started% *}
    dir=${started##* }
    log "$("$bindir/postgres" --version) on $url (data in $dir)"
    set +e
    TEST_DATABASE_URL=$url PATH="$bindir:$PATH" "$@"
    status=$?
    set -e
    exit "$status"
}

main() {
    local sub=${1:-}
    shift || true
    case "$sub" in
        run) cmd_run "$@" ;;
        start)
            bindir=$(find_bindir) || { log "PostgreSQL server binaries not found"; exit 1; }
            start_cluster "$bindir"
            ;;
        stop)
            [ $# -eq 1 ] || { log "usage: $0 stop DIR"; exit 2; }
            bindir=$(find_bindir) || { log "PostgreSQL server binaries not found"; exit 1; }
            stop_cluster "$bindir" "$1"
            ;;
        bindir) find_bindir ;;
        *)
            sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
            exit 2
            ;;
    esac
}

main "$@"
