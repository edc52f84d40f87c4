//! # aurion-plugin-sdk
//!
//! Write an Aurion plugin in Rust: implement [`Plugin`] for a type, call [`export_plugin!`] once, and build a
//! `cdylib` for `wasm32-wasip1` (`wasm32-wasi` before Rust 1.78). The macro exports the `run` function of
//! the job contract (aurion-plugin's SPEC §8), which the orchestrator and `aurion-plugin run` call:
//!
//! 1. the plugin reads exactly one JSON object on stdin,
//!    `{"job_id", "plugin_name", "version", "target", "config", "scope_id"}` (a [`JobRequest`]);
//! 2. [`Plugin::run`] handles it;
//! 3. the plugin writes exactly one JSON object on stdout, `{"job_id", "success", "output_json",
//!    "cache_key"}` (a [`JobResult`]), with `job_id` copied from the request and `cache_key` from
//!    [`compute_cache_key`]; an `Err(message)` becomes `success: false` with `{"error": message}` as
//!    `output_json`;
//! 4. `run` returns 0. It returns 1 (a failed job, without a result) only when the request cannot be read or
//!    the result cannot be written; the reason goes to stderr.
//!
//! ```
//! use aurion_plugin_sdk::{export_plugin, Capability, JobRequest, JobResult, Plugin};
//!
//! #[derive(Default)]
//! struct Echo;
//!
//! impl Plugin for Echo {
//!     fn name(&self) -> &str {
//!         "echo"
//!     }
//!     fn version(&self) -> &str {
//!         "0.1.0"
//!     }
//!     fn capabilities(&self) -> Vec<Capability> {
//!         vec![Capability::PassiveEnum]
//!     }
//!     fn run(&mut self, req: JobRequest) -> Result<JobResult, String> {
//!         Ok(JobResult::success(serde_json::json!({ "target": req.target })))
//!     }
//! }
//!
//! export_plugin!(Echo);
//! ```
//!
//! ## The sandbox
//!
//! The plugin runs with WASI preview 1 and nothing else: no files (no preopened directories), no network, an
//! empty environment, `argv = [<plugin name>]`, at most the manifest's `limits.memory_mib` of memory (64 MiB
//! by default) and `limits.timeout_seconds` of wall time (300 s). Do not start threads (there are none), and
//! avoid non-determinism — clocks, random numbers, `HashMap` iteration order — in anything that shapes the
//! output: a job's result is cached under its key, so the same request should give the same result.
//! Anything written to stderr reaches the operator's terminal (at most 1 MiB is kept).
//!
//! ## Cache keys
//!
//! The cache key is BLAKE3 over `plugin_name ‖ version ‖ serde_json::to_string(&config) ‖ scope_id`. Its
//! canonical JSON is serde_json's *default* output: object keys sorted (a `BTreeMap`), integers exact, floats
//! in ryu's shortest form. Cargo unifies features across the whole dependency tree, so **enabling
//! serde_json's `preserve_order` or `arbitrary_precision` feature anywhere in your plugin's dependencies**
//! (directly, or through any crate that enables it) **changes the keys your plugin computes**: `run` then
//! fails with `CACHE_KEY_MISMATCH`. The same holds for a serde_json outside `>=1.0.87, <1.0.147` (1.0.147
//! writes `1e+21` instead of `1e21`). `cargo tree -e features -i serde_json` shows who enables what.
#![deny(missing_docs)]

use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// serde_json, re-exported so that a plugin uses the very build the cache key is computed with
/// (`aurion_plugin_sdk::serde_json::json!`, `Value`).
pub use serde_json;

/// What a plugin does. Each capability has a risk class: `PassiveEnum` is Low, `PortScan` Medium,
/// `VulnerabilityScan` and `Fuzz` High. Medium and High need an authorization that covers the job before the
/// orchestrator runs the plugin; the manifest's `capabilities` and `risk_class` are what is enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Capability {
    /// Queries open sources, DNS and certificate transparency logs (Low).
    PassiveEnum,
    /// Sends TCP/UDP packets to identify listening services (Medium).
    PortScan,
    /// Executes signatures (e.g. nuclei templates) or exploit checks (High).
    VulnerabilityScan,
    /// Performs directory or parameter fuzzing (High).
    Fuzz,
}

