#!/bin/sh
# Run a command with a throw-away PostgreSQL 15 and TEST_DATABASE_URL pointing at it.
#
# In CI (CI=true) PostgreSQL is required: Debian's package is installed if missing,
# and a failure to start is fatal. Elsewhere, without PostgreSQL, the command runs
# without it and the PostgreSQL tests skip with a one-line reason.
set -eu

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$PGBIN" ] && [ "${CI:-}" = "true" ]; then
    echo "with-postgres: installing Debian's postgresql package" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
if [ -z "$PGBIN" ]; then
    echo "with-postgres: PostgreSQL is not installed; PostgreSQL tests will skip" >&2
    exec "$@"
fi

DATA=$(mktemp -d /tmp/leaverguard-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUN_AS=""
if [ "$(id -u)" = "0" ]; then
    chown postgres "$DATA"
    RUN_AS="runuser -u postgres --"
fi
stop() { $RUN_AS "$PGBIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DATA"; }
trap stop EXIT INT TERM

$RUN_AS "$PGBIN/initdb" -D "$DATA" -U postgres -A trust --no-sync >/dev/null
$RUN_AS "$PGBIN/pg_ctl" -D "$DATA" -w -l "$DATA/server.log" \
    -o "-h 127.0.0.1 -p $PORT -k $DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres leaverguard_test

export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/leaverguard_test"
echo "with-postgres: PostgreSQL on 127.0.0.1:$PORT" >&2
"$@"
