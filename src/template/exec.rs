//! Executes a parsed template the way Go's text/template does, including which node an
//! error is reported at and the wording of the error.
//!
//! Values are `Option<Value>`: `None` is Go's invalid `reflect.Value` (a missing map key, an
//! untyped nil), which prints as `<no value>`.

use super::funcs::{Callee, Param};
use super::node::{Arg, At, BranchKind, Command, List, Node, Number, Pipe};
use super::parse::Trees;
use super::print::format_v;
use super::value::Value;
use super::{ErrorKind, TemplateError};
use crate::gotext::go_quote;

pub(crate) type V = Option<Value>;

/// Template calls nest at most this deep (Go allows 100000; Rust stacks are smaller).
const MAX_TEMPLATE_DEPTH: usize = 100;

pub(crate) enum Flow {
    Break,
    Continue,
    Err(TemplateError),
}

pub(crate) type R<T> = Result<T, Flow>;

pub(crate) struct Exec<'t> {
    pub trees: &'t Trees,
    pub report_funcs: bool,
    /// Name of the template being executed (Go's `s.tmpl.Name()`).
    pub name: String,
    /// Name used in locations (Go's `ParseName`) and the text the positions refer to.
    pub parse_name: &'t str,
    pub text: &'t str,
    pub out: String,
    vars: Vec<(String, V)>,
    at: At<'t>,
    depth: usize,
}

/// Runs template `name` of `trees` on `data`; returns the output so far and any error.
pub(crate) fn execute(
    trees: &Trees,
    name: &str,
    text: &str,
    data: &Value,
    report_funcs: bool,
) -> (String, Option<TemplateError>) {
    let mut ex = Exec {
        trees,
        report_funcs,
        name: name.to_string(),
        parse_name: name,
        text,
        out: String::new(),
        vars: vec![("$".to_string(), Some(data.clone()))],
        at: At::None,
        depth: 0,
    };
    let dot = Some(data.clone());
    let result = match trees.trees.get(name) {
        Some(root) => ex.walk_list(&dot, root),
        None => ex.errorf(format!(
            "{} is an incomplete or empty template",
            go_quote(name)
        )),
    };
    let err = match result {
        Ok(()) => None,
        Err(Flow::Err(e)) => Some(e),
        // The parser only accepts break/continue inside range, which consumes them.
        Err(Flow::Break | Flow::Continue) => None,
    };
    (ex.out, err)
}

/// Strips pointer and interface layers, stopping at a nil (Go's `indirect`).
pub(crate) fn indirect(v: &Value) -> &Value {
    let mut v = v;
    while let Value::Typed(t, inner) = v {
        if t.starts_with('*') || t == "interface {}" {
            v = inner;
        } else {
            break;
        }
    }
    v
}

pub(crate) fn truth(v: &V) -> bool {
    v.as_ref().is_some_and(Value::truth)
}

impl<'t> Exec<'t> {
    fn at(&mut self, at: At<'t>) {
        self.at = at;
    }

    pub(crate) fn errorf<T>(&self, msg: String) -> R<T> {
        let message = match self.at.describe() {
            None => format!("template: {}: {}", self.name, msg),
            Some((pos, context)) => {
                let before = &self.text[..pos.min(self.text.len())];
                let (line, col) = match before.rfind('\n') {
                    None => (1, pos),
                    Some(nl) => (1 + before.matches('\n').count(), pos - (nl + 1)),
                };
                format!(
                    "template: {}:{}:{}: executing {} at <{}>: {}",
                    self.parse_name,
                    line,
                    col,
                    go_quote(&self.name),
                    context,
                    msg
                )
            }
        };
        Err(Flow::Err(TemplateError::new(ErrorKind::Exec, message)))
    }

    fn var_value(&self, name: &str) -> R<V> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    fn set_var(&mut self, name: &str, value: V) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    fn set_top_var(&mut self, n: usize, value: V) {
        let len = self.vars.len();
        if let Some(slot) = len.checked_sub(n).and_then(|i| self.vars.get_mut(i)) {
            slot.1 = value;
        }
    }