/// One job, as the plugin reads it on stdin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    /// The job's id; the result carries it back.
    pub job_id: String,
    /// The plugin's name as the orchestrator knows it (the signed manifest's `name`).
    pub plugin_name: String,
    /// The plugin's version as the orchestrator knows it (the signed manifest's `version`).
    pub version: String,
    /// What to work on: a host name, an IP address, a CIDR range or a URL, within the job's authorization.
    pub target: String,
    /// The job's configuration, any JSON value, parsed by serde_json from the text the job was given.
    pub config: serde_json::Value,
    /// The scope (engagement) the job belongs to.
    pub scope_id: String,
}

impl JobRequest {
    /// The cache key of this job: [`compute_cache_key`] over the request's own plugin name, version,
    /// config and scope id. [`export_plugin!`] puts exactly this key in every result.
    pub fn cache_key(&self) -> String {
        compute_cache_key(&self.plugin_name, &self.version, &self.config, &self.scope_id)
    }
}

/// The outcome of a job, as the plugin writes it on stdout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// The request's `job_id`; [`export_plugin!`] sets it, whatever [`Plugin::run`] returned.
    pub job_id: String,
    /// Whether the job succeeded. `false` makes the run a failed job (`JOB_FAILED`).
    pub success: bool,
    /// The job's output: any JSON value.
    pub output_json: serde_json::Value,
    /// The job's cache key; [`export_plugin!`] sets it with [`compute_cache_key`], whatever
    /// [`Plugin::run`] returned.
    pub cache_key: String,
}

impl JobResult {
    /// A successful result with this output. `job_id` and `cache_key` are left empty for
    /// [`export_plugin!`] to fill in.
    pub fn success(output_json: serde_json::Value) -> Self {
        JobResult {
            job_id: String::new(),
            success: true,
            output_json,
            cache_key: String::new(),
        }
    }

    /// A failed result with this output (e.g. `{"error": ..., "details": ...}`). Returning `Err(message)`
    /// from [`Plugin::run`] is the short form, with `{"error": message}` as the output.
    pub fn failure(output_json: serde_json::Value) -> Self {
        JobResult {
            success: false,
            ..JobResult::success(output_json)
        }
    }
}

/// A plugin. Implement it for a type that has a `Default` value and pass that type to [`export_plugin!`].
/// `name`, `version` and `capabilities` should say what the plugin's manifest.json says.
pub trait Plugin {
    /// The plugin's name, as in manifest.json.
    fn name(&self) -> &str;
    /// The plugin's version (SemVer), as in manifest.json.
    fn version(&self) -> &str;
    /// What the plugin does, as in manifest.json.
    fn capabilities(&self) -> Vec<Capability>;
    /// Runs one job. Return `Err(message)` for a job that failed; `job_id` and `cache_key` of an `Ok`
    /// result are filled in by [`export_plugin!`].
    fn run(&mut self, req: JobRequest) -> Result<JobResult, String>;
}

/// The deterministic cache key of a job (the plugin model's reference function, unchanged): lowercase hex
/// BLAKE3 of the UTF-8 bytes of `name ‖ version ‖ serde_json::to_string(config) ‖ scope`, nothing between
/// them. `aurion-plugin cache-key` computes the same key. See the crate docs, "Cache keys", for the
/// serde_json features that must stay off.
pub fn compute_cache_key(name: &str, version: &str, config: &serde_json::Value, scope: &str) -> String {
    use blake3::Hasher;
    use serde_json::to_string;

    let mut hasher = Hasher::new();
    hasher.update(name.as_bytes());
    hasher.update(version.as_bytes());
    let config_json = to_string(config).expect("canonicalise config");
    hasher.update(config_json.as_bytes());
    hasher.update(scope.as_bytes());
    let digest = hasher.finalize();
    digest.to_hex().to_string()
}

/// Handles one job for `plugin`: the request as JSON text in, the result out. This is the whole job
/// contract except the standard streams, which [`export_plugin!`] adds; use it to test a plugin natively.
/// A request that is not one JSON object of the right shape is an `Err` naming the problem.
///
/// (It takes a trait object, not a type parameter, so that no SDK code is compiled into the plugin's own
/// crate: the module's bytes then do not depend on the folder it was built in.)
pub fn handle_request(plugin: &mut dyn Plugin, request: &[u8]) -> Result<JobResult, String> {
    let req: JobRequest =
        serde_json::from_slice(request).map_err(|e| format!("cannot read the job request on stdin: {e}"))?;
    let job_id = req.job_id.clone();
    let cache_key = req.cache_key();
    let mut result = match plugin.run(req) {
        Ok(result) => result,
        Err(message) => JobResult::failure(serde_json::json!({ "error": message })),
    };
    result.job_id = job_id;
    result.cache_key = cache_key;
    Ok(result)
}

