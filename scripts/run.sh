#!/usr/bin/env bash
# `make run` / `make serve`: the web server, one worker and the scheduler together, in the
# foreground. Ctrl-C (or SIGTERM) stops all three; if any one of them exits, the others are
# stopped too and the script exits with its status.
#   scripts/run.sh dev   HOST PORT   Django's development server (the embedded demo)
#   scripts/run.sh serve HOST PORT   gunicorn (YONGKE_GUNICORN_WORKERS processes, default 2 × CPUs + 1)
set -u
MODE=${1:-dev}
HOST=${2:-127.0.0.1}
PORT=${3:-8000}
BIN=${BIN:-.venv/bin}

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  # Give each a moment to finish the task or request at hand, then insist.
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

if [ "$MODE" = serve ]; then
  workers=${YONGKE_GUNICORN_WORKERS:-$(( $(nproc 2>/dev/null || echo 1) * 2 + 1 ))}
  "$BIN/gunicorn" yongke.wsgi:application --bind "$HOST:$PORT" --workers "$workers" \
    --access-logfile - --error-logfile - --forwarded-allow-ips "${YONGKE_FORWARDED_ALLOW_IPS:-127.0.0.1}" &
else
  # The embedded demo: its officers, experts and administrators sign in with the demo passwords
  # alone (the second factor stays available to anyone who enrols). Production keeps it required.
  export YONGKE_MFA_REQUIRED=${YONGKE_MFA_REQUIRED:-0}
  "$BIN/yongke" manage runserver --noreload "$HOST:$PORT" &
fi
pids+=($!)
"$BIN/yongke" worker &
pids+=($!)
"$BIN/yongke" scheduler &
pids+=($!)

# Wait until the first child ends (bash's `wait -n`), then take the rest down with it.
wait -n "${pids[@]}"
status=$?
stop
exit "$status"
