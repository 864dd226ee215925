#!/usr/bin/env bash
# A throwaway registry (Debian's docker-registry) on a 127.0.0.1 port of its own choosing, storage in a directory
# of the caller's: sourced by image/build.sh (Jib pushes there) and scripts/release-check.sh (the release's image is
# pushed there to read the digest a registry serves).
#   - start_registry DIR: starts it with its config, storage, log and pid in DIR; sets registry=127.0.0.1:PORT;
#   - stop_registry DIR: stops it (nothing when it is not running). The caller removes DIR.
# The caller defines log and die.

start_registry() {
  local dir=$1 port=""
  # The registry picks its own port (addr :0) and logs it: no race with another process over a "free" port.
  cat >"$dir/registry.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
EOF
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/registry.pid"
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/registry.log" | head -1)
    [ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" && break
    kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || { cat "$dir/registry.log" >&2; die "the registry did not start"; }
    port=""
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$dir/registry.log" >&2; die "the registry did not answer"; }
  registry=127.0.0.1:$port
  log "registry $registry (pid $(cat "$dir/registry.pid"))"
}

stop_registry() {
  local dir=$1 pid
  [ -f "$dir/registry.pid" ] || return 0
  pid=$(cat "$dir/registry.pid")
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -f "$dir/registry.pid"
}
