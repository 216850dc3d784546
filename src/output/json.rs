//! JSON-lines events on stderr for `--output json`: one object per line, each with a `type`
//! and a `time`, so CI jobs can follow a run without scraping text.

use super::{timestamp_millis, Event, Reporter};

pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn report(&self, event: Event) {
        let mut value = match serde_json::to_value(&event) {
            Ok(value) => value,
            Err(_) => return,
        };
        if let Some(object) = value.as_object_mut() {
            object.insert("time".into(), timestamp_millis().into());
        }
        eprintln!("{value}");
    }
}
