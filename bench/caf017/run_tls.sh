#!/bin/bash
# TLS matrix: each case = server cert/key, client cert/key, client mode.
cd "$(dirname "$0")"
C=certs
T="--middleman.workers=0 --scheduler.policy=sharing"
tls() { # cert key [cafile]
  echo "--tls --openssl.certificate=$C/$1.pem --openssl.key=$C/$2.key --openssl.cafile=${3:-$C/ca.pem}"
}
case_() { # name "server opts" "client opts"
  echo "=== $1"
  ./run.sh "--mode=interop --seconds=8 $T $2" "--mode=interop --seconds=8 $T $3" 2>&1 \
    | grep -E "remote_actor|add ->|HANG|TIMEOUT|publish|what|error|Abort|terminate" | head -4
}
case_ "server=server.pem client=client.pem (EKU split)" "$(tls server server)" "$(tls client client)"
case_ "both node.pem (EKU server+client)" "$(tls node node)" "$(tls node node)"
case_ "both server.pem (serverAuth only)" "$(tls server server)" "$(tls server server)"
case_ "server node.pem, client rogue (other CA)" "$(tls node node)" "$(tls rogue rogue $C/other-ca.pem)"
case_ "server node.pem, client rogue cert but trusts ca.pem" "$(tls node node)" "$(tls rogue rogue)"
case_ "server node.pem, client TLS without cert (anonymous mode)" "$(tls node node)" "--tls"
case_ "server node.pem, client plain BASP (no TLS)" "$(tls node node)" ""
case_ "server anonymous TLS, client anonymous TLS" "--tls" "--tls"
case_ "server plain, client TLS" "" "$(tls node node)"
case_ "server sni.pem (SAN sni.example, no 127.0.0.1), client node" "$(tls sni sni)" "$(tls node node)"
case_ "server expired.pem, client node" "$(tls expired expired)" "$(tls node node)"
case_ "server RSA key (rsa.pem), client node (ECDSA)" "$(tls rsa rsa)" "$(tls node node)"
case_ "server encrypted key + passphrase" "--tls --openssl.certificate=$C/server.pem --openssl.key=$C/server-enc.key --openssl.passphrase=coronet-test --openssl.cafile=$C/ca.pem" "$(tls client client)"
case_ "server encrypted key, wrong passphrase" "--tls --openssl.certificate=$C/server.pem --openssl.key=$C/server-enc.key --openssl.passphrase=wrong --openssl.cafile=$C/ca.pem" "$(tls client client)"
