#!/usr/bin/env bash
# The main job on the embedded default: init -> build -> sign -> verify -> publish to a directory registry ->
# pull back -> verify -> run, with the public example keys in keys-example/ (never use them for anything real).
# Usage: examples/walkthrough.sh [WORKDIR]   (default: a fresh temporary folder, printed at the end)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/aurion-walkthrough.XXXXXX")}"
cli() { echo "\$ aurion-plugin $*" >&2; node "$root/bin/aurion-plugin.js" "$@"; }
keys="$root/keys-example"
export SOURCE_DATE_EPOCH=1767225600   # reproducible bundles: 2026-01-01T00:00:00Z

# 1. A new plugin project, and its module (compiled from WAT here; cargo build in real life).
cli init "$work/dns-enum" --name dns-enum --capability PassiveEnum --description "Passive DNS enumeration"
node "$root/examples/wat2wasm.mjs" "$root/examples/dns-enum/dns_enum.wat" \
  "$work/dns-enum/target/wasm32-wasip1/release/dns_enum.wasm"

# 2. Build the bundle (validates the manifest and the module), then sign it.
cli build "$work/dns-enum"
bundle="$work/dns-enum/dist/dns-enum-0.1.0.aurion"
cli sign "$bundle" --key "$keys/example.key"

# 3. Verify it as a release pipeline would, and inspect it as an auditor would.
cli verify "$bundle" --trusted-key "$keys/example.pub"
cli inspect "$bundle" --trusted-key "$keys/example.pub"

# 4. Publish to a directory registry (created on first use), pull it back, verify the copy.
cli publish "$bundle" --registry "$work/registry" --trusted-key "$keys/example.pub"
cli pull dns-enum@0.1.0 --registry "$work/registry" -o "$work/pulled.aurion" --trusted-key "$keys/example.pub"
cli verify "$work/pulled.aurion" --trusted-key "$keys/example.pub"

# 5. The cache key the orchestrator computes for a job of this plugin.
cli cache-key --name dns-enum --version 0.1.0 --config '{"domain":"example.com","depth":2}' --scope scope-1

# 6. Run the verified plugin in the local sandbox, as the orchestrator would: the job contract is checked (the
#    plugin must answer for this job with the same cache key). The example plugin hashes the config as given,
#    so it is written in canonical form here (a Rust plugin built with the SDK accepts any form).
cli run "$work/pulled.aurion" --trusted-key "$keys/example.pub" \
  --target example.com --config '{"depth":2,"domain":"example.com"}' --scope scope-1 --job-id walkthrough-1

echo "walkthrough complete: $work" >&2
