# shellcheck shell=bash
# A throwaway registry (Debian's docker-registry) on 127.0.0.1, sourced by image/build.sh and
# scripts/release-check.sh: registry::start DIR (sets registry=127.0.0.1:PORT), registry::stop DIR.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

registry::start() {
  local dir=$1 port=""
  # The registry picks its own port (addr :0) and logs it: no race with another process over a "free" port.
  cat >"$dir/registry.yml" <<YAML
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
YAML
  sig::launch "$dir" registry docker-registry serve "$dir/registry.yml"
  registry_up() { # sets port from the registry's log once it answers there
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/registry.log" | head -1)
    [ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/"
  }
  sig::wait_for registry "$(<"$dir/registry.pid")" "$dir/registry.log" 10 registry_up
  registry=127.0.0.1:$port
  sig::log "registry $registry (pid $(<"$dir/registry.pid"))"
}

registry::stop() { sig::stop_pidfile "$1" registry; }
