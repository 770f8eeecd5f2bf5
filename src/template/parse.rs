//! Parser for Go text/template, following Go 1.19's grammar and error messages.
//!
//! The parser keeps Go's three-token look-ahead buffer because Go reports the line of the
//! most recently scanned token in parse errors; keeping the same buffer keeps those lines.

use super::lexer::{Item, Tok, lex};
use super::node::{Arg, BranchKind, Command, List, Node, Pipe};
use crate::gotext::go_quote;
use std::collections::BTreeMap;

/// Nesting limit for parentheses and control blocks. Go 1.19 has none (its stacks grow);
/// a limit keeps a hostile template from overflowing ours. The message is the one later Go
/// versions use for their limit.
const MAX_DEPTH: usize = 100;

/// A parsed template set: the main tree and any `define`/`block` templates, by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trees {
    pub trees: BTreeMap<String, List>,
}

#[derive(Debug)]
pub(crate) struct ParseError(pub String);

type PResult<T> = Result<T, ParseError>;

enum Ctl {
    Node(Node),
    End,
    Else(usize),
}

struct Parser<'f> {
    name: String,
    items: Vec<Item>,
    next_item: usize,
    token: [Item; 3],
    peek_count: usize,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    action_line: usize,
    has_func: &'f dyn Fn(&str) -> bool,
    trees: Trees,
}

/// Parses `text` as template `name`. `has_func` says which function names exist.
pub(crate) fn parse(
    name: &str,
    text: &str,
    has_func: &dyn Fn(&str) -> bool,
) -> Result<Trees, ParseError> {
    let blank = Item {
        typ: Tok::Eof,
        pos: 0,
        val: String::new(),
        line: 0,
    };
    let mut p = Parser {
        name: name.to_string(),
        items: lex(text),
        next_item: 0,
        token: [blank.clone(), blank.clone(), blank],
        peek_count: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
        depth: 0,
        action_line: 0,
        has_func,
        trees: Trees::default(),
    };
    let root = p.parse_top()?;
    p.add(name.to_string(), root)?;
    Ok(p.trees)
}

fn is_empty_tree(list: &List) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text { text, .. } => text.trim_matches(|c: char| c.is_whitespace()).is_empty(),
        _ => false,
    })
}