/// The body of the exported `run` function. Not part of the API: use [`export_plugin!`].
#[doc(hidden)]
pub fn __run_exported(plugin: &mut dyn Plugin) -> i32 {
    let mut request = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut request) {
        eprintln!("cannot read the job request on stdin: {e}");
        return 1;
    }
    let result = match handle_request(plugin, &request) {
        Ok(result) => result,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut stdout, &result)
        .map_err(|e| e.to_string())
        .and_then(|()| stdout.write_all(b"\n").map_err(|e| e.to_string()))
        .and_then(|()| stdout.flush().map_err(|e| e.to_string()));
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cannot write the job result on stdout: {e}");
            1
        }
    }
}

/// Exports the job contract's `run` function (`#[no_mangle] extern "C" fn run() -> i32`) for a type that
/// implements [`Plugin`] and `Default`: it reads the request on stdin, calls [`Plugin::run`] on
/// `Type::default()`, fills in `job_id` and `cache_key`, and writes the result on stdout. Use it once, at
/// the crate root of a `cdylib`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The job contract's entry point, exported by `aurion_plugin_sdk::export_plugin!`.
        #[no_mangle]
        pub extern "C" fn run() -> i32 {
            let mut plugin: $plugin = ::core::default::Default::default();
            $crate::__run_exported(&mut plugin)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Default)]
    struct Probe {
        fail: bool,
    }

    impl Plugin for Probe {
        fn name(&self) -> &str {
            "probe"
        }
        fn version(&self) -> &str {
            "1.0.0"
        }
        fn capabilities(&self) -> Vec<Capability> {
            vec![Capability::PassiveEnum]
        }
        fn run(&mut self, req: JobRequest) -> Result<JobResult, String> {
            if self.fail {
                return Err(format!("cannot reach {}", req.target));
            }
            // Whatever a plugin puts here is replaced.
            let mut result = JobResult::success(json!({ "config": req.config }));
            result.job_id = "forged".into();
            result.cache_key = "forged".into();
            Ok(result)
        }
    }

    const REQUEST: &str = r#"{"job_id":"j-1","plugin_name":"probe","version":"1.0.0","target":"example.com","config":{"n":9007199254740993,"f":1.0},"scope_id":"s"}"#;

    #[test]
    fn fills_in_job_id_and_cache_key() {
        let result = handle_request(&mut Probe::default(), REQUEST.as_bytes()).unwrap();
        assert_eq!(result.job_id, "j-1");
        assert!(result.success);
        let config = json!({ "n": 9007199254740993u64, "f": 1.0 });
        assert_eq!(result.cache_key, compute_cache_key("probe", "1.0.0", &config, "s"));
        assert_eq!(
            serde_json::to_string(&result.output_json).unwrap(),
            r#"{"config":{"f":1.0,"n":9007199254740993}}"#
        );
    }

    #[test]
    fn an_err_is_a_failed_job_with_the_message() {
        let result = handle_request(&mut Probe { fail: true }, REQUEST.as_bytes()).unwrap();
        assert!(!result.success);
        assert_eq!(result.job_id, "j-1");
        assert_eq!(result.output_json, json!({ "error": "cannot reach example.com" }));
        assert_eq!(result.cache_key.len(), 64);
    }

    #[test]
    fn refuses_a_request_that_is_not_one_job_object() {
        for bad in [
            "",
            "[]",
            r#"{"job_id":"j"}"#,
            &format!("{REQUEST} {{}}"),
            r#"{"job_id":1,"plugin_name":"p","version":"1","target":"t","config":{},"scope_id":"s"}"#,
        ] {
            let e = handle_request(&mut Probe::default(), bad.as_bytes()).unwrap_err();
            assert!(e.starts_with("cannot read the job request on stdin"), "{bad}: {e}");
        }
    }

    #[test]
    fn capabilities_serialize_as_their_names() {
        let all = [
            Capability::PassiveEnum,
            Capability::PortScan,
            Capability::VulnerabilityScan,
            Capability::Fuzz,
        ];
        assert_eq!(
            serde_json::to_string(&all).unwrap(),
            r#"["PassiveEnum","PortScan","VulnerabilityScan","Fuzz"]"#
        );
    }
}
