//! The syntax check Go's `json.Unmarshal` runs over its whole input before decoding
//! (`checkValid`): the scanner's state machine, iterative, with its error texts.

use crate::gotext::go_quote_rune;

/// Go's `maxNestingDepth`.
const MAX_NESTING_DEPTH: usize = 10000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Nest {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    BeginValueOrEmpty,
    BeginValue,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    /// Inside `true`/`false`/`null`; the byte at the index is the next one expected.
    Literal(&'static str, usize),
}

pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// The state machine of Go's `encoding/json` scanner, reduced to validation.
struct Scanner {
    state: State,
    nest: Vec<Nest>,
    end_top: bool,
}

fn syntax_error(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

impl Scanner {
    fn new() -> Scanner {
        Scanner {
            state: State::BeginValue,
            nest: Vec::new(),
            end_top: false,
        }
    }

    fn push(&mut self, c: u8, nest: Nest) -> Result<(), String> {
        self.nest.push(nest);
        if self.nest.len() <= MAX_NESTING_DEPTH {
            Ok(())
        } else {
            Err(syntax_error(c, "exceeded max depth"))
        }
    }

    fn pop(&mut self) {
        self.nest.pop();
        if self.nest.is_empty() {
            self.state = State::EndTop;
            self.end_top = true;
        } else {
            self.state = State::EndValue;
        }
    }

    fn step(&mut self, c: u8) -> Result<(), String> {
        let mut state = self.state;
        loop {
            match state {
                State::BeginValueOrEmpty => {
                    if is_space(c) {
                        return Ok(());
                    }
                    state = if c == b']' {
                        State::EndValue
                    } else {
                        State::BeginValue
                    };
                }
                State::BeginValue => {
                    if is_space(c) {
                        return Ok(());
                    }
                    self.state = match c {
                        b'{' => {
                            self.state = State::BeginStringOrEmpty;
                            return self.push(c, Nest::ObjectKey);
                        }
                        b'[' => {
                            self.state = State::BeginValueOrEmpty;
                            return self.push(c, Nest::ArrayValue);
                        }
                        b'"' => State::InString,
                        b'-' => State::Neg,
                        b'0' => State::Zero,
                        b't' => State::Literal("true", 1),
                        b'f' => State::Literal("false", 1),
                        b'n' => State::Literal("null", 1),
                        b'1'..=b'9' => State::One,
                        _ => return Err(syntax_error(c, "looking for beginning of value")),
                    };
                    return Ok(());
                }
                State::BeginStringOrEmpty => {
                    if is_space(c) {
                        return Ok(());
                    }
                    if c == b'}' {
                        if let Some(top) = self.nest.last_mut() {
                            *top = Nest::ObjectValue;
                        }
                        state = State::EndValue;
                    } else {
                        state = State::BeginString;
                    }
                }
                State::BeginString => {
                    if is_space(c) {
                        return Ok(());
                    }
                    if c == b'"' {
                        self.state = State::InString;
                        return Ok(());
                    }
                    return Err(syntax_error(
                        c,
                        "looking for beginning of object key string",
                    ));
                }
                State::EndValue => {
                    let Some(top) = self.nest.last().copied() else {
                        self.state = State::EndTop;
                        self.end_top = true;
                        state = State::EndTop;
                        continue;
                    };
                    if is_space(c) {
                        self.state = State::EndValue;
                        return Ok(());
                    }
                    match top {
                        Nest::ObjectKey => {
                            if c == b':' {
                                if let Some(t) = self.nest.last_mut() {
                                    *t = Nest::ObjectValue;
                                }
                                self.state = State::BeginValue;
                                return Ok(());
                            }
                            return Err(syntax_error(c, "after object key"));
                        }
                        Nest::ObjectValue => {
                            if c == b',' {
                                if let Some(t) = self.nest.last_mut() {
                                    *t = Nest::ObjectKey;
                                }
                                self.state = State::BeginString;
                                return Ok(());
                            }
                            if c == b'}' {
                                self.pop();
                                return Ok(());
                            }
                            return Err(syntax_error(c, "after object key:value pair"));
                        }
                        Nest::ArrayValue => {
                            if c == b',' {
                                self.state = State::BeginValue;
                                return Ok(());
                            }
                            if c == b']' {
                                self.pop();
                                return Ok(());
                            }
                            return Err(syntax_error(c, "after array element"));
                        }
                    }
                }
                State::EndTop => {
                    if !is_space(c) {
                        return Err(syntax_error(c, "after top-level value"));
                    }
                    return Ok(());
                }
                State::InString => {
                    match c {
                        b'"' => self.state = State::EndValue,
                        b'\\' => self.state = State::InStringEsc,
                        0..=0x1f => return Err(syntax_error(c, "in string literal")),
                        _ => self.state = State::InString,
                    }
                    return Ok(());
                }
                State::InStringEsc => {
                    self.state = match c {
                        b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => State::InString,
                        b'u' => State::InStringEscU(0),
                        _ => return Err(syntax_error(c, "in string escape code")),
                    };
                    return Ok(());
                }
                State::InStringEscU(n) => {
                    if !c.is_ascii_hexdigit() {
                        return Err(syntax_error(c, "in \\u hexadecimal character escape"));
                    }
                    self.state = if n == 3 {
                        State::InString
                    } else {
                        State::InStringEscU(n + 1)
                    };
                    return Ok(());
                }
                State::Neg => {
                    self.state = match c {
                        b'0' => State::Zero,
                        b'1'..=b'9' => State::One,
                        _ => return Err(syntax_error(c, "in numeric literal")),
                    };
                    return Ok(());
                }
                State::One => {
                    if c.is_ascii_digit() {
                        self.state = State::One;
                        return Ok(());
                    }
                    state = State::Zero;
                }
                State::Zero => match c {
                    b'.' => {
                        self.state = State::Dot;
                        return Ok(());
                    }
                    b'e' | b'E' => {
                        self.state = State::E;
                        return Ok(());
                    }
                    _ => state = State::EndValue,
                },
                State::Dot => {
                    if c.is_ascii_digit() {
                        self.state = State::Dot0;
                        return Ok(());
                    }
                    return Err(syntax_error(c, "after decimal point in numeric literal"));
                }
                State::Dot0 => match c {
                    b'0'..=b'9' => {
                        self.state = State::Dot0;
                        return Ok(());
                    }
                    b'e' | b'E' => {
                        self.state = State::E;
                        return Ok(());
                    }
                    _ => state = State::EndValue,
                },
                State::E => {
                    if c == b'+' || c == b'-' {
                        self.state = State::ESign;
                        return Ok(());
                    }
                    state = State::ESign;
                }
                State::ESign => {
                    if c.is_ascii_digit() {
                        self.state = State::E0;
                        return Ok(());
                    }
                    return Err(syntax_error(c, "in exponent of numeric literal"));
                }
                State::E0 => {
                    if c.is_ascii_digit() {
                        self.state = State::E0;
                        return Ok(());
                    }
                    state = State::EndValue;
                }
                State::Literal(word, i) => {
                    let expected = word.as_bytes()[i];
                    if c != expected {
                        return Err(syntax_error(
                            c,
                            &format!("in literal {word} (expecting {})", quote_char(expected)),
                        ));
                    }
                    self.state = if i + 1 == word.len() {
                        State::EndValue
                    } else {
                        State::Literal(word, i + 1)
                    };
                    return Ok(());
                }
            }
        }
    }
}

/// Go's `checkValid`: the syntax check `json.Unmarshal` runs over its whole input first.
pub(crate) fn check_valid(data: &[u8]) -> Result<(), String> {
    let mut scanner = Scanner::new();
    for &c in data {
        scanner.step(c)?;
    }
    if scanner.end_top {
        return Ok(());
    }
    scanner.step(b' ')?;
    if scanner.end_top {
        Ok(())
    } else {
        Err("unexpected end of JSON input".to_string())
    }
}

/// encoding/json's `quoteChar`: how its syntax errors render the offending byte. Go takes the
/// byte as the rune U+00XX and quotes it with `strconv.Quote` between single quotes, writing
/// `'\''` and `'"'` for the quotes themselves, which is `strconv.QuoteRune`.
fn quote_char(c: u8) -> String {
    go_quote_rune(char::from(c), false)
}

#[cfg(test)]
mod tests {
    /// encoding/json's `quoteChar`, spelled as Go spells it.
    fn go_quote_char(c: u8) -> String {
        match c {
            b'\'' => r"'\''".to_string(),
            b'"' => "'\"'".to_string(),
            _ => {
                let q = crate::gotext::go_quote(&char::from(c).to_string());
                format!("'{}'", &q[1..q.len() - 1])
            }
        }
    }

    #[test]
    fn quote_char_is_go_quote_char() {
        for c in 0..=u8::MAX {
            assert_eq!(super::quote_char(c), go_quote_char(c), "{c:#x}");
        }
    }
}