impl Parser<'_> {
    fn lex_next(&mut self) -> Item {
        // After the final Eof/Error item, Go's closed channel yields a zero item; repeating
        // the final item is equivalent because the parser stops at it.
        let i = self.next_item.min(self.items.len().saturating_sub(1));
        self.next_item += 1;
        self.items.get(i).cloned().unwrap_or(Item {
            typ: Tok::Eof,
            pos: 0,
            val: String::new(),
            line: 1,
        })
    }

    fn next(&mut self) -> Item {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.lex_next();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item, t1: Item) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.lex_next();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let t = self.next();
            if t.typ != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn errorf<T>(&self, msg: String) -> PResult<T> {
        Err(ParseError(format!(
            "template: {}:{}: {}",
            self.name, self.token[0].line, msg
        )))
    }

    fn expect(&mut self, expected: Tok, context: &str) -> PResult<Item> {
        let t = self.next_non_space();
        if t.typ != expected {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn unexpected<T>(&self, token: &Item, context: &str) -> PResult<T> {
        if token.typ == Tok::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(" in action started at {}:{}", self.name, self.action_line);
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{}{}", token.describe(), extra));
        }
        self.errorf(format!("unexpected {} in {}", token.describe(), context))
    }

    fn add(&mut self, name: String, root: List) -> PResult<()> {
        match self.trees.trees.get(&name) {
            Some(existing) if !is_empty_tree(existing) => {
                if !is_empty_tree(&root) {
                    return self.errorf(format!(
                        "template: multiple definition of template {}",
                        go_quote(&name)
                    ));
                }
            }
            _ => {
                self.trees.trees.insert(name, root);
            }
        }
        Ok(())
    }

    fn parse_top(&mut self) -> PResult<List> {
        let pos = self.peek().pos;
        let mut root = List {
            pos,
            nodes: Vec::new(),
        };
        while self.peek().typ != Tok::Eof {
            if self.peek().typ == Tok::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Ctl::End => return self.errorf("unexpected {{end}}".into()),
                Ctl::Else(_) => return self.errorf("unexpected {{else}}".into()),
                Ctl::Node(n) => root.nodes.push(n),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let t = self.next_non_space();
        if !matches!(t.typ, Tok::String | Tok::RawString) {
            return self.unexpected(&t, context);
        }
        let name = self.unquote(&t.val)?;
        self.expect(Tok::RightDelim, context)?;
        // A definition is a tree of its own: own variables, not inside any range.
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved;
        self.range_depth = saved_range;
        if let Ctl::Else(_) = end {
            return self.errorf(format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add(name, list)
    }

    fn item_list(&mut self) -> PResult<(List, Ctl)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.errorf("max expression depth exceeded".into());
        }
        let pos = self.peek_non_space().pos;
        let mut list = List {
            pos,
            nodes: Vec::new(),
        };
        while self.peek_non_space().typ != Tok::Eof {
            match self.text_or_action()? {
                Ctl::Node(n) => list.nodes.push(n),
                end => {
                    self.depth -= 1;
                    return Ok((list, end));
                }
            }
        }
        self.errorf("unexpected EOF".into())
    }

    fn text_or_action(&mut self) -> PResult<Ctl> {
        let t = self.next_non_space();
        match t.typ {
            Tok::Text => Ok(Ctl::Node(Node::Text {
                pos: t.pos,
                text: t.val,
            })),
            Tok::LeftDelim => {
                self.action_line = t.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Ctl> {
        let t = self.next_non_space();
        match t.typ {
            Tok::Block => return self.block_control().map(Ctl::Node),
            Tok::Break | Tok::Continue => {
                let word = if t.typ == Tok::Break {
                    "break"
                } else {
                    "continue"
                };
                let next = self.next_non_space();
                if next.typ != Tok::RightDelim {
                    return self.unexpected(&next, &format!("{{{{{word}}}}}"));
                }
                if self.range_depth == 0 {
                    return self.errorf(format!("{{{{{word}}}}} outside {{{{range}}}}"));
                }
                let pos = t.pos;
                return Ok(Ctl::Node(if t.typ == Tok::Break {
                    Node::Break { pos }
                } else {
                    Node::Continue { pos }
                }));
            }
            Tok::Else => {
                let peek = self.peek_non_space();
                if peek.typ == Tok::If {
                    return Ok(Ctl::Else(peek.pos));
                }
                let t = self.expect(Tok::RightDelim, "else")?;
                return Ok(Ctl::Else(t.pos));
            }
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Ctl::End);
            }
            Tok::If => return self.branch(BranchKind::If).map(Ctl::Node),
            Tok::Range => return self.branch(BranchKind::Range).map(Ctl::Node),
            Tok::With => return self.branch(BranchKind::With).map(Ctl::Node),
            Tok::Template => return self.template_control().map(Ctl::Node),
            _ => {}
        }
        self.backup();
        let pos = self.peek().pos;
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Ctl::Node(Node::Action { pos, pipe }))
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.errorf("max expression depth exceeded".into());
        }
        let pos = self.peek_non_space().pos;
        let mut pipe = Pipe {
            pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        self.declarations(&mut pipe, context)?;
        loop {
            let t = self.next_non_space();
            match t.typ {
                _ if t.typ == end => {
                    self.check_pipeline(&pipe, context)?;
                    self.depth -= 1;
                    return Ok(pipe);
                }
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn declarations(&mut self, pipe: &mut Pipe, context: &str) -> PResult<()> {
        loop {
            let v = self.peek_non_space();
            if v.typ != Tok::Variable {
                return Ok(());
            }
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            if next.typ == Tok::Assign || next.typ == Tok::Declare {
                pipe.is_assign = next.typ == Tok::Assign;
                self.next_non_space();
                pipe.decl.push((v.pos, v.val.clone()));
                self.vars.push(v.val);
                return Ok(());
            }
            if next.typ == Tok::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push((v.pos, v.val.clone()));
                self.vars.push(v.val);
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        Tok::Variable | Tok::RightDelim | Tok::RightParen => continue,
                        _ => return self.errorf("range can only initialize variables".into()),
                    }
                }
                return self.errorf(format!("too many declarations in {context}"));
            }
            if after.typ == Tok::Space {
                self.backup3(v, after);
            } else {
                self.backup2(v);
            }
            return Ok(());
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number { .. }
                        | Arg::Str { .. }
                )
            ) {
                return self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn branch(&mut self, kind: BranchKind) -> PResult<Node> {
        let context = match kind {
            BranchKind::If => "if",
            BranchKind::Range => "range",
            BranchKind::With => "with",
        };
        let vars = self.vars.len();
        let r = self.branch_inner(kind, context);
        self.vars.truncate(vars);
        r
    }

    fn branch_inner(&mut self, kind: BranchKind, context: &str) -> PResult<Node> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if kind == BranchKind::Range {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if kind == BranchKind::Range {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let Ctl::Else(else_pos) = next {
            if kind == BranchKind::If && self.peek().typ == Tok::If {
                // "{{else if ...}}" is an if nested in the else branch, sharing its {{end}}.
                self.next();
                let inner = self.branch(BranchKind::If)?;
                else_list = Some(List {
                    pos: else_pos,
                    nodes: vec![inner],
                });
            } else {
                let (list, next) = self.item_list()?;
                if let Ctl::Else(_) = next {
                    return self.errorf("expected end; found {{else}}".into());
                }
                else_list = Some(list);
            }
        }
        Ok(Node::Branch {
            kind,
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&mut self, t: &Item, context: &str) -> PResult<String> {
        match t.typ {
            Tok::String | Tok::RawString => self.unquote(&t.val),
            _ => self.unexpected(t, context),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != Tok::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, Tok::RightDelim)?);
        }
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        // Go parses the body with a separate parser (own token buffer, variables, range
        // depth) but reports a stray {{else}} through the outer one, at its last token.
        let outer_line = self.token[0].line;
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved;
        self.range_depth = saved_range;
        if let Ctl::Else(_) = end {
            return Err(ParseError(format!(
                "template: {}:{outer_line}: unexpected {{{{else}}}} in {context}",
                self.name
            )));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.typ {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.errorf("empty command".into());
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != Tok::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().typ == Tok::Field {
            let f = self.next().val;
            fields.push(f[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut ident, .. } => {
                ident.extend(fields);
                Arg::Field { pos, ident }
            }
            Arg::Variable { mut ident, .. } => {
                ident.extend(fields);
                Arg::Variable { pos, ident }
            }
            Arg::Bool { .. }
            | Arg::Str { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                return self.errorf(format!(
                    "unexpected . after term {}",
                    go_quote(&node.text())
                ));
            }
            other => Arg::Chain {
                pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let pos = t.pos;
        Ok(Some(match t.typ {
            Tok::Identifier => {
                if !(self.has_func)(&t.val) {
                    return self.errorf(format!("function {} not defined", go_quote(&t.val)));
                }
                Arg::Identifier { pos, name: t.val }
            }
            Tok::Dot => Arg::Dot { pos },
            Tok::Nil => Arg::Nil { pos },
            Tok::Variable => {
                let ident: Vec<String> = t.val.split('.').map(str::to_string).collect();
                if !self.vars.iter().any(|v| *v == ident[0]) {
                    return self.errorf(format!("undefined variable {}", go_quote(&ident[0])));
                }
                Arg::Variable { pos, ident }
            }
            Tok::Field => Arg::Field {
                pos,
                ident: t.val[1..].split('.').map(str::to_string).collect(),
            },
            Tok::Bool => Arg::Bool {
                pos,
                val: t.val == "true",
            },
            Tok::CharConstant | Tok::Complex | Tok::Number => {
                let num = match super::number::parse_number(&t.val, t.typ) {
                    Ok(n) => n,
                    Err(e) => return self.errorf(e),
                };
                Arg::Number { pos, num }
            }
            Tok::LeftParen => Arg::Pipe(Box::new(
                self.pipeline("parenthesized pipeline", Tok::RightParen)?,
            )),
            Tok::String | Tok::RawString => {
                let text = self.unquote(&t.val)?;
                Arg::Str {
                    pos,
                    quoted: t.val,
                    text,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn unquote(&self, s: &str) -> PResult<String> {
        match super::number::unquote(s) {
            Some(u) => Ok(u),
            None => self.errorf("invalid syntax".into()),
        }
    }
}
