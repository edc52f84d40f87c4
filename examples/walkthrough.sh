#!/usr/bin/env bash
# The main job on the embedded default: init a Rust plugin -> cargo build -> build -> sign -> verify -> publish to a
# directory registry -> pull back -> verify -> run, with the public example keys in keys-example/ (never use them
# for anything real).
# Usage: examples/walkthrough.sh [WORKDIR]   (default: a fresh temporary folder, printed at the end)
#
# The plugin is compiled with cargo when a Rust toolchain with a WASI target (and its linker) is installed:
# Debian's /usr/bin/rustc first, then the rustc on PATH. Otherwise the walkthrough uses the module committed in
# examples/dns-enum-rust/, which this project built from the same template and SDK (see its README.md), and
# says so. AURION_WALKTHROUGH_PREBUILT=1 uses the committed module even when a toolchain is there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/aurion-walkthrough.XXXXXX")}"
cli() { echo "\$ aurion-plugin $*" >&2; node "$root/bin/aurion-plugin.js" "$@"; }
keys="$root/keys-example"
export SOURCE_DATE_EPOCH=1767225600   # reproducible bundles: 2026-01-01T00:00:00Z

# Prints "CARGO RUSTC RUSTDOC TARGET" for the first toolchain whose standard library has a WASI target and whose
# rust-lld is installed; nothing when there is none.
find_toolchain() {
  local bin rustc sysroot host target
  for bin in /usr/bin ""; do
    rustc="${bin:+$bin/}rustc"
    command -v "$rustc" >/dev/null 2>&1 && command -v "${bin:+$bin/}cargo" >/dev/null 2>&1 || continue
    sysroot="$("$rustc" --print sysroot 2>/dev/null)" || continue
    host="$("$rustc" -vV 2>/dev/null | sed -n 's/^host: //p')"
    # rustup ships rust-lld in the sysroot; Debian's /usr/bin/rust-lld is a link to lld-14 (package lld-14).
    [ -e "$sysroot/lib/rustlib/$host/bin/rust-lld" ] || [ -e "$(dirname "$(command -v "$rustc")")/rust-lld" ] || continue
    for target in wasm32-wasip1 wasm32-wasi; do
      if [ -d "$sysroot/lib/rustlib/$target" ]; then
        echo "${bin:+$bin/}cargo $rustc ${bin:+$bin/}rustdoc $target"
        return
      fi
    done
  done
}

toolchain=""
[ "${AURION_WALKTHROUGH_PREBUILT:-}" = 1 ] || toolchain="$(find_toolchain)"
if [ -n "$toolchain" ]; then
  read -r cargo rustc rustdoc rust_target <<<"$toolchain"
else
  rust_target=wasm32-wasi   # the target the committed module was built for
fi

# 1. A new Rust plugin project: manifest.json, Cargo.toml, src/lib.rs, .cargo/config.toml (the memory cap),
#    the SDK vendored in aurion-plugin-sdk/.
project="$work/dns-enum"
cli init "$project" --template rust --rust-target "$rust_target" --name dns-enum --capability PassiveEnum \
  --description "Passive DNS enumeration"
module="$project/target/$rust_target/release/dns_enum.wasm"

# 2. Its module: cargo build, or the committed copy.
if [ -n "$toolchain" ]; then
  echo "module: building with cargo ($("$rustc" --version), target $rust_target)" >&2
  if [ -d /usr/share/cargo/registry ]; then
    # Offline, from Debian's crate packages, without touching the generated project: cargo also reads the
    # .cargo/config.toml of every parent folder.
    mkdir -p "$work/.cargo"
    printf '[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = "/usr/share/cargo/registry"\n\n[net]\noffline = true\n' \
      >"$work/.cargo/config.toml"
  fi
  echo "\$ cargo build --release --target $rust_target" >&2
  (cd "$project" && env -u RUSTFLAGS RUSTC="$rustc" RUSTDOC="$rustdoc" "$cargo" build --release --target "$rust_target" --quiet)
  # A CARGO_TARGET_DIR from the environment puts the module elsewhere; the manifest points into target/.
  built="${CARGO_TARGET_DIR:-$project/target}/$rust_target/release/dns_enum.wasm"
  if [ "$built" != "$module" ]; then
    mkdir -p "$(dirname "$module")"
    cp "$built" "$module"
  fi
else
  if [ "${AURION_WALKTHROUGH_PREBUILT:-}" = 1 ]; then why="AURION_WALKTHROUGH_PREBUILT=1"
  else why="no Rust toolchain with a WASI target here"; fi
  echo "module: $why; using the module committed in examples/dns-enum-rust/ (built from this template and SDK with Debian's Rust 1.63, target wasm32-wasi)" >&2
  mkdir -p "$(dirname "$module")"
  cp "$root/examples/dns-enum-rust/dns_enum.wasm" "$module"
fi

# 3. Build the bundle (validates the manifest and the module), then sign it.
cli build "$project"
bundle="$project/dist/dns-enum-0.1.0.aurion"
cli sign "$bundle" --key "$keys/example.key"

# 4. Verify it as a release pipeline would, and inspect it as an auditor would.
cli verify "$bundle" --trusted-key "$keys/example.pub"
cli inspect "$bundle" --trusted-key "$keys/example.pub"

# 5. Publish to a directory registry (created on first use), pull it back, verify the copy.
cli publish "$bundle" --registry "$work/registry" --trusted-key "$keys/example.pub"
cli pull dns-enum@0.1.0 --registry "$work/registry" -o "$work/pulled.aurion" --trusted-key "$keys/example.pub"
cli verify "$work/pulled.aurion" --trusted-key "$keys/example.pub"

# 6. The cache key the orchestrator computes for a job of this plugin.
cli cache-key --name dns-enum --version 0.1.0 --config '{"domain":"example.com","depth":2}' --scope scope-1

# 7. Run the verified plugin in the local sandbox, as the orchestrator would: the job contract is checked (the
#    plugin must answer for this job with the same cache key as step 6; the SDK computes it from the config as
#    written, in any key order).
cli run "$work/pulled.aurion" --trusted-key "$keys/example.pub" \
  --target example.com --config '{"domain":"example.com","depth":2}' --scope scope-1 --job-id walkthrough-1

echo "walkthrough complete: $work" >&2
