//! Functions a template can call: Go's builtins, containers/common's report functions
//! (when enabled) and the few methods of the modelled Go types.

use super::exec::{V, indirect, truth};
use super::methods::Method;
use super::print::{format_v, sprint, sprintln};
use super::printf::sprintf;
use super::report::ReportFunc;
use super::value::Value;
use crate::gotext::go_is_print;

/// Parameter types, as far as argument evaluation depends on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// `reflect.Value`: any value, a missing one stays missing.
    Reflect,
    /// `interface{}`.
    Any,
    Str,
    Int,
    StrList,
    Time,
}

impl Param {
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Reflect => "reflect.Value",
            Param::Any => "interface {}",
            Param::Str => "string",
            Param::Int => "int",
            Param::StrList => "[]string",
            Param::Time => "time.Time",
        }
    }

    pub fn can_be_nil(self) -> bool {
        matches!(self, Param::Reflect | Param::Any | Param::StrList)
    }

    /// Go's zero value of a nil-able parameter type.
    pub fn zero(self) -> V {
        match self {
            Param::StrList => Some(Value::List(Vec::new())),
            _ => None,
        }
    }
}

pub(crate) struct Sig {
    pub params: &'static [Param],
    pub variadic: Option<Param>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Call,
}

impl Builtin {
    fn lookup(name: &str) -> Option<Builtin> {
        use Builtin::*;
        Some(match name {
            "and" => And,
            "or" => Or,
            "not" => Not,
            "len" => Len,
            "index" => Index,
            "slice" => Slice,
            "print" => Print,
            "printf" => Printf,
            "println" => Println,
            "html" => Html,
            "js" => Js,
            "urlquery" => Urlquery,
            "eq" => Eq,
            "ne" => Ne,
            "lt" => Lt,
            "le" => Le,
            "gt" => Gt,
            "ge" => Ge,
            "call" => Call,
            _ => return None,
        })
    }
}

pub(crate) enum Callee {
    Builtin(Builtin),
    Report(ReportFunc),
    Method(Method),
}

/// Whether `name` is a function a template may use.
pub(crate) fn has_function(name: &str, report_funcs: bool) -> bool {
    Callee::function(name, report_funcs).is_some()
}

impl Callee {
    pub fn function(name: &str, report_funcs: bool) -> Option<Callee> {
        if report_funcs && let Some(f) = ReportFunc::lookup(name) {
            return Some(Callee::Report(f));
        }
        Builtin::lookup(name).map(Callee::Builtin)
    }

    pub fn method(recv: &Value, name: &str) -> Option<Callee> {
        Method::lookup(recv, name).map(Callee::Method)
    }

    /// `Some(true)` for `or`, `Some(false)` for `and`: they evaluate lazily.
    pub fn and_or(&self) -> Option<bool> {
        match self {
            Callee::Builtin(Builtin::And) => Some(false),
            Callee::Builtin(Builtin::Or) => Some(true),
            _ => None,
        }
    }

    pub fn signature(&self) -> Sig {
        use Builtin::*;
        use Param::*;
        let (params, variadic): (&'static [Param], Option<Param>) = match self {
            Callee::Builtin(b) => match b {
                And | Or | Index | Slice | Eq | Call => (&[Reflect], Some(Reflect)),
                Not | Len => (&[Reflect], None),
                Print | Println | Html | Js | Urlquery => (&[], Some(Any)),
                Printf => (&[Str], Some(Any)),
                Ne | Lt | Le | Gt | Ge => (&[Reflect, Reflect], None),
            },
            Callee::Report(f) => (f.params(), None),
            Callee::Method(m) => (m.params(), None),
        };
        Sig { params, variadic }
    }

    pub fn call(&self, args: Vec<V>) -> Result<V, String> {
        match self {
            Callee::Builtin(b) => call_builtin(*b, args),
            Callee::Report(f) => f.call(args),
            Callee::Method(m) => m.call(args),
        }
    }
}

fn call_builtin(b: Builtin, args: Vec<V>) -> Result<V, String> {
    use Builtin::*;
    let s = |x: String| Ok(Some(Value::String(x)));
    let boolean = |x: Result<bool, String>| x.map(|b| Some(Value::Bool(b)));
    match b {
        And | Or => Ok(args.into_iter().next().flatten()),
        Not => Ok(Some(Value::Bool(!truth(&args[0])))),
        Len => length(&args[0]),
        Index => index(&args[0], &args[1..]),
        Slice => slice(&args[0], &args[1..]),
        Print => s(sprint(&args)),
        Println => s(sprintln(&args)),
        Printf => {
            let fmt = match &args[0] {
                Some(v) => string_of(v),
                None => String::new(),
            };
            s(sprintf(&fmt, &args[1..]))
        }
        Html => s(html_escape(&eval_args(&args))),
        Js => s(js_escape(&eval_args(&args))),
        Urlquery => s(query_escape(&eval_args(&args))),
        Eq => boolean(eq(&args[0], &args[1..])),
        Ne => boolean(eq(&args[0], &args[1..2]).map(|b| !b)),
        Lt => boolean(lt(&args[0], &args[1])),
        Le => boolean(lt(&args[0], &args[1]).and_then(|l| {
            if l {
                Ok(true)
            } else {
                eq(&args[0], &args[1..2])
            }
        })),
        Gt => boolean(lt(&args[0], &args[1]).and_then(|l| {
            if l {
                Ok(false)
            } else {
                eq(&args[0], &args[1..2]).map(|e| !e)
            }
        })),
        Ge => boolean(lt(&args[0], &args[1]).map(|l| !l)),
        Call => match &strip_iface(&args[0]) {
            None => Err("call of nil".into()),
            Some(v) => Err(format!("non-function of type {}", v.go_type())),
        },
    }
}

