#!/bin/sh
# Creates the deployment's secrets for docker-compose.yml, once, in deploy/secrets/ (files 0600, each owned by the container user that reads it):
#   redis-password   the password of Redis user 'kbisect' (clients read it via KBISECT_REDIS_PASSWORD_FILE)
#   redis-users.acl  Redis's ACL file: 'default' off, 'kbisect' with that password
#   request-key      the HMAC key the API signs submissions with and the workers verify (KBISECT_REQUEST_KEY_FILE)
#   store-build-token, store-lab-token   the artifact store's two credentials (KBISECT_STORE_TOKEN_FILE of the
#                    build/orchestrator and the lab workers)
#   store-credentials.json   the store's credentials file: their sha256 hashes with roles build and lab
#                    (KBISECT_STORE_CREDENTIALS_FILE)
# Existing files are kept; delete one to make it anew (a new Redis password needs a Redis restart).
set -eu
dir=$(dirname "$0")/secrets
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
[ -s "$dir/redis-password" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/redis-password"
[ -s "$dir/request-key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/request-key"
printf 'user default off\nuser kbisect on >%s ~* &* +@all\n' "$(cat "$dir/redis-password")" > "$dir/redis-users.acl"
[ -s "$dir/store-build-token" ] || printf 'kb_%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$dir/store-build-token"
[ -s "$dir/store-lab-token" ] || printf 'kb_%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$dir/store-lab-token"
hash() { printf %s "$(cat "$1")" | sha256sum | cut -d' ' -f1; }
printf '{"tokens":[{"name":"build","role":"build","sha256":"%s"},{"name":"lab","role":"lab","sha256":"%s"}]}\n' \
  "$(hash "$dir/store-build-token")" "$(hash "$dir/store-lab-token")" > "$dir/store-credentials.json"
# Compose mounts file secrets with their host owner and mode: each must belong to the uid that reads it
# in its container (kbisect's image runs as node, 1000; the redis image as redis, 999).
if [ "$(id -u)" = 0 ]; then
  chown 1000:1000 "$dir/redis-password" "$dir/request-key" "$dir/store-build-token" "$dir/store-lab-token" "$dir/store-credentials.json"
  chown 999:999 "$dir/redis-users.acl"
  chmod 755 "$dir"
else
  echo "not root: chown redis-password, request-key and the store-* files to uid 1000, redis-users.acl to uid 999, and make $dir traversable" >&2
fi
echo "secrets in $dir"