    fn walk_list(&mut self, dot: &V, list: &'t List) -> R<()> {
        self.at(At::List(list));
        for node in &list.nodes {
            self.walk(dot, node)?;
        }
        Ok(())
    }

    fn walk(&mut self, dot: &V, node: &'t Node) -> R<()> {
        self.at(At::Node(node));
        match node {
            Node::Text { text, .. } => self.out.push_str(text),
            Node::Action { pipe, .. } => {
                let val = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at(At::Node(node));
                    match val.as_ref().map(indirect) {
                        None => self.out.push_str("<no value>"),
                        Some(v) => self.out.push_str(&format_v(v)),
                    }
                }
            }
            Node::Branch {
                kind: BranchKind::Range,
                pipe,
                list,
                else_list,
                ..
            } => {
                let mark = self.vars.len();
                let r = self.walk_range(dot, node, pipe, list, else_list.as_ref());
                self.vars.truncate(mark);
                r?;
            }
            Node::Branch {
                kind,
                pipe,
                list,
                else_list,
                ..
            } => {
                let mark = self.vars.len();
                let r = self.walk_if_with(*kind, dot, pipe, list, else_list.as_ref());
                self.vars.truncate(mark);
                r?;
            }
            Node::Template { name, pipe, .. } => self.walk_template(dot, name, pipe.as_ref())?,
            Node::Break { .. } => return Err(Flow::Break),
            Node::Continue { .. } => return Err(Flow::Continue),
        }
        Ok(())
    }

    fn walk_if_with(
        &mut self,
        kind: BranchKind,
        dot: &V,
        pipe: &'t Pipe,
        list: &'t List,
        else_list: Option<&'t List>,
    ) -> R<()> {
        let val = self.eval_pipeline(dot, pipe)?;
        if truth(&val) {
            if kind == BranchKind::With {
                self.walk_list(&val, list)
            } else {
                self.walk_list(dot, list)
            }
        } else if let Some(e) = else_list {
            self.walk_list(dot, e)
        } else {
            Ok(())
        }
    }

    fn walk_range(
        &mut self,
        dot: &V,
        node: &'t Node,
        pipe: &'t Pipe,
        list: &'t List,
        else_list: Option<&'t List>,
    ) -> R<()> {
        self.at(At::Node(node));
        let val = self.eval_pipeline(dot, pipe)?;
        let mark = self.vars.len();
        let items: Vec<(Value, Value)> = match val.as_ref().map(Value::untyped) {
            None => Vec::new(),
            Some(Value::List(l)) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Value::Int(i as i64), e.clone()))
                .collect(),
            Some(Value::Map(m)) => m
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                .collect(),
            Some(v) => return self.errorf(format!("range can't iterate over {}", format_v(v))),
        };
        for (index, elem) in items {
            if !pipe.decl.is_empty() {
                self.set_top_var(1, Some(elem.clone()));
            }
            if pipe.decl.len() > 1 {
                self.set_top_var(2, Some(index));
            }
            let r = self.walk_list(&Some(elem), list);
            self.vars.truncate(mark);
            match r {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        let empty = match val.as_ref().map(Value::untyped) {
            Some(Value::List(l)) => l.is_empty(),
            Some(Value::Map(m)) => m.is_empty(),
            _ => true,
        };
        match else_list {
            Some(e) if empty => self.walk_list(dot, e),
            _ => Ok(()),
        }
    }

    fn walk_template(&mut self, dot: &V, name: &str, pipe: Option<&'t Pipe>) -> R<()> {
        let Some(tree) = self.trees.trees.get(name) else {
            return self.errorf(format!("template {} not defined", go_quote(name)));
        };
        if self.depth >= MAX_TEMPLATE_DEPTH {
            return self.errorf(format!(
                "exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"
            ));
        }
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => None,
        };
        let saved_vars =
            std::mem::replace(&mut self.vars, vec![("$".to_string(), new_dot.clone())]);
        let saved_name = std::mem::replace(&mut self.name, name.to_string());
        self.depth += 1;
        let r = self.walk_list(&new_dot, tree);
        self.depth -= 1;
        self.vars = saved_vars;
        self.name = saved_name;
        r
    }

    pub(crate) fn eval_pipeline(&mut self, dot: &V, pipe: &'t Pipe) -> R<V> {
        self.at(At::Pipe(pipe));
        let mut value: Option<V> = None;
        for cmd in &pipe.cmds {
            let mut v = self.eval_command(dot, cmd, value.take())?;
            // An interface{}-typed result becomes its dynamic value; a nil one, no value.
            while let Some(Value::Typed(t, inner)) = &v {
                if t != "interface {}" {
                    break;
                }
                v = match inner.as_ref() {
                    Value::Nil => None,
                    other => Some(other.clone()),
                };
            }
            value = Some(v);
        }
        let value = value.unwrap_or(None);
        for (_, name) in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<V>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            return self.errorf(format!(
                "can't give argument to non-function {}",
                args[0].text()
            ));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &V, cmd: &'t Command, fin: Option<V>) -> R<V> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { ident, .. } => {
                return self.eval_field_node(dot, first, ident, &cmd.args, fin);
            }
            Arg::Chain { node, fields, .. } => {
                return self.eval_chain_node(dot, first, node, fields, &cmd.args, fin);
            }
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, At::Cmd(cmd), &cmd.args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { ident, .. } => {
                return self.eval_variable_node(dot, first, ident, &cmd.args, fin);
            }
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { val, .. } => Ok(Some(Value::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.errorf("nil is not a command".into()),
            Arg::Number { num, .. } => self.ideal_constant(first, num),
            Arg::Str { text, .. } => Ok(Some(Value::String(text.clone()))),
            _ => self.errorf(format!(
                "can't evaluate command {}",
                go_quote(&first.text())
            )),
        }
    }

    fn ideal_constant(&mut self, arg: &'t Arg, num: &Number) -> R<V> {
        self.at(At::Arg(arg));
        let t = &num.text;
        let hex_int = t.len() > 2
            && t.starts_with('0')
            && matches!(t.as_bytes()[1], b'x' | b'X')
            && !t.contains(['p', 'P']);
        let rune = t.starts_with('\'');
        if num.complex {
            return self.errorf(format!("complex constant {t} is not supported"));
        }
        match (num.float, num.int, num.uint) {
            (Some(f), _, _) if !hex_int && !rune && t.contains(['.', 'e', 'E', 'p', 'P']) => {
                Ok(Some(Value::Float(f)))
            }
            (_, Some(i), _) => Ok(Some(Value::Int(i))),
            (_, None, Some(_)) => self.errorf(format!("{t} overflows int")),
            _ => Ok(None),
        }
    }

    fn eval_field_node(
        &mut self,
        dot: &V,
        node: &'t Arg,
        ident: &[String],
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        self.at(At::Arg(node));
        self.eval_field_chain(dot, dot.clone(), node, ident, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &V,
        chain: &'t Arg,
        inner: &'t Arg,
        fields: &[String],
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        self.at(At::Arg(chain));
        if let Arg::Nil { .. } = inner {
            return self.errorf(format!(
                "indirection through explicit nil in {}",
                chain.text()
            ));
        }
        let receiver = self.eval_arg(dot, None, inner)?;
        self.eval_field_chain(dot, receiver, chain, fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &V,
        node: &'t Arg,
        ident: &[String],
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        self.at(At::Arg(node));
        let value = self.var_value(&ident[0])?;
        if ident.len() == 1 {
            self.not_a_function(args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, node, &ident[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &V,
        mut receiver: V,
        node: &'t Arg,
        ident: &[String],
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        let n = ident.len();
        for name in &ident[..n - 1] {
            receiver = self.eval_field(dot, name, node, &[], None, receiver)?;
        }
        self.eval_field(dot, &ident[n - 1], node, args, fin, receiver)
    }

    fn eval_function(
        &mut self,
        dot: &V,
        ident: &'t Arg,
        name: &str,
        node: At<'t>,
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        self.at(At::Arg(ident));
        let Some(callee) = Callee::function(name, self.report_funcs) else {
            return self.errorf(format!("{} is not a defined function", go_quote(name)));
        };
        self.eval_call(dot, &callee, node, name, args, fin)
    }

    fn eval_field(
        &mut self,
        dot: &V,
        name: &str,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<V>,
        receiver: V,
    ) -> R<V> {
        let Some(recv) = receiver else {
            return Ok(None);
        };
        let typ = recv.go_type();
        if let Some(callee) = Callee::method(&recv, name) {
            return self.eval_call(dot, &callee, At::Arg(node), name, args, fin);
        }
        if matches!(recv.untyped(), Value::Nil) {
            // time.Time has no exported fields, so Go knows the field cannot exist.
            if typ == "*time.Time" {
                return self.errorf(format!("can't evaluate field {name} in type {typ}"));
            }
            return self.errorf(format!("nil pointer evaluating {typ}.{name}"));
        }
        let has_args = args.len() > 1 || fin.is_some();
        match recv.untyped() {
            Value::Struct(fields) => {
                if let Some(v) = struct_field(fields, name) {
                    if has_args {
                        return self.errorf(format!(
                            "{name} has arguments but cannot be invoked as function"
                        ));
                    }
                    return Ok(Some(v.clone()));
                }
            }
            Value::Map(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                return Ok(m.get(name).cloned());
            }
            _ => {}
        }
        self.errorf(format!("can't evaluate field {name} in type {typ}"))
    }

    fn eval_call(
        &mut self,
        dot: &V,
        callee: &Callee,
        node: At<'t>,
        name: &str,
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        let args = args.get(1..).unwrap_or(&[]);
        let sig = callee.signature();
        let num_in = args.len() + usize::from(fin.is_some());
        let num_fixed = if sig.variadic.is_some() {
            sig.params.len()
        } else {
            args.len()
        };
        if sig.variadic.is_some() {
            if num_in < num_fixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    sig.params.len(),
                    args.len()
                ));
            }
        } else if num_in != sig.params.len() {
            return self.errorf(format!(
                "wrong number of args for {name}: want {} got {num_in}",
                sig.params.len()
            ));
        }
        if let Some(is_or) = callee.and_or() {
            let mut v = None;
            for a in args {
                v = self.eval_arg(dot, Some(Param::Reflect), a)?;
                if truth(&v) == is_or {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            let p = if i < num_fixed {
                sig.params[i]
            } else {
                sig.variadic.unwrap_or(Param::Any)
            };
            argv.push(self.eval_arg(dot, Some(p), a)?);
        }
        if let Some(f) = fin {
            let p = match sig.variadic {
                Some(var) if num_in > num_fixed => var,
                _ => sig.params[num_in - 1],
            };
            argv.push(self.validate_type(f, Some(p))?);
        }
        match callee.call(argv) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at(node);
                self.errorf(format!("error calling {name}: {e}"))
            }
        }
    }

    /// Go's `validateType`: checks a computed value against a parameter type.
    fn validate_type(&mut self, value: V, param: Option<Param>) -> R<V> {
        let Some(p) = param else {
            return Ok(value);
        };
        let Some(v) = value else {
            if p.can_be_nil() {
                return Ok(p.zero());
            }
            return self.errorf(format!("invalid value; expected {}", p.go_name()));
        };
        let want = p.go_name();
        match p {
            Param::Reflect => return Ok(Some(v)),
            // An interface{} parameter receives the dynamic value.
            Param::Any => {
                return Ok(match v {
                    Value::Typed(t, inner) if t == "interface {}" => match *inner {
                        Value::Nil => None,
                        other => Some(other),
                    },
                    other => Some(other),
                });
            }
            _ => {}
        }
        let mut v = v;
        if let Value::Typed(t, inner) = &v
            && t == "interface {}"
            && !matches!(inner.as_ref(), Value::Nil)
        {
            v = (**inner).clone();
        }
        let have = v.go_type();
        if have == want {
            return Ok(Some(v));
        }
        if have.strip_prefix('*') == Some(want) {
            return match v {
                Value::Typed(_, inner) if !matches!(*inner, Value::Nil) => Ok(Some(*inner)),
                _ => self.errorf(format!("dereference of nil pointer of type {want}")),
            };
        }
        self.errorf(format!("wrong type for value; expected {want}; got {have}"))
    }

    /// Go's `evalArg`: evaluates an argument node for a parameter type (`None`: any, as is).
    fn eval_arg(&mut self, dot: &V, param: Option<Param>, arg: &'t Arg) -> R<V> {
        self.at(At::Arg(arg));
        match arg {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), param),
            Arg::Nil { .. } => {
                return match param {
                    Some(p) if p.can_be_nil() => Ok(p.zero()),
                    Some(p) => self.errorf(format!("cannot assign nil to {}", p.go_name())),
                    None => Ok(None),
                };
            }
            Arg::Field { ident, .. } => {
                let v = self.eval_field_node(dot, arg, ident, std::slice::from_ref(arg), None)?;
                return self.validate_type(v, param);
            }
            Arg::Variable { ident, .. } => {
                let v = self.eval_variable_node(dot, arg, ident, &[], None)?;
                return self.validate_type(v, param);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline(dot, p)?;
                return self.validate_type(v, param);
            }
            Arg::Identifier { name, .. } => {
                let v = self.eval_function(dot, arg, name, At::Arg(arg), &[], None)?;
                return self.validate_type(v, param);
            }
            Arg::Chain { node, fields, .. } => {
                let v = self.eval_chain_node(dot, arg, node, fields, &[], None)?;
                return self.validate_type(v, param);
            }
            _ => {}
        }
        match param {
            Some(Param::Str) => match arg {
                Arg::Str { text, .. } => Ok(Some(Value::String(text.clone()))),
                _ => self.errorf(format!("expected string; found {}", arg.text())),
            },
            Some(Param::Int) => match arg {
                Arg::Number { num, .. } if num.int.is_some() => Ok(num.int.map(Value::Int)),
                _ => self.errorf(format!("expected integer; found {}", arg.text())),
            },
            Some(Param::Reflect | Param::Any) | None => match arg {
                Arg::Bool { val, .. } => Ok(Some(Value::Bool(*val))),
                Arg::Number { num, .. } => self.ideal_constant(arg, num),
                Arg::Str { text, .. } => Ok(Some(Value::String(text.clone()))),
                _ => self.errorf(format!(
                    "can't handle assignment of {} to empty interface argument",
                    arg.text()
                )),
            },
            Some(p) => self.errorf(format!(
                "can't handle {} for arg of type {}",
                arg.text(),
                p.go_name()
            )),
        }
    }
}

/// A struct field by name, looking into embedded structs as Go promotes their fields.
pub(crate) fn struct_field<'v>(fields: &'v [(String, Value)], name: &str) -> Option<&'v Value> {
    if let Some((_, v)) = fields.iter().find(|(n, _)| n == name) {
        return Some(v);
    }
    fields.iter().find_map(|(n, v)| {
        let Value::Typed(t, inner) = v else {
            return None;
        };
        let base = t.trim_start_matches('*');
        let base = base.rsplit('.').next().unwrap_or(base);
        match inner.untyped() {
            Value::Struct(f) if base == n => struct_field(f, name),
            _ => None,
        }
    })
}