/// The text of a string-kinded value.
pub(crate) fn string_of(v: &Value) -> String {
    match v.untyped() {
        Value::String(s) => s.clone(),
        other => format_v(other),
    }
}

/// How html/js/urlquery turn their arguments into one string.
fn eval_args(args: &[V]) -> String {
    if let [Some(v)] = args
        && let Value::String(s) = v
    {
        return s.clone();
    }
    let printable: Vec<V> = args
        .iter()
        .map(|a| match a {
            None => Some(Value::String("<no value>".into())),
            Some(v) => Some(indirect(v).clone()),
        })
        .collect();
    sprint(&printable)
}

pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

pub(crate) fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            _ if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            _ if c.is_ascii() || go_is_print(c) => out.push(c),
            _ => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn length(item: &V) -> Result<V, String> {
    let Some(item) = item else {
        return Err("reflect: call of reflect.Value.Type on zero Value".into());
    };
    let base = indirect(item);
    let n = match base.untyped() {
        Value::Nil => return Err("len of nil pointer".into()),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::String(s) => s.len(),
        _ => return Err(format!("len of type {}", base.go_type())),
    };
    Ok(Some(Value::Int(n as i64)))
}

/// An index argument as Go's `indexArg` takes it.
fn index_arg(index: &V, cap: usize) -> Result<usize, String> {
    let x: i128 = match index.as_ref().map(Value::untyped) {
        None => return Err("cannot index slice/array with nil".into()),
        Some(Value::Int(i)) => i128::from(*i),
        Some(Value::Uint(u)) => i128::from(*u),
        Some(_) => {
            let t = index.as_ref().map(Value::go_type).unwrap_or_default();
            return Err(format!("cannot index slice/array with type {t}"));
        }
    };
    if x < 0 || x > cap as i128 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn element_zero(map: &Value) -> Value {
    let t = map.go_type();
    let elem = t.strip_prefix("map[string]").unwrap_or("interface {}");
    zero_of(elem)
}

/// Go's zero value for a type name.
pub(crate) fn zero_of(t: &str) -> Value {
    match t {
        "string" => Value::String(String::new()),
        "int" | "int64" | "int32" => Value::Int(0),
        "uint" | "uint64" | "uint32" | "uint8" => Value::Uint(0),
        "float64" | "float32" => Value::Float(0.0),
        "bool" => Value::Bool(false),
        _ if t.starts_with("[]") => Value::List(Vec::new()),
        _ if t.starts_with("map[") => Value::Map(Default::default()),
        "struct {}" => Value::Struct(Vec::new()),
        _ => Value::Nil,
    }
}

fn index(item: &V, indexes: &[V]) -> Result<V, String> {
    let Some(mut item) = strip_iface(item) else {
        return Err("index of untyped nil".into());
    };
    for idx in indexes {
        let idx = &strip_iface(idx);
        let base = indirect(&item).clone();
        item = match base.untyped() {
            Value::Nil => return Err("index of nil pointer".into()),
            Value::List(l) => {
                let x = index_arg(idx, l.len())?;
                l.get(x)
                    .cloned()
                    .ok_or("reflect: slice index out of range")?
            }
            Value::String(s) => {
                let x = index_arg(idx, s.len())?;
                let b = s
                    .as_bytes()
                    .get(x)
                    .ok_or("reflect: string index out of range")?;
                Value::typed("uint8", Value::Uint(u64::from(*b)))
            }
            Value::Map(m) => {
                let key = match idx {
                    None => return Err("value is nil; should be of type string".into()),
                    Some(k) => match k {
                        Value::String(s) => s.clone(),
                        Value::Typed(t, inner)
                            if t == "interface {}"
                                && matches!(inner.as_ref(), Value::String(_)) =>
                        {
                            string_of(inner)
                        }
                        other => {
                            return Err(format!(
                                "value has type {}; should be string",
                                other.go_type()
                            ));
                        }
                    },
                };
                match m.get(&key) {
                    Some(v) => v.clone(),
                    None => element_zero(&base),
                }
            }
            _ => return Err(format!("can't index item of type {}", base.go_type())),
        };
    }
    Ok(Some(item))
}

fn slice(item: &V, indexes: &[V]) -> Result<V, String> {
    let Some(item) = &strip_iface(item) else {
        return Err("slice of untyped nil".into());
    };
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item.untyped() {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        _ => return Err(format!("can't slice item of type {}", item.go_type())),
    };
    let mut idx = [0, len, 0];
    for (i, x) in indexes.iter().enumerate() {
        idx[i] = index_arg(x, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(Some(match item.untyped() {
        // Byte offsets may split a character; Rust strings cannot hold the halves.
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::List(l) => Value::List(l[idx[0]..idx[1]].to_vec()),
        _ => Value::Nil,
    }))
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Str,
}

fn basic_kind(v: &V) -> Kind {
    match v.as_ref().map(Value::untyped) {
        Some(Value::Bool(_)) => Kind::Bool,
        Some(Value::Int(_)) => Kind::Int,
        Some(Value::Uint(_)) => Kind::Uint,
        Some(Value::Float(_)) => Kind::Float,
        Some(Value::String(_)) => Kind::Str,
        _ => Kind::Invalid,
    }
}

/// Strips an `interface {}` layer, as Go's `indirectInterface`.
fn strip_iface(v: &V) -> V {
    match v {
        Some(Value::Typed(t, inner)) if t == "interface {}" => match inner.as_ref() {
            Value::Nil => None,
            other => Some(other.clone()),
        },
        other => other.clone(),
    }
}

const BAD_COMPARISON: &str = "incompatible types for comparison";
const BAD_COMPARISON_TYPE: &str = "invalid type for comparison";

fn eq(a: &V, bs: &[V]) -> Result<bool, String> {
    let a = strip_iface(a);
    if bs.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic_kind(&a);
    for b in bs {
        let b = strip_iface(b);
        let k2 = basic_kind(&b);
        let av = a.as_ref().map(Value::untyped);
        let bv = b.as_ref().map(Value::untyped);
        let truth = if k1 != k2 {
            match (av, bv) {
                (Some(Value::Int(i)), Some(Value::Uint(u)))
                | (Some(Value::Uint(u)), Some(Value::Int(i))) => *i >= 0 && *i as u64 == *u,
                _ if a.is_some() && b.is_some() => return Err(BAD_COMPARISON.into()),
                _ => false,
            }
        } else {
            match (av, bv) {
                (Some(Value::Bool(x)), Some(Value::Bool(y))) => x == y,
                (Some(Value::Int(x)), Some(Value::Int(y))) => x == y,
                (Some(Value::Uint(x)), Some(Value::Uint(y))) => x == y,
                (Some(Value::Float(x)), Some(Value::Float(y))) => x == y,
                (Some(Value::String(x)), Some(Value::String(y))) => x == y,
                _ => compare_other(&a, &b)?,
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `eq` on values that are not basic kinds: nils, structs, times, lists, maps.
fn compare_other(a: &V, b: &V) -> Result<bool, String> {
    let is_nil = |v: &V| v.as_ref().is_none_or(|v| matches!(v.untyped(), Value::Nil));
    if is_nil(a) || is_nil(b) {
        return Ok(is_nil(a) == is_nil(b));
    }
    let (Some(x), Some(y)) = (a, b) else {
        return Ok(false);
    };
    let kind = |v: &Value| std::mem::discriminant(v.untyped());
    let text = |v: &Value| sprintf("%s", &[Some(v.clone())]);
    if kind(x) != kind(y) {
        return Err(format!(
            "non-comparable types {}: {}, {}: {}",
            text(x),
            x.go_type(),
            y.go_type(),
            format_v(y)
        ));
    }
    if !comparable(y) {
        return Err(format!("non-comparable type {}: {}", text(y), y.go_type()));
    }
    Ok(x.go_type() == y.go_type() && x.untyped() == y.untyped())
}

/// Go's `Type.Comparable`: slices and maps are not, nor structs containing them.
fn comparable(v: &Value) -> bool {
    match v.untyped() {
        Value::List(_) | Value::Map(_) => false,
        Value::Struct(fields) => fields.iter().all(|(_, f)| comparable(f)),
        _ => true,
    }
}

fn lt(a: &V, b: &V) -> Result<bool, String> {
    let (a, b) = (strip_iface(a), strip_iface(b));
    let (k1, k2) = (basic_kind(&a), basic_kind(&b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err(BAD_COMPARISON_TYPE.into());
    }
    let av = a.as_ref().map(Value::untyped);
    let bv = b.as_ref().map(Value::untyped);
    Ok(match (av, bv) {
        (Some(Value::Int(i)), Some(Value::Uint(u))) => *i < 0 || (*i as u64) < *u,
        (Some(Value::Uint(u)), Some(Value::Int(i))) => *i >= 0 && *u < *i as u64,
        _ if k1 != k2 => return Err(BAD_COMPARISON.into()),
        (Some(Value::Bool(_)), _) => return Err(BAD_COMPARISON_TYPE.into()),
        (Some(Value::Int(x)), Some(Value::Int(y))) => x < y,
        (Some(Value::Uint(x)), Some(Value::Uint(y))) => x < y,
        (Some(Value::Float(x)), Some(Value::Float(y))) => x < y,
        (Some(Value::String(x)), Some(Value::String(y))) => x < y,
        _ => return Err(BAD_COMPARISON_TYPE.into()),
    })
}
