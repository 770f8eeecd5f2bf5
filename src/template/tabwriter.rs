//! Go's `text/tabwriter` as skopeo 1.9.3 uses it for `inspect --format`: cells end at a tab,
//! columns of consecutive lines are padded to a common width, and — because skopeo never
//! calls `Flush` — text is only written when a line without a tab completes; whatever is
//! buffered after that point is lost.
//!
//! Only the options skopeo uses are modelled: padding character a space, no flags (no
//! alignment to the right, no HTML filtering, no empty-column discarding). Go's escape
//! character 0xff cannot occur in a Rust string.

#[derive(Clone, Copy, Default)]
struct Cell {
    size: usize,
    width: usize,
}

pub(crate) struct TabWriter {
    minwidth: usize,
    padding: usize,
    out: String,
    buf: String,
    cell: Cell,
    lines: Vec<Vec<Cell>>,
    widths: Vec<usize>,
}

impl TabWriter {
    /// Go's `tabwriter.NewWriter(w, minwidth, tabwidth, padding, ' ', 0)`; the tab width only
    /// matters when padding with tabs, which skopeo does not.
    pub fn new(minwidth: usize, padding: usize) -> TabWriter {
        TabWriter {
            minwidth,
            padding,
            out: String::new(),
            buf: String::new(),
            cell: Cell::default(),
            lines: vec![Vec::new()],
            widths: Vec::new(),
        }
    }

    pub fn write(&mut self, text: &str) {
        let mut start = 0;
        for (i, ch) in text.char_indices() {
            if matches!(ch, '\t' | '\u{b}' | '\n' | '\u{c}') {
                self.append(&text[start..i]);
                start = i + 1;
                let ncells = self.terminate_cell();
                if ch == '\n' || ch == '\u{c}' {
                    self.lines.push(Vec::new());
                    // A line with one cell cannot affect the columns of later lines.
                    if ch == '\u{c}' || ncells == 1 {
                        self.flush_buffered();
                    }
                }
            }
        }
        self.append(&text[start..]);
    }

    /// What has been written to the underlying writer so far (no final flush).
    pub fn into_output(self) -> String {
        self.out
    }

    fn append(&mut self, text: &str) {
        self.buf.push_str(text);
        self.cell.size += text.len();
        self.cell.width += text.chars().count();
    }

    fn terminate_cell(&mut self) -> usize {
        let cell = std::mem::take(&mut self.cell);
        let line = self.lines.last_mut();
        match line {
            Some(l) => {
                l.push(cell);
                l.len()
            }
            None => {
                self.lines.push(vec![cell]);
                1
            }
        }
    }

    fn flush_buffered(&mut self) {
        if self.cell.size > 0 {
            self.terminate_cell();
        }
        let n = self.lines.len();
        self.format(0, 0, n);
        self.buf.clear();
        self.cell = Cell::default();
        self.lines = vec![Vec::new()];
        self.widths.clear();
    }

    fn write_lines(&mut self, mut pos: usize, line0: usize, line1: usize) -> usize {
        for i in line0..line1 {
            for (j, c) in self.lines[i].iter().enumerate() {
                if c.size > 0 {
                    self.out.push_str(&self.buf[pos..pos + c.size]);
                    pos += c.size;
                }
                if let Some(&w) = self.widths.get(j) {
                    self.out
                        .extend(std::iter::repeat_n(' ', w.saturating_sub(c.width)));
                }
            }
            if i + 1 == self.lines.len() {
                // The last buffered line is still incomplete: write its pending cell text.
                self.out.push_str(&self.buf[pos..pos + self.cell.size]);
                pos += self.cell.size;
            } else {
                self.out.push('\n');
            }
        }
        pos
    }

    /// Formats lines `line0..line1` column by column, recursively, as Go's `format` does.
    fn format(&mut self, mut pos: usize, mut line0: usize, line1: usize) -> usize {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // Cell in this column of this line: a block of lines with such a cell starts here.
            pos = self.write_lines(pos, line0, this);
            line0 = this;
            let mut width = self.minwidth;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                width = width.max(line[column].width + self.padding);
                this += 1;
            }
            self.widths.push(width);
            pos = self.format(pos, line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(pos, line0, line1)
    }
}
