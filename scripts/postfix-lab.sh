#!/usr/bin/env bash
# Sets up a real Postfix on 127.0.0.1:25 for smtptool's integration test:
# STARTTLS with a certificate from a CA made here, AUTH (PLAIN, LOGIN,
# CRAM-MD5) through Cyrus SASL's sasldb with one known user, unknown users
# rejected, no relaying for unauthenticated clients. Loopback only; nothing
# is ever delivered (the test never sends DATA).
#
# Needs root and Debian's packages. Idempotent: run it again to reset.
# The test reads the CA from $LAB/ca.pem and the password from $LAB/password.
#
# --configure-only installs and configures Postfix but leaves it stopped,
# so that scripts/netns-tests.sh can start it inside a network namespace
# that has only loopback.
set -euo pipefail
START=1
[ "${1:-}" = "--configure-only" ] && START=0

LAB=/etc/postfix/smtptool-lab
HOST=mail.postfix.test
DOMAIN=postfix.test
USER_NAME=alice
PASSWORD=postfix-lab-secret

if [ "$(id -u)" != 0 ]; then
  echo "postfix-lab: needs root" >&2
  exit 1
fi

if ! command -v postfix >/dev/null || ! command -v saslpasswd2 >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq postfix sasl2-bin libsasl2-modules openssl >/dev/null
fi

mkdir -p "$LAB"
cd "$LAB"

# A CA and a server certificate for $HOST (and 127.0.0.1).
if [ ! -s server.pem ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj "/CN=smtptool Postfix lab CA" -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$HOST" -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$HOST" > ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 90 \
    -extfile ext.cnf -out server.crt 2>/dev/null
  cat server.crt ca.pem > server.pem
  chmod 600 ca.key server.key
fi
echo "$PASSWORD" > password

echo "$HOST" > /etc/mailname
id "$USER_NAME" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$USER_NAME"

cat > /etc/postfix/main.cf <<CONF
# Written by smtptool's scripts/postfix-lab.sh: a loopback-only test server.
compatibility_level = 3.6
myhostname = $HOST
mydomain = $DOMAIN
myorigin = \$mydomain
mydestination = \$mydomain, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
# 127.0.0.1 is deliberately not a trusted network: relaying needs AUTH.
mynetworks = 127.0.0.2/32
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
smtpd_banner = \$myhostname ESMTP Postfix
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_cert_file = $LAB/server.pem
smtpd_tls_key_file = $LAB/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = $DOMAIN
smtpd_sasl_security_options = noanonymous
smtpd_error_sleep_time = 0
maillog_file = /var/log/postfix.log
CONF

touch /etc/aliases
newaliases

mkdir -p /etc/postfix/sasl
cat > /etc/postfix/sasl/smtpd.conf <<CONF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN CRAM-MD5
sasldb_path: /etc/sasldb2
CONF
echo "$PASSWORD" | saslpasswd2 -p -c -u "$DOMAIN" -f /etc/sasldb2 "$USER_NAME"
chown root:postfix /etc/sasldb2
chmod 640 /etc/sasldb2

# smtpd outside the chroot, so it reads /etc/sasldb2 and the lab's files.
postconf -F 'smtp/inet/chroot = n'
postfix check
if [ "$START" = 0 ]; then
  postfix stop >/dev/null 2>&1 || true
  echo "postfix-lab: Postfix configured ($HOST, user $USER_NAME), not started"
  exit 0
fi
if postfix status >/dev/null 2>&1; then
  postfix reload >/dev/null 2>&1
else
  postfix start >/dev/null 2>&1
fi

for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null; then
    echo "postfix-lab: Postfix listens on 127.0.0.1:25 ($HOST, user $USER_NAME)"
    exit 0
  fi
  sleep 0.2
done
echo "postfix-lab: Postfix did not start; see /var/log/postfix.log" >&2
exit 1
