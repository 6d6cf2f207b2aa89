//! NDJSON: one physician per line in the [`json`] layout.

use std::io::BufRead;

use super::{Item, Record, RowError, json, row_error};

/// The `npi` of a JSON line that is JSON at all, as written: a string, or a
/// number (`1234567893`) that says the same.
fn written_npi(text: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(text).ok()?.get("npi")? {
        serde_json::Value::String(npi) => Some(npi.clone()),
        serde_json::Value::Number(npi) => Some(npi.to_string()),
        _ => None,
    }
}

/// NDJSON: one physician per line in the JSON layout; blank lines are skipped.
pub fn source<R: BufRead>(input: R) -> impl Iterator<Item = Item> {
    input.lines().enumerate().filter_map(|(i, line)| {
        let number = i as u64 + 1;
        let text = match line {
            Ok(text) => text,
            Err(e) => {
                return Some(Err(RowError {
                    line: number,
                    field: "line".into(),
                    message: e.to_string(),
                    npi: None,
                }));
            }
        };
        if text.trim().is_empty() {
            return None;
        }
        Some(
            json::parse(&text)
                .map(|physician| Record { line: number, physician })
                .map_err(|e| row_error(number, written_npi(&text).as_deref(), e)),
        )
    })
}
