#!/bin/sh
# Bootstrap Keystone on first start (each step is idempotent, so an
# interrupted first start just runs again), then serve it with gunicorn.
#
# Users it makes, each with a role on a project:
#   admin   admin on admin    (password: $KEYSTONE_ADMIN_PASSWORD)
#   demo    member on demo    (password: $KEYSTONE_DEMO_PASSWORD)
#   greeter service on service: greeter's service user; its password is
#           [keystone_authtoken] password in the secret greeter reads.
# keystone-manage bootstrap also gives each the same role system-wide;
# greeter's rules are project-scoped, so that changes nothing there.
set -eu

STATE=/var/lib/keystone
PUBLIC_URL=${KEYSTONE_PUBLIC_URL:-http://keystone:5000/v3}
SERVICE_SECRET=${KEYSTONE_SERVICE_SECRET:-/run/secrets/keystone_authtoken}

manage() {
    keystone-manage --config-file /etc/keystone/keystone.conf "$@"
}

# The service password, from the same ini snippet greeter reads.
service_password() {
    python - "$SERVICE_SECRET" <<'PY'
import configparser
import sys

parser = configparser.ConfigParser()
parser.read(sys.argv[1])
print(parser["keystone_authtoken"]["password"])
PY
}

if [ ! -e "$STATE/bootstrapped" ]; then
    manage db_sync
    manage fernet_setup --keystone-user keystone --keystone-group keystone
    manage credential_setup --keystone-user keystone --keystone-group keystone
    # Passwords through the environment, not argv (visible in ps).
    OS_BOOTSTRAP_PASSWORD=$KEYSTONE_ADMIN_PASSWORD manage bootstrap \
        --bootstrap-public-url "$PUBLIC_URL" --bootstrap-region-id RegionOne
    OS_BOOTSTRAP_PASSWORD=$(service_password) manage bootstrap \
        --bootstrap-username greeter --bootstrap-project-name service \
        --bootstrap-role-name service
    OS_BOOTSTRAP_PASSWORD=$KEYSTONE_DEMO_PASSWORD manage bootstrap \
        --bootstrap-username demo --bootstrap-project-name demo \
        --bootstrap-role-name member
    touch "$STATE/bootstrapped"
fi

exec gunicorn --bind 0.0.0.0:5000 --workers "${KEYSTONE_WORKERS:-2}" \
    --pythonpath /opt/keystone/lib --access-logfile - keystone_wsgi:application
