# shellcheck shell=bash
# bench/load.sh: the three targets, started on free ports of 127.0.0.1 with the certificate pair in $work/certs,
# each checked before it is measured (sourced by bench/load.sh; uses its cases, pid, port and work).
#   load::start_webhook   the packaged webhook; its answer to every body captured and checked
#   load::start_floor     nginx answering each body's path with the webhook's exact bytes
#   load::start_peer      agnhost webhook (Kubernetes' e2e reference webhook) on the ConfigMap bodies
#   load::url_for TARGET CASE   the URL to load (empty when the target does not serve the case)

load::post() { # load::post URL BODYFILE OUTFILE: prints the HTTP status
  curl -s --cacert "$work/certs/ca.crt" --max-time 10 -o "$3" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary "@$2" "$1"
}

load::start_webhook() {
  local c name endpoint code uid check
  sig::free_port 'port[webhook]'
  bench::start_webhook "${port[webhook]}" "$work/webhook.log"
  pid[webhook]=$sig_webhook_pid
  sig::log "webhook ready on 127.0.0.1:${port[webhook]} (pid ${pid[webhook]}) after $((($(bench::now_ns) - sig_webhook_start_ns) / 1000000)) ms"
  # Capture the webhook's answer to every body once, and check it is the expected one.
  for c in "${cases[@]}"; do
    read -r name endpoint _ <<<"$c"
    code=$(load::post "https://127.0.0.1:${port[webhook]}$endpoint" "$bodies/$name.json" "$work/$name.response")
    [[ $code == 200 ]] || load::fail "webhook answered $code to $name: $(head -c 500 "$work/$name.response")"
    uid=$(jq -r .request.uid "$bodies/$name.json")
    case $name in
      masq-denied) check='.response.allowed == false and .response.status.code == 403' ;;
      service-mutate | ingress-mutate) check='.response.allowed == true and .response.patchType == "JSONPatch"' ;;
      masq-allowed) check='.response.allowed == true and .response.patch == null' ;;
      web-unhandled) check='.response.allowed == true and .response.patch == null and .response.warnings == null' ;;
    esac
    jq -e --arg uid "$uid" ".response.uid == \$uid and ($check)" "$work/$name.response" >/dev/null \
      || load::fail "unexpected webhook answer to $name: $(cat "$work/$name.response")"
  done
}

