//! Block-style YAML that YAML 1.1 parsers (kubectl, PyYAML) and YAML 1.2
//! parsers read back identically: a string is written plain only when it
//! cannot be taken for anything else, otherwise double-quoted.

use serde_json::Value;

/// `value` as a YAML document.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    emit(value, 0, &mut out);
    out
}

/// A string YAML 1.1 and 1.2 parsers both read back as this very string
/// when written plain; anything else is double-quoted. (Plain `on`, `off`,
/// `yes` or `0755` turn into booleans and numbers in YAML 1.1, which is what
/// kubectl and PyYAML speak.)
fn plain_ok(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let reserved = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"];
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && !reserved.contains(&s.to_ascii_lowercase().as_str())
}

fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

/// Block-style YAML for a JSON value.
fn emit(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let nested = |v: &Value| match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    let inline = |v: &Value| match v {
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        Value::String(s) => scalar(s),
        other => other.to_string(),
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                if nested(v) {
                    out.push_str(&format!("{pad}{}:\n", scalar(k)));
                    emit(v, indent + 2, out);
                } else {
                    out.push_str(&format!("{pad}{}: {}\n", scalar(k), inline(v)));
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for item in a {
                if nested(item) {
                    // Emit one level deeper, then put the dash on its first line.
                    let mut sub = String::new();
                    emit(item, indent + 2, &mut sub);
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&sub[indent + 2..]);
                } else {
                    out.push_str(&format!("{pad}- {}\n", inline(item)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", inline(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_is_read_back_exactly_and_ambiguous_strings_are_quoted() {
        let v = serde_json::json!({
            "a": "on", "b": "off", "c": "0755", "d": "", "e": "plain-word", "f": "x: y",
            "g": "line1\nline2", "h": [], "i": {}, "j": [1, true, null, "yes"],
            "k": [{"name": "x", "value": "No"}, [1, [2]]], "on": 1.5,
        });
        let out = to_string(&v);
        for quoted in [
            "a: \"on\"",
            "b: \"off\"",
            "c: \"0755\"",
            "d: \"\"",
            "- \"yes\"",
            "\"on\": 1.5",
        ] {
            assert!(out.contains(quoted), "{quoted} missing in\n{out}");
        }
        assert!(out.contains("e: plain-word"));
        let back: serde_json::Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(back, v);
    }
}
