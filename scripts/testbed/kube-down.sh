#!/usr/bin/env bash
# Stops what kube-up.sh DIR started: kube-apiserver, then etcd, each by its
# process group (the pid in DIR/NAME.pid leads it). Waits for both to exit.
# Removes only the pid files, unless --purge is given: then also the data,
# keys, logs, kubeconfig and env that kube-up.sh wrote into DIR.
#
#   scripts/testbed/kube-down.sh DIR [--purge]
set -euo pipefail

STOP_TIMEOUT=15   # seconds after SIGTERM before SIGKILL

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 DIR [--purge]" >&2; exit 2; }
[ -d "$1" ] || { echo "kube-down: $1 is not a directory" >&2; exit 1; }
DIR=$(cd "$1" && pwd)
PURGE=0
if [ $# -eq 2 ]; then
  [ "$2" = --purge ] || { echo "usage: $0 DIR [--purge]" >&2; exit 2; }
  PURGE=1
fi

# True while any non-zombie process is in process group $1 (a zombie has
# exited; kill -0 would still see it until its parent reaps it).
group_alive() {
  local f s
  for f in /proc/[0-9]*/stat; do
    { read -r s <"$f"; } 2>/dev/null || continue
    s=${s##*) }                      # after "pid (comm) ": state ppid pgrp ...
    # shellcheck disable=SC2086  # split the fields on purpose
    set -- $s
    [ "${3:-}" = "$GROUP" ] && [ "$1" != Z ] && return 0
  done
  return 1
}

# Stops the process group led by the pid in DIR/NAME.pid, if that pid still is
# NAME (a recycled pid is left alone).
stop() {
  local name=$1 pidfile=$DIR/$1.pid pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || { echo "kube-down: bad pid file $pidfile" >&2; rm -f "$pidfile"; return 0; }
  if GROUP=$pid group_alive; then
    local cmd
    cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)
    if [ -n "$cmd" ] && [[ $cmd != *"$name"* ]]; then
      echo "kube-down: pid $pid is no longer $name; leaving it alone" >&2
      rm -f "$pidfile"; return 0
    fi
    kill -TERM -- "-$pid" 2>/dev/null || true
    local deadline=$(($(date +%s) + STOP_TIMEOUT))
    while GROUP=$pid group_alive && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    if GROUP=$pid group_alive; then
      echo "kube-down: $name (group $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL" >&2
      kill -KILL -- "-$pid" 2>/dev/null || true
      deadline=$(($(date +%s) + 5))
      while GROUP=$pid group_alive && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
      GROUP=$pid group_alive && { echo "kube-down: FAILED: $name (group $pid) still running" >&2; return 1; }
    fi
    echo "kube-down: stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

rc=0
stop kube-apiserver || rc=1
stop etcd || rc=1

if [ $PURGE -eq 1 ] && [ $rc -eq 0 ]; then
  rm -rf "$DIR/etcd" "$DIR/pki" "$DIR/logs"
  rm -f "$DIR/kubeconfig" "$DIR/env" "$DIR/ca.crt" "$DIR/admin.token" "$DIR/nobody.token"
  rmdir "$DIR" 2>/dev/null || true
  echo "kube-down: purged $DIR"
fi
exit $rc
