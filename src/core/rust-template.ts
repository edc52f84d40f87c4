/**
 * `init --template rust` (SPEC §10): the files of a Rust plugin project that builds, as it stands, into a
 * module `build`, `sign`, `verify` and `run` accept. Pure: a manifest and a target in, file texts out; the
 * vendored SDK's sources are read by the caller (src/ops/init.ts) and listed here only by path.
 */
import type { Manifest } from './types.js';

/** The Rust targets a template can be built for: `wasm32-wasi` is the name before Rust 1.78. */
export type RustTarget = 'wasm32-wasip1' | 'wasm32-wasi';
export const RUST_TARGETS: readonly RustTarget[] = ['wasm32-wasip1', 'wasm32-wasi'];
export const DEFAULT_RUST_TARGET: RustTarget = 'wasm32-wasip1';

/** Where the SDK is vendored in a project, and its files (relative to sdk/rust in this package). */
export const SDK_DIR = 'aurion-plugin-sdk';
export const SDK_FILES = ['Cargo.toml', 'README.md', 'src/lib.rs'] as const;

/** The runtime's default and largest memory limit (SPEC §3, §8). */
const DEFAULT_MEMORY_MIB = 64;

export interface TemplateFile {
  /** Relative to the project folder, `/`-separated. */
  readonly path: string;
  readonly content: string;
}

/** The library target's name: Cargo's crate name with `-` as `_` (the module file is `<crate>.wasm`). */
export function crateName(pluginName: string): string {
  return pluginName.replace(/-/g, '_');
}

/** Where `cargo build --release --target TARGET` puts the plugin's module. */
export function rustModulePath(pluginName: string, target: RustTarget): string {
  return `target/${target}/release/${crateName(pluginName)}.wasm`;
}

/** The memory cap in bytes for `--max-memory`: the manifest's `limits.memory_mib` (64 MiB by default). */
export function memoryLimitBytes(manifest: Manifest): number {
  return (manifest.limits?.memory_mib ?? DEFAULT_MEMORY_MIB) * 1024 * 1024;
}

/** `dns-enum` -> `DnsEnum`: the plugin type's name in src/lib.rs. */
function typeName(pluginName: string): string {
  return pluginName
    .split('-')
    .map((part) => (part === '' ? '' : part[0]!.toUpperCase() + part.slice(1)))
    .join('');
}

/** A Rust string literal (the name and version come from a validated manifest, but escape anyway). */
function rustString(text: string): string {
  return JSON.stringify(text);
}

/** A TOML basic string. */
function tomlString(text: string): string {
  return JSON.stringify(text);
}

/**
 * The project files of the Rust template, besides manifest.json, .gitignore and the vendored SDK. The
 * manifest must be the one `init` writes (its `module.path` is where cargo puts the module for `target`).
 */
