#!/usr/bin/env bash
# `make run`: creates a demo CA under ./demo on first use, prints how to get a
# certificate, then serves it in the foreground (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
demo=$PWD/demo
export STRIDEPATH=$demo/stride
port=${STRIDE_DEMO_PORT:-9443}
stride=$PWD/$build/stride

if [[ ! -f $STRIDEPATH/config/ca.json ]]; then
	mkdir -p "$demo"
	chmod 700 "$demo"
	(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$demo/password.txt")
	echo "Creating a demo CA in $STRIDEPATH ..."
	"$stride" ca init --name "Stride Demo" --dns 127.0.0.1 --dns localhost \
		--address "127.0.0.1:$port" --provisioner admin@example.com \
		--password-file "$demo/password.txt" >/dev/null
fi

url=$(jq -r '."ca-url"' "$STRIDEPATH/config/defaults.json")
fp=$(jq -r .fingerprint "$STRIDEPATH/config/defaults.json")
cat <<MSG

stride demo CA
  URL:              $url
  root fingerprint: $fp
  passwords:        $demo/password.txt (CA keys and the provisioner admin@example.com)

Get a certificate from another terminal:
  export STRIDEPATH=$STRIDEPATH
  $build/stride ca certificate localhost localhost.crt localhost.key \\
      --provisioner-password-file $demo/password.txt
  openssl x509 -in localhost.crt -noout -subject -ext subjectAltName

Or from a fresh client directory, trusting the root by its fingerprint:
  STRIDEPATH=/tmp/client $build/stride ca bootstrap --ca-url $url --fingerprint $fp
  STRIDEPATH=/tmp/client $build/stride ca health

Serving (Ctrl-C to stop) ...
MSG
exec "$PWD/$build/stride-ca" --password-file "$demo/password.txt" "$STRIDEPATH/config/ca.json"
