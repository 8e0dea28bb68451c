#!/usr/bin/env bash
# Runs a command inside a new network namespace that has only loopback, with
# the Postfix lab started inside it: a test (or a code path) that tries to
# leave loopback fails there instead of sending a packet anywhere. In its
# own mount namespace, /etc/resolv.conf names 127.0.0.53 (with trust-ad, so
# that the AD bit reaches programs): the system's resolver is then on
# loopback too, where the DANE test runs Unbound for posttls-finger.
#
#   sudo scripts/postfix-lab.sh --configure-only   # once: install, configure
#   sudo scripts/netns-tests.sh go test -race ./... # the suite, loopback only
#
# Needs root (unshare -n). Postfix is optional: without it the command runs
# all the same and the Postfix test skips (unless SMTPTOOL_REQUIRE_POSTFIX).
set -euo pipefail
if [ "${SMTPTOOL_IN_NETNS:-}" != 1 ]; then
  exec unshare --net --mount env SMTPTOOL_IN_NETNS=1 bash "$0" "$@"
fi

ip link set lo up
if ip -o link show | grep -v ': lo:' | grep -q .; then
  echo "netns-tests: more than loopback in this namespace" >&2
  exit 1
fi

resolv=$(mktemp)
printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\n' > "$resolv"
chmod 644 "$resolv" # read by programs that drop privileges (posttls-finger)
mount --bind "$resolv" /etc/resolv.conf

started=0
if command -v postfix >/dev/null && [ -d /etc/postfix/smtptool-lab ]; then
  postfix start >/dev/null 2>&1 && started=1
  for _ in $(seq 1 50); do
    (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null && break
    sleep 0.2
  done
fi
stop() { [ "$started" = 1 ] && postfix stop >/dev/null 2>&1 || true; }
trap stop EXIT

"$@"