export function rustTemplateFiles(manifest: Manifest, target: RustTarget): TemplateFile[] {
  const { name, version } = manifest;
  const type = typeName(name);
  const maxMemory = memoryLimitBytes(manifest);
  const capabilities = manifest.capabilities.map((c) => `Capability::${c}`).join(', ');
  const modulePath = rustModulePath(name, target);

  const cargoToml = `[package]
name = ${tomlString(name)}
# Keep in step with manifest.json's "version" (and with version() in src/lib.rs).
version = ${tomlString(version)}
edition = "2021"
rust-version = "1.63"
publish = false

[lib]
# A WebAssembly module that exports \`run\` (written by aurion_plugin_sdk::export_plugin!).
crate-type = ["cdylib"]

[dependencies]
# The Aurion plugin SDK, vendored by \`aurion-plugin init --template rust\`. It re-exports serde_json: use
# aurion_plugin_sdk::serde_json rather than another copy, and never enable serde_json's preserve_order or
# arbitrary_precision features anywhere in this crate's dependencies (they change the job's cache key).
aurion-plugin-sdk = { path = ${tomlString(SDK_DIR)} }

# Small modules: optimise for size, one codegen unit, link-time optimisation, no unwinding, no symbols.
[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
strip = true
debug = false

# Not part of any enclosing Cargo workspace.
[workspace]
`;

  const cargoConfig = `# Caps the module's memory at manifest.json's limits.memory_mib (${maxMemory / 1024 / 1024} MiB): wasm-ld writes it as the
# memory's declared maximum. Change both together. (A RUSTFLAGS environment variable replaces these flags.)
[target.${target}]
rustflags = ["-C", "link-arg=--max-memory=${maxMemory}"]
`;

  const libRs = `//! ${name}: ${manifest.description ?? 'an Aurion plugin'}.
//!
//! A starting point written by \`aurion-plugin init --template rust\`: it turns the job's target and a list
//! of labels from the job's config into candidate host names. Replace \`run\` with your plugin's work.
use aurion_plugin_sdk::serde_json::{json, Value};
use aurion_plugin_sdk::{export_plugin, Capability, JobRequest, JobResult, Plugin};

/// The plugin. \`export_plugin!\` makes one with \`Default\` for each job.
#[derive(Default)]
pub struct ${type};

impl Plugin for ${type} {
    fn name(&self) -> &str {
        ${rustString(name)}
    }

    fn version(&self) -> &str {
        ${rustString(version)}
    }

    fn capabilities(&self) -> Vec<Capability> {
        vec![${capabilities}]
    }

    fn run(&mut self, req: JobRequest) -> Result<JobResult, String> {
        // The config is any JSON value; this plugin reads an optional {"labels": ["www", ...]}.
        let labels: Vec<String> = match req.config.get("labels") {
            None => vec!["www".to_string(), "mail".to_string()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(label) => Ok(label.clone()),
                    other => Err(format!("config.labels: {other} is not a string")),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("config.labels must be an array of strings, not {other}")),
        };
        let candidates: Vec<String> = labels.iter().map(|label| format!("{label}.{}", req.target)).collect();
        Ok(JobResult::success(json!({ "target": req.target, "candidates": candidates })))
    }
}

export_plugin!(${type});
`;

  const readme = `# ${name}

${manifest.description ?? 'An Aurion plugin'}, written in Rust with the vendored Aurion plugin SDK
(\`${SDK_DIR}/\`, documented in its README and with \`cargo doc --open\`).

## Build

Rust 1.63 or newer with the WebAssembly target (\`rustup target add ${target}\`):

\`\`\`sh
cargo build --release --target ${target}
\`\`\`

The module lands at \`${modulePath}\`, where manifest.json's \`module.path\` points.
${
  target === 'wasm32-wasi'
    ? ''
    : `Rust before 1.78 calls the target \`wasm32-wasi\`: create the project with
\`aurion-plugin init DIR --template rust --rust-target wasm32-wasi\`.
`
}
## Package, sign, verify, run

\`\`\`sh
aurion-plugin keygen --out my-key                 # once; keep my-key.key secret
aurion-plugin build .
aurion-plugin sign dist/${name}-${version}.aurion --key my-key.key
aurion-plugin verify dist/${name}-${version}.aurion --trusted-key my-key.pub
aurion-plugin run dist/${name}-${version}.aurion --trusted-key my-key.pub \\
  --target example.com --config '{"labels":["www","api"]}' --scope my-scope
\`\`\`

## Keep in step

- \`name\`, \`version\` and \`capabilities\` in manifest.json, Cargo.toml and src/lib.rs.
- \`limits.memory_mib\` in manifest.json and \`--max-memory\` (bytes) in .cargo/config.toml.

## Rules of the sandbox

No files, no network, no threads, an empty environment; read the job from stdin and write the result to
stdout only through the SDK. Avoid clocks, random numbers and \`HashMap\` iteration order in anything that
shapes the output: results are cached under the job's cache key.
`;

  return [
    { path: 'Cargo.toml', content: cargoToml },
    { path: '.cargo/config.toml', content: cargoConfig },
    { path: 'src/lib.rs', content: libRs },
    { path: 'README.md', content: readme },
  ];
}