load::nginx_quote() { # the text as an nginx single-quoted string
  local s
  s=$(<"$1")
  [[ $s != *'$'* ]] || load::fail "$1 contains '\$', which nginx would read as a variable"
  s=${s//\\/\\\\}
  s=${s//\'/\\\'}
  printf "'%s'" "$s"
}

# The floor: nginx, not daemonised, with its own config, pid and log in $work.
load::start_floor() {
  local c name code
  sig::free_port 'port[floor]'
  mkdir -p "$work/nginx"
  {
    cat <<CONF
# The floor for bench/load.sh: TLS and HTTP/1.1 keep-alive, then a fixed answer.
worker_processes $(nproc);
pid $work/nginx/nginx.pid;
error_log $work/nginx-error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  client_max_body_size 3m;
  client_body_buffer_size 64k;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:${port[floor]} ssl reuseport;
    ssl_certificate $work/certs/tls.crt;
    ssl_certificate_key $work/certs/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /ready { return 200 'ok'; }
CONF
    for c in "${cases[@]}"; do
      read -r name _ _ <<<"$c"
      printf '    location = /%s {\n      default_type application/json;\n      return 200 %s;\n    }\n' \
        "$name" "$(load::nginx_quote "$work/$name.response")"
    done
    printf '  }\n}\n'
  } >"$work/nginx/nginx.conf"
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx-error.log" >>"$work/nginx-error.log" 2>&1 &
  pid[floor]=$!
  sig::wait_ready nginx "${pid[floor]}" "$work/nginx-error.log" "https://127.0.0.1:${port[floor]}/ready" "$work/certs/ca.crt" 20
  for c in "${cases[@]}"; do
    read -r name _ _ <<<"$c"
    code=$(load::post "https://127.0.0.1:${port[floor]}/$name" "$bodies/$name.json" "$work/$name.floor")
    [[ $code == 200 ]] && cmp -s "$work/$name.response" "$work/$name.floor" \
      || load::fail "nginx did not answer $name with the webhook's bytes (HTTP $code)"
  done
  sig::log "floor (nginx) ready on 127.0.0.1:${port[floor]} (pid ${pid[floor]})"
}

load::start_peer() {
  local c name peer_path code uid
  sig::free_port 'port[peer]'
  "$agnhost" webhook --tls-cert-file="$work/certs/tls.crt" --tls-private-key-file="$work/certs/tls.key" \
    --port="${port[peer]}" >"$work/agnhost.log" 2>&1 &
  pid[peer]=$!
  sig::wait_ready agnhost "${pid[peer]}" "$work/agnhost.log" "https://127.0.0.1:${port[peer]}/readyz" "$work/certs/ca.crt" 20
  for c in "${cases[@]}"; do
    read -r name _ peer_path <<<"$c"
    [[ $peer_path != - ]] || continue
    code=$(load::post "https://127.0.0.1:${port[peer]}$peer_path" "$bodies/$name.json" "$work/$name.peer")
    uid=$(jq -r .request.uid "$bodies/$name.json")
    [[ $code == 200 ]] && jq -e --arg uid "$uid" '.response.uid == $uid and .response.allowed == true' "$work/$name.peer" >/dev/null \
      || load::fail "agnhost answered $name with HTTP $code: $(head -c 300 "$work/$name.peer")"
  done
  sig::log "peer (agnhost webhook) ready on 127.0.0.1:${port[peer]} (pid ${pid[peer]})"
}

load::case_field() { # load::case_field CASE N: field N (2 endpoint, 3 peer path) of CASE's line in cases
  local c f
  for c in "${cases[@]}"; do
    read -r -a f <<<"$c"
    [[ ${f[0]} == "$1" ]] && { echo "${f[$(($2 - 1))]}"; return; }
  done
}

load::url_for() {
  local p
  case $1 in
    webhook) echo "https://127.0.0.1:${port[webhook]}$(load::case_field "$2" 2)" ;;
    floor) echo "https://127.0.0.1:${port[floor]}/$2" ;;
    peer) p=$(load::case_field "$2" 3); [[ $p == - ]] || echo "https://127.0.0.1:${port[peer]}$p" ;;
  esac
}

load::log_of() { case $1 in webhook) echo "$work/webhook.log" ;; floor) echo "$work/nginx-error.log" ;; peer) echo "$work/agnhost.log" ;; esac; }

# load::server_died TARGET WHEN: reports how it ended (exit status, last log lines) and fails.
load::server_died() {
  local rc=0
  wait "${pid[$1]}" 2>/dev/null || rc=$?
  sig::log "$1 (pid ${pid[$1]}) ended $2 with status $rc$( ((rc > 128)) && echo " (signal $((rc - 128)))"); its log ends:"
  tail -n 20 "$(load::log_of "$1")" | sed 's/^/    /' >&2
  pid[$1]=""
  load::fail "$1 died $2"
}

# At exit: the servers stopped by PID; after a failure their logs kept in the output directory.
load::cleanup() {
  local t
  for t in peer floor webhook; do [[ -n ${pid[$t]:-} ]] && sig::stop_pid "${pid[$t]}" "$t"; done
  if ((status != 0)) && [[ -d $work ]]; then
    mkdir -p "$out_dir"
    for t in webhook.log nginx-error.log agnhost.log; do
      [[ -f $work/$t ]] && cp "$work/$t" "$out_dir/failed-$t"
    done
    sig::log "server logs kept in $out_dir/failed-*.log"
  fi
  rm -rf "$work"
}
load::fail() { status=1; sig::die "$*"; }
