//! Oracle for the differential test of `aurion-plugin cache-key`. Reads one JSON request per line on stdin,
//! `{"name", "version", "config": <config text>, "scope"}`, and writes one JSON line per request:
//! `{"ok":true,"cache_key","canonical_config"}`, or `{"ok":false,"error"}` when serde_json refuses the text.
use blake3::Hasher;
use serde_json::{json, to_string, Value};
use std::io::{self, BufRead, BufWriter, Write};

// The plugin model's reference (plugin-model.md, "Deterministic cache key"), verbatim.
fn compute_cache_key(name: &str, version: &str, config: &serde_json::Value, scope: &str) -> String {
    let mut hasher = Hasher::new();
    hasher.update(name.as_bytes());
    hasher.update(version.as_bytes());
    let config_json = to_string(config).expect("canonicalise config");
    hasher.update(config_json.as_bytes());
    hasher.update(scope.as_bytes());
    let digest = hasher.finalize();
    digest.to_hex().to_string()
}

fn field<'a>(request: &'a Value, key: &str) -> &'a str {
    request[key].as_str().unwrap_or_else(|| panic!("request without a string {key:?}: {request}"))
}

fn main() {
    let mut out = BufWriter::new(io::stdout().lock());
    for line in io::stdin().lock().lines() {
        let line = line.expect("read stdin");
        // A malformed request is a bug in the caller, not a refused config: stop loudly.
        let request: Value = serde_json::from_str(&line).expect("request line is not JSON");
        let response = match serde_json::from_str::<Value>(field(&request, "config")) {
            Ok(config) => json!({
                "ok": true,
                "cache_key": compute_cache_key(field(&request, "name"), field(&request, "version"), &config, field(&request, "scope")),
                "canonical_config": to_string(&config).expect("canonicalise config"),
            }),
            Err(error) => json!({ "ok": false, "error": error.to_string() }),
        };
        writeln!(out, "{response}").expect("write stdout");
    }
    out.flush().expect("write stdout");
}
