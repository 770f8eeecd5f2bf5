//! Parse tree of a template, and the text Go prints for each node in error messages.

#[derive(Debug, Clone)]
pub(crate) struct List {
    pub pos: usize,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BranchKind {
    If,
    Range,
    With,
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text {
        pos: usize,
        text: String,
    },
    Action {
        pos: usize,
        pipe: Pipe,
    },
    Branch {
        kind: BranchKind,
        pos: usize,
        pipe: Pipe,
        list: List,
        else_list: Option<List>,
    },
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break {
        pos: usize,
    },
    Continue {
        pos: usize,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<(usize, String)>,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(crate) struct Number {
    pub text: String,
    pub int: Option<i64>,
    pub uint: Option<u64>,
    pub float: Option<f64>,
    pub complex: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Field {
        pos: usize,
        ident: Vec<String>,
    },
    Variable {
        pos: usize,
        ident: Vec<String>,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Bool {
        pos: usize,
        val: bool,
    },
    Number {
        pos: usize,
        num: Number,
    },
    Str {
        pos: usize,
        quoted: String,
        text: String,
    },
    Identifier {
        pos: usize,
        name: String,
    },
    Pipe(Box<Pipe>),
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::Str { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Chain { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }

    pub fn write(&self, out: &mut String) {
        match self {
            Arg::Field { ident, .. } => {
                for id in ident {
                    out.push('.');
                    out.push_str(id);
                }
            }
            Arg::Variable { ident, .. } => out.push_str(&ident.join(".")),
            Arg::Dot { .. } => out.push('.'),
            Arg::Nil { .. } => out.push_str("nil"),
            Arg::Bool { val, .. } => out.push_str(if *val { "true" } else { "false" }),
            Arg::Number { num, .. } => out.push_str(&num.text),
            Arg::Str { quoted, .. } => out.push_str(quoted),
            Arg::Identifier { name, .. } => out.push_str(name),
            Arg::Pipe(p) => p.write(out),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    out.push('(');
                    p.write(out);
                    out.push(')');
                } else {
                    node.write(out);
                }
                for f in fields {
                    out.push('.');
                    out.push_str(f);
                }
            }
        }
    }

    pub fn text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

impl Command {
    pub fn write(&self, out: &mut String) {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if let Arg::Pipe(p) = arg {
                out.push('(');
                p.write(out);
                out.push(')');
            } else {
                arg.write(out);
            }
        }
    }
}

impl Pipe {
    pub fn write(&self, out: &mut String) {
        if !self.decl.is_empty() {
            let names: Vec<&str> = self.decl.iter().map(|(_, n)| n.as_str()).collect();
            out.push_str(&names.join(", "));
            out.push_str(" := ");
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            c.write(out);
        }
    }
}

impl List {
    pub fn write(&self, out: &mut String) {
        for n in &self.nodes {
            n.write(out);
        }
    }
}

impl Node {
    pub fn pos(&self) -> usize {
        match self {
            Node::Text { pos, .. }
            | Node::Action { pos, .. }
            | Node::Branch { pos, .. }
            | Node::Template { pos, .. }
            | Node::Break { pos }
            | Node::Continue { pos } => *pos,
        }
    }

    pub fn write(&self, out: &mut String) {
        match self {
            Node::Text { text, .. } => out.push_str(text),
            Node::Action { pipe, .. } => {
                out.push_str("{{");
                pipe.write(out);
                out.push_str("}}");
            }
            Node::Branch {
                kind,
                pipe,
                list,
                else_list,
                ..
            } => {
                out.push_str(match kind {
                    BranchKind::If => "{{if ",
                    BranchKind::Range => "{{range ",
                    BranchKind::With => "{{with ",
                });
                pipe.write(out);
                out.push_str("}}");
                list.write(out);
                if let Some(e) = else_list {
                    out.push_str("{{else}}");
                    e.write(out);
                }
                out.push_str("{{end}}");
            }
            Node::Template { name, pipe, .. } => {
                out.push_str("{{template ");
                out.push_str(&crate::gotext::go_quote(name));
                if let Some(p) = pipe {
                    out.push(' ');
                    p.write(out);
                }
                out.push_str("}}");
            }
            Node::Break { .. } => out.push_str("{{break}}"),
            Node::Continue { .. } => out.push_str("{{continue}}"),
        }
    }
}

/// The node an execution error is reported at (Go's `state.node`).
#[derive(Clone, Copy)]
pub(crate) enum At<'t> {
    None,
    Node(&'t Node),
    List(&'t List),
    Pipe(&'t Pipe),
    Arg(&'t Arg),
    Cmd(&'t Command),
}

impl At<'_> {
    /// Byte offset and Go's `String()` of the node.
    pub fn describe(&self) -> Option<(usize, String)> {
        let mut s = String::new();
        let pos = match self {
            At::None => return None,
            At::Node(n) => {
                n.write(&mut s);
                n.pos()
            }
            At::List(l) => {
                l.write(&mut s);
                l.pos
            }
            At::Pipe(p) => {
                p.write(&mut s);
                p.pos
            }
            At::Arg(a) => {
                a.write(&mut s);
                a.pos()
            }
            At::Cmd(c) => {
                c.write(&mut s);
                c.pos
            }
        };
        Some((pos, s))
    }
}
