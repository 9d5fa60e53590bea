#!/usr/bin/env bash
# Ensures NATS (with JetStream), Redis and PostgreSQL answer on loopback.
# For each: already listening -> ok; installed but down -> start it; missing -> apt install when
# root, otherwise stop and say exactly what to install. Idempotent; safe to run repeatedly.
set -euo pipefail

NATS_PORT=${NATS_PORT:-4222}
REDIS_PORT=${REDIS_PORT:-6379}
PG_PORT=${PG_PORT:-5432}
PG_DB=${PG_DB:-test}

say() { printf '[infra] %s\n' "$*"; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 100); do listening "$port" && return 0; sleep 0.1; done
  die "$name did not start listening on 127.0.0.1:$port"
}
apt_updated=0
install_pkg() {
  local pkg=$1
  if [[ $(id -u) -ne 0 ]]; then
    die "$pkg is not installed. Install it with: sudo apt-get install -y $pkg   (then re-run this script)"
  fi
  command -v apt-get >/dev/null || die "$pkg is not installed and apt-get is unavailable: install $pkg with your package manager"
  if [[ $apt_updated -eq 0 ]]; then say "apt-get update"; DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1; fi
  say "installing $pkg with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
}

ensure_nats() {
  if listening "$NATS_PORT"; then say "NATS: listening on $NATS_PORT"; return; fi
  command -v nats-server >/dev/null || [[ -x /usr/sbin/nats-server ]] || install_pkg nats-server
  local bin; bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  local store=${NATS_STORE_DIR:-/var/lib/nats-server}
  mkdir -p "$store" 2>/dev/null || store=$(mktemp -d)
  say "NATS: starting $bin with JetStream (store $store)"
  if command -v start-stop-daemon >/dev/null && [[ $(id -u) -eq 0 ]]; then
    start-stop-daemon --start --oknodo --background --exec "$bin" -- -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$store"
  else
    nohup "$bin" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$store" >/tmp/tradewire-nats.log 2>&1 &
  fi
  wait_port "$NATS_PORT" NATS
  say "NATS: started"
}

ensure_redis() {
  if listening "$REDIS_PORT"; then say "Redis: listening on $REDIS_PORT"; return; fi
  command -v redis-server >/dev/null || install_pkg redis-server
  say "Redis: starting"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  wait_port "$REDIS_PORT" Redis
  say "Redis: started"
}

ensure_postgres() {
  local fresh=0
  if ! listening "$PG_PORT"; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then install_pkg postgresql; fresh=1; fi
    local version; version=$(ls /etc/postgresql | sort -V | tail -1)
    if [[ $fresh -eq 1 ]]; then
      # Loopback trust for development and tests only.
      sed -i '1i host all all 127.0.0.1/32 trust' "/etc/postgresql/$version/main/pg_hba.conf"
    fi
    say "PostgreSQL: starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_port "$PG_PORT" PostgreSQL
    say "PostgreSQL: started"
  else
    say "PostgreSQL: listening on $PG_PORT"
  fi
  if command -v psql >/dev/null; then
    if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "select 1 from pg_database where datname='$PG_DB'" 2>/dev/null | grep -q 1; then
      if psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "create database \"$PG_DB\"" >/dev/null 2>&1; then
        say "PostgreSQL: created database $PG_DB"
      else
        die "cannot reach database '$PG_DB' as user postgres on 127.0.0.1:$PG_PORT (is loopback trust auth configured? see README)"
      fi
    fi
  fi
}

ensure_nats
ensure_redis
ensure_postgres
say "all infrastructure is up: nats://127.0.0.1:$NATS_PORT redis://127.0.0.1:$REDIS_PORT postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
