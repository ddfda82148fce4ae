#!/bin/sh
# usage: ./build.sh name...   (builds name.cpp -> name)
set -e
cd "$(dirname "$0")"
for n in "$@"; do
  g++ -std=c++20 -O2 -g -Wall -Wno-deprecated-declarations "$n.cpp" -o "$n" -lcaf_openssl -lcaf_io -lcaf_core -lssl -lcrypto -pthread
done
