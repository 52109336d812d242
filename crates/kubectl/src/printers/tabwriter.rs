//! Go's `text/tabwriter`, as kubectl configures it.
//!
//! kubectl writes tab-separated cells and lets the tabwriter align them into columns. The algorithm
//! is Go's (with the `RememberWidths` flag of the fork kubectl vendors), reproduced here because
//! the exact column widths decide whether output matches byte for byte: a column block is a run
//! of consecutive lines that have a cell in that column; its width is the widest cell plus the
//! padding, at least `minwidth`; the last cell of a line is never padded; a line without tabs ends
//! all blocks (Go flushes there).

/// A tabwriter's settings (`tabwriter.NewWriter(out, minwidth, tabwidth, padding, ' ', flags)`).
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub minwidth: usize,
    pub padding: usize,
    /// Keep column widths from earlier flushes (kubectl's watch output never shrinks a column).
    pub remember_widths: bool,
}

/// `kubectl get`: `printers.GetNewTabWriter` = (6, 4, 3, ' ', RememberWidths).
pub const GET: Config = Config {
    minwidth: 6,
    padding: 3,
    remember_widths: true,
};

/// `kubectl describe`: `tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`.
pub const DESCRIBE: Config = Config {
    minwidth: 0,
    padding: 2,
    remember_widths: false,
};

/// Buffers tab-separated text and aligns it on [`TabWriter::flush`].
#[derive(Clone, Debug)]
pub struct TabWriter {
    config: Config,
    /// Completed lines of the current block, each a list of cells; the last cell is unterminated.
    lines: Vec<Vec<String>>,
    /// The cell being written on the current line.
    partial: Vec<String>,
    cell: String,
    out: String,
    max_widths: Vec<usize>,
}

impl TabWriter {
    pub fn new(config: Config) -> TabWriter {
        TabWriter {
            config,
            lines: Vec::new(),
            partial: Vec::new(),
            cell: String::new(),
            out: String::new(),
            max_widths: Vec::new(),
        }
    }

    /// Appends text; tabs end cells, newlines end lines.
    pub fn write(&mut self, text: &str) {
        let mut rest = text;
        while let Some(i) = rest.find(['\t', '\n']) {
            self.cell.push_str(&rest[..i]);
            let cell = std::mem::take(&mut self.cell);
            self.partial.push(cell);
            if rest.as_bytes()[i] == b'\n' {
                let line = std::mem::take(&mut self.partial);
                let single = line.len() == 1;
                self.lines.push(line);
                // A line with a single cell cannot influence later lines' layout: Go flushes here.
                if single {
                    self.flush_lines();
                }
            }
            rest = &rest[i + 1..];
        }
        self.cell.push_str(rest);
    }

    /// Formats everything written so far (an unfinished last line is written unterminated).
    pub fn flush(&mut self) {
        if !self.cell.is_empty() || !self.partial.is_empty() {
            let cell = std::mem::take(&mut self.cell);
            let mut line = std::mem::take(&mut self.partial);
            line.push(cell);
            self.lines.push(line);
            self.flush_lines();
            // The unterminated last line got a newline from flush_lines; take it back.
            self.out.pop();
        } else {
            self.flush_lines();
        }
    }

    /// Forgets the widths kept from earlier flushes (kubectl does this between resource types).
    pub fn reset_remembered_widths(&mut self) {
        self.max_widths.clear();
    }

    /// Flushes and returns everything formatted so far.
    pub fn take(&mut self) -> String {
        self.flush();
        std::mem::take(&mut self.out)
    }

    fn flush_lines(&mut self) {
        let lines = std::mem::take(&mut self.lines);
        let mut widths = Vec::new();
        self.format(&lines, &mut widths, 0, lines.len());
    }

    fn format(
        &mut self,
        lines: &[Vec<String>],
        widths: &mut Vec<usize>,
        line0: usize,
        line1: usize,
    ) {
        let column = widths.len();
        let mut line0 = line0;
        let mut this = line0;
        while this < line1 {
            if column + 1 >= lines[this].len() {
                this += 1;
                continue;
            }
            // A cell in this column begins a block: print the lines before it.
            self.write_lines(lines, widths, line0, this);
            line0 = this;
            let mut width = self.config.minwidth;
            while this < line1 && column + 1 < lines[this].len() {
                let w = lines[this][column].chars().count() + self.config.padding;
                width = width.max(w);
                this += 1;
            }
            if self.config.remember_widths {
                if self.max_widths.len() < widths.len() {
                    self.max_widths
                        .extend_from_slice(&widths[self.max_widths.len()..]);
                }
                if self.max_widths.len() == widths.len() {
                    self.max_widths.push(width);
                } else if self.max_widths[column] > width {
                    width = self.max_widths[column];
                } else {
                    self.max_widths[column] = width;
                }
            }
            widths.push(width);
            self.format(lines, widths, line0, this);
            widths.pop();
            line0 = this;
        }
        self.write_lines(lines, widths, line0, line1);
    }

    fn write_lines(&mut self, lines: &[Vec<String>], widths: &[usize], line0: usize, line1: usize) {
        for line in &lines[line0..line1] {
            for (j, cell) in line.iter().enumerate() {
                self.out.push_str(cell);
                if j < widths.len() && j + 1 < line.len() {
                    let pad = widths[j].saturating_sub(cell.chars().count());
                    self.out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            self.out.push('\n');
        }
    }
}

/// Aligns a complete tab-separated text in one go.
pub fn align(config: Config, text: &str) -> String {
    let mut w = TabWriter::new(config);
    w.write(text);
    w.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_table_pads_by_three_and_leaves_last_cell() {
        let out = align(GET, "NAME\tREADY\tAGE\nnginx-abc\t1/1\t5s\n");
        assert_eq!(out, "NAME        READY   AGE\nnginx-abc   1/1     5s\n");
    }

    #[test]
    fn minwidth_six_applies() {
        let out = align(GET, "A\tB\nx\ty\n");
        assert_eq!(out, "A     B\nx     y\n");
    }

    #[test]
    fn describe_blocks_break_at_lines_without_tabs() {
        let out = align(
            DESCRIBE,
            "Name:\tweb\nNamespace:\tdefault\nLabels:\t<none>\nContainers:\n  a:\tb\n",
        );
        assert_eq!(
            out,
            "Name:       web\nNamespace:  default\nLabels:     <none>\nContainers:\n  a:  b\n"
        );
    }

    #[test]
    fn remembered_widths_never_shrink() {
        let mut w = TabWriter::new(GET);
        w.write("NAME\tSTATUS\nlong-name-here\tRunning\n");
        w.flush();
        w.write("x\tPending\n");
        assert_eq!(
            w.take(),
            "NAME             STATUS\nlong-name-here   Running\nx                Pending\n"
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let out = align(GET, "NAME\tX\nnaïve-pod\ty\n");
        assert_eq!(out, "NAME        X\nnaïve-pod   y\n");
    }
}
