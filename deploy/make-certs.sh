#!/bin/sh
# Makes a private CA and the broker's TLS certificate for the 8883 listener of
# deploy/mosquitto.conf (docs/deploy.md, "TLS"). Needs only openssl.
#
#   deploy/make-certs.sh <broker host name or IP> [more names or IPs...]
#   e.g. deploy/make-certs.sh mqtt.example.org 203.0.113.7
#
# The names are those devices use to reach the broker: each goes into the certificate,
# and a device refuses the broker under any other name.
#
# Writes (directories overridable with CERTS_DIR and CA_DIR):
#   deploy/certs/ca.crt      the CA certificate: public, copy it to every device
#   deploy/certs/server.crt  the broker's certificate   } mounted into the broker
#   deploy/certs/server.key  the broker's private key   } by docker-compose.yml
#   deploy/ca/ca.key         the CA's private key: never mounted, keep it offline
#
# Safe to run again: an existing CA is never overwritten (every device trusts it; a new
# one would lock them all out), and an existing server certificate is kept. To renew the
# server certificate (new names, or near expiry), delete server.crt and server.key and run
# again: the same CA signs the new one, so devices need nothing new.
set -eu

# The CA outlives the devices' firmware: its certificate is what they carry.
CA_DAYS=3650
# The broker's certificate is renewed from the CA alone, with no change on the devices.
SERVER_DAYS=825
# RSA 2048, not ECDSA: the TLS stacks of cheap modems and older device firmware do not all
# speak ECDSA, and this is the one certificate every device must accept.
KEY_BITS=2048

here=$(cd "$(dirname "$0")" && pwd)
certs=${CERTS_DIR:-$here/certs}
ca_dir=${CA_DIR:-$here/ca}

if [ "$#" -eq 0 ]; then
    echo "usage: $0 <broker host name or IP> [more names or IPs...]" >&2
    exit 2
fi
command -v openssl >/dev/null || { echo "$0: openssl is not installed" >&2; exit 1; }

umask 077  # keys are created readable by their owner only
mkdir -p "$certs" "$ca_dir"
chmod 0755 "$certs"  # the broker's user must reach the files (the key stays 0640)

if [ -e "$ca_dir/ca.key" ] || [ -e "$certs/ca.crt" ]; then
    if [ ! -e "$ca_dir/ca.key" ] || [ ! -e "$certs/ca.crt" ]; then
        echo "$0: only half of a CA is there ($ca_dir/ca.key, $certs/ca.crt);" \
            "refusing to make a new one over it" >&2
        exit 1
    fi
    echo "CA exists, kept as it is: $certs/ca.crt (refusing to overwrite a CA)"
else
    openssl req -x509 -newkey "rsa:$KEY_BITS" -nodes -sha256 -days "$CA_DAYS" \
        -keyout "$ca_dir/ca.key" -out "$certs/ca.crt" -subj "/CN=Tanfang private CA" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    chmod 0644 "$certs/ca.crt"
    echo "made the CA: $certs/ca.crt (private key: $ca_dir/ca.key)"
fi

if [ -e "$certs/server.crt" ] || [ -e "$certs/server.key" ]; then
    echo "server certificate exists, kept as it is: $certs/server.crt" \
        "(delete server.crt and server.key to make a new one)"
else
    names=""
    for name in "$@"; do
        case "$name" in
            *[!0-9.]*) case "$name" in *:*) kind=IP ;; *) kind=DNS ;; esac ;;
            *) kind=IP ;;
        esac
        names="${names:+$names,}$kind:$name"
    done
    ext=$(mktemp)
    trap 'rm -f "$ext" "$certs/server.csr"' EXIT
    printf '%s\n' "subjectAltName=$names" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth" >"$ext"
    openssl req -new -newkey "rsa:$KEY_BITS" -nodes -sha256 -subj "/CN=$1" \
        -keyout "$certs/server.key" -out "$certs/server.csr" 2>/dev/null
    openssl x509 -req -sha256 -days "$SERVER_DAYS" -in "$certs/server.csr" \
        -CA "$certs/ca.crt" -CAkey "$ca_dir/ca.key" -CAcreateserial \
        -CAserial "$ca_dir/ca.srl" -extfile "$ext" -out "$certs/server.crt" 2>/dev/null
    chmod 0644 "$certs/server.crt"
    chmod 0640 "$certs/server.key"
    echo "made the server certificate for $names: $certs/server.crt"
fi

cat <<EOF

Files:
  $certs/ca.crt       copy to every device: it verifies the broker with it
  $certs/server.crt   the broker's certificate (deploy/mosquitto.conf, listener 8883)
  $certs/server.key   the broker's private key: stays on the broker
  $ca_dir/ca.key      the CA's private key: move it offline; it is needed only to sign
                      a new server certificate or device certificates

Devices: mqtts://<device-id>:<password>@<one of the names above>:8883, trusting ca.crt.
Gateway outside the compose network: TANFANG_MQTT_URL=mqtts://…:8883 and
TANFANG_MQTT_CA_FILE=$certs/ca.crt.
docker compose: the broker runs as uid 1883 and must read the key:
  sudo chown 1883 $certs/server.key
EOF
