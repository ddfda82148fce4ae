#!/usr/bin/env bash
# Generates the certificates the TLS tests and examples use, with the openssl
# CLI, into the directory given (run by the build; see cmake/test_certs.cmake).
# Nothing here is secret: test keys for loopback only.
#
#   ca.pem            trusted test CA            other-ca.pem   a CA nobody trusts
#   server.pem/.key   CN localhost, SAN localhost, 127.0.0.1, ::1 (signed by ca)
#   server-enc.key    server.key encrypted with the passphrase "coronet-test"
#   sni.pem/.key      SAN sni.example (signed by ca)
#   client.pem/.key   CN client, clientAuth (signed by ca)
#   rogue.pem/.key    CN rogue client (signed by other-ca)
#   expired.pem/.key  as server.pem, valid 2020-01-01 .. 2020-01-02 only
#   node.pem/.key     CN node, serverAuth + clientAuth (signed by ca): a
#                     node's one certificate serves both ends (CAF 0.17)
#   node-rogue.pem/.key  the same, signed by other-ca
set -euo pipefail

out=${1:?usage: gen-test-certs.sh <output dir>}
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # name subject
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "$2" -days 3650 -sha256 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -out "$1.pem"
}

leaf() {  # name ca subject extensions
    key "$1.key"
    openssl req -new -key "$1.key" -subj "$3" -out "$tmp/$1.csr"
    printf '%s\n' "$4" >"$tmp/$1.ext"
    openssl x509 -req -in "$tmp/$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
        -days 3650 -sha256 -extfile "$tmp/$1.ext" -out "$1.pem" 2>/dev/null
}

server_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'
client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

ca ca "/CN=coronet test CA"
ca other-ca "/CN=untrusted test CA"
leaf server ca "/CN=localhost" "$server_ext"
leaf sni ca "/CN=sni.example" "${server_ext/DNS:localhost,IP:127.0.0.1,IP:::1/DNS:sni.example}"
leaf client ca "/CN=client" "$client_ext"
leaf rogue other-ca "/CN=rogue" "$client_ext"
node_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1'
leaf node ca "/CN=node" "$node_ext"
leaf node-rogue other-ca "/CN=rogue node" "$node_ext"
openssl pkey -in server.key -aes256 -passout pass:coronet-test -out server-enc.key

# An expired certificate: x509 -req cannot date in the past, `openssl ca` can.
key expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out "$tmp/expired.csr"
touch "$tmp/index.txt"
cat >"$tmp/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $tmp/index.txt
new_certs_dir = $tmp
serial = $tmp/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[any]
commonName = supplied
[ext]
$server_ext
CNF
echo 01 >"$tmp/serial"
openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca.key -in "$tmp/expired.csr" \
    -startdate 20200101000000Z -enddate 20200102000000Z -out expired.pem 2>/dev/null

rm -f ./*.srl
echo "gen-test-certs.sh: certificates in $out"
