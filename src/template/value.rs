//! The data a template sees: a small model of the Go values skopeo passes to text/template.

use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;

/// A Go value as a template sees it.
///
/// `Nil` is a nil pointer or interface (printed `<nil>`, false in `if`). A Go nil slice or
/// map prints as `[]` / `map[]`, so pass an empty `List` / `Map` for those.
///
/// `Typed` attaches a Go static type name to a value. Go names types in error messages
/// (`can't evaluate field X in type inspect.Output`) and `%T`, and a few types have methods
/// a template can call; elsewhere `Typed` is transparent. Type names with special meaning:
/// - `"interface {}"`: an element of a `[]interface{}` (what skopeo ranges over); as in Go,
///   the type is dropped once a pipeline produces the value, and a nil one becomes "no value".
/// - a name starting with `*`: a pointer; `Typed("*T", Nil)` is a nil `*T`.
/// - `time.Month`, `time.Weekday` on an `Int`: print as month / weekday names.
/// - `digest.Digest` on a `String`: has the methods `Algorithm`, `Encoded`, `Hex`, `String`.
/// - a struct field holding `Typed(T, Struct(..))` whose name is T's unqualified name is an
///   embedded field: its fields are promoted, as Go does for `v1.Image`'s `Platform`.
///
/// Untyped values get inferred names: `string`, `int`, `uint`, `float64`, `bool`, `time.Time`,
/// `[]E`/`map[string]E` with E the elements' common type (an empty list or map is assumed to
/// hold strings, the common case in skopeo's data), `struct { A string; … }` for structs.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    String(String),
    Time(DateTime<FixedOffset>),
    List(Vec<Value>),
    /// A Go map: iterated and printed in sorted key order.
    Map(BTreeMap<String, Value>),
    /// A Go struct: fields in declaration order.
    Struct(Vec<(String, Value)>),
    Typed(String, Box<Value>),
}

impl Value {
    /// `Value::Typed(type_name, value)`.
    pub fn typed(type_name: impl Into<String>, value: impl Into<Value>) -> Value {
        Value::Typed(type_name.into(), Box::new(value.into()))
    }

    /// A Go struct value from `(field name, value)` pairs.
    pub fn structure<I, K, V>(fields: I) -> Value
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<Value>,
    {
        Value::Struct(
            fields
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value with all `Typed` wrappers removed.
    pub fn untyped(&self) -> &Value {
        let mut v = self;
        while let Value::Typed(_, inner) = v {
            v = inner;
        }
        v
    }

    /// Go's static type name (see the type description above).
    pub fn go_type(&self) -> String {
        match self {
            Value::Nil => "interface {}".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Uint(_) => "uint".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::Time(_) => "time.Time".into(),
            Value::List(items) => format!("[]{}", common_type(items.iter())),
            Value::Map(m) => format!("map[string]{}", common_type(m.values())),
            Value::Struct(fields) if fields.is_empty() => "struct {}".into(),
            Value::Struct(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k} {}", v.go_type()))
                    .collect();
                format!("struct {{ {} }}", parts.join("; "))
            }
            Value::Typed(t, _) => t.clone(),
        }
    }

    /// Go's truth in `if`, `with`, `and`, `or`, `not`: false for nil, zero numbers and empty
    /// strings, lists and maps; structs are always true; a non-nil pointer is true.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Struct(_) | Value::Time(_) => true,
            Value::Typed(t, inner) if t.starts_with('*') => !matches!(inner.untyped(), Value::Nil),
            Value::Typed(_, inner) => inner.truth(),
        }
    }
}

fn common_type<'a>(mut items: impl Iterator<Item = &'a Value>) -> String {
    let Some(first) = items.next() else {
        return "string".into();
    };
    let t = first.go_type();
    if items.all(|v| v.go_type() == t) && !matches!(first, Value::Nil) {
        t
    } else {
        "interface {}".into()
    }
}

/// Converts JSON to a template value as Go's `json.Unmarshal` into an `interface{}` does:
/// objects become `Map` and arrays `List`, their members typed `interface {}` (so a null
/// member prints `<no value>` and errors name `interface {}`, as in Go), null `Nil`.
/// Integers become `Int`/`Uint` (Go would decode every number as float64; integers are kept
/// exact here), other numbers `Float`.
pub fn from_json(v: &serde_json::Value) -> Value {
    let member = |v: &serde_json::Value| Value::typed("interface {}", from_json(v));
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::Uint(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(member).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), member(v))).collect())
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Uint(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Uint(u64::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::String(v.clone())
    }
}

impl From<DateTime<FixedOffset>> for Value {
    fn from(v: DateTime<FixedOffset>) -> Self {
        Value::Time(v)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<BTreeMap<String, T>> for Value {
    fn from(v: BTreeMap<String, T>) -> Self {
        Value::Map(v.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}

impl<T: Into<Value>> From<std::collections::HashMap<String, T>> for Value {
    fn from(v: std::collections::HashMap<String, T>) -> Self {
        Value::Map(v.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}

/// `None` is `Nil` (a nil pointer).
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Self {
        from_json(v)
    }
}
