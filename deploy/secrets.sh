#!/bin/sh
# Makes the secrets of compose.yaml, once: deploy/secrets/<name>, one value a file. A
# secret that exists is kept (the PostgreSQL password is set when its volume is first
# made, and the CodeForHash key must not change under sealed attempts). Usage:
#   deploy/secrets.sh [DIR]      # DIR defaults to deploy/secrets
set -eu
dir=${1:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# put NAME VALUE writes the secret unless it exists. The files are readable by all
# (0644) inside the private directory: compose mounts them as they are, and the
# containers read them as their own users (the checkout's 10001, postgres's 999).
put() {
  if [ ! -s "$dir/$1" ]; then
    printf '%s\n' "$2" >"$dir/$1"
    chmod 0644 "$dir/$1"
    echo "made $dir/$1"
  fi
}

put postgres_password "$(random_hex 24)"
put checkout_store_dsn "postgres://checkout:$(cat "$dir/postgres_password")@postgres:5432/checkout?sslmode=disable"
put checkout_code_for_hash_key "$(random_hex 32)"
put checkout_session_keys "$(random_hex 32)"
put shop_api_key "sk_test_$(random_hex 16)"
put shop_link_secret "$(random_hex 32)"
# The sandbox's published dealer password (docs/sandbox.md): not a secret, but the config
# takes a Moka password only from a variable or a file.
put shop_moka_password demo-pass
