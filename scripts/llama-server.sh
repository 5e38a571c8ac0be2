#!/usr/bin/env bash
# Builds llama.cpp's llama-server once from the source node-llama-cpp ships
# (node_modules/node-llama-cpp/llama/gitRelease.bundle) into a cache outside the repository,
# keyed by the bundle's commit, and prints the binary's path. Later runs on the same machine
# reuse it; a new machine (or a new node-llama-cpp) builds it again (about an hour on 2 cores).
#
#   bash scripts/llama-server.sh            # build if needed, print the path
#   bash scripts/llama-server.sh --path     # print the path it would have; exit 1 if not built
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=node_modules/node-llama-cpp/llama/gitRelease.bundle
[ -f "$bundle" ] || { echo "llama-server.sh: $bundle is missing (run npm ci first)" >&2; exit 2; }
commit=$(git bundle list-heads "$bundle" | awk '$2 == "HEAD" { print $1 }')
cache="${O1CODER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/o1coder}/llama-server/$commit"
binary="$cache/llama-server"
if [ "${1:-}" = "--path" ]; then
  echo "$binary"
  [ -x "$binary" ]
  exit
fi
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi
command -v cmake >/dev/null || { echo "llama-server.sh: cmake is missing (apt-get install cmake)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/llama-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
echo "llama-server.sh: building llama-server $commit in $work (this takes a while)" >&2
git clone -q "$bundle" "$work/src"
git -C "$work/src" checkout -q "$commit"
cmake -S "$work/src" -B "$work/build" -DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 || { tail -30 "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j"$(nproc)" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
mkdir -p "$cache"
install -m 0755 "$work/build/bin/llama-server" "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "llama-server.sh: built in $(( $(date +%s) - started )) s" >&2
echo "$binary"
