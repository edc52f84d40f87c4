//! `compute_cache_key` against the reference vectors the plugin model's Rust function produced
//! (test/vectors/cache-key.json in the aurion-plugin repository, a copy of shared/vectors/cache-key.json).
use aurion_plugin_sdk::{compute_cache_key, handle_request, Capability, JobRequest, JobResult, Plugin};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test/vectors/cache-key.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let vectors: Vec<Value> = serde_json::from_str(&text).expect("the vectors are JSON");
    assert!(vectors.len() >= 5, "too few vectors in {path}");
    vectors
}

fn field<'a>(vector: &'a Value, key: &str) -> &'a str {
    vector[key].as_str().unwrap_or_else(|| panic!("vector without a string {key:?}: {vector}"))
}

#[test]
fn compute_cache_key_matches_the_reference_vectors() {
    for v in vectors() {
        let config: Value = serde_json::from_str(field(&v, "config")).expect("config parses");
        assert_eq!(serde_json::to_string(&config).unwrap(), field(&v, "canonical_config"), "{v}");
        let key = compute_cache_key(field(&v, "name"), field(&v, "version"), &config, field(&v, "scope"));
        assert_eq!(key, field(&v, "cache_key"), "{v}");
    }
}

#[derive(Default)]
struct Named;

impl Plugin for Named {
    fn name(&self) -> &str {
        "ignored-by-the-key"
    }
    fn version(&self) -> &str {
        "9.9.9"
    }
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability::PassiveEnum]
    }
    fn run(&mut self, _req: JobRequest) -> Result<JobResult, String> {
        Ok(JobResult::success(Value::Null))
    }
}

#[test]
fn the_result_key_is_the_reference_key_of_the_request() {
    // Keyed on the request's plugin_name and version, not on what the plugin says about itself.
    for v in vectors() {
        let request = serde_json::json!({
            "job_id": "job-1",
            "plugin_name": field(&v, "name"),
            "version": field(&v, "version"),
            "target": "example.com",
            "scope_id": field(&v, "scope"),
        });
        // The config goes in as the vector's text, exactly as the host inserts it.
        let mut text = serde_json::to_string(&request).unwrap();
        text.pop();
        text.push_str(&format!(",\"config\":{}}}", field(&v, "config")));
        let result = handle_request(&mut Named, text.as_bytes()).expect("a valid request");
        assert_eq!(result.cache_key, field(&v, "cache_key"), "{v}");
        assert_eq!(result.job_id, "job-1");
    }
}
