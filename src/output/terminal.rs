//! What stdout is: how wide, and whether it takes colour.
//!
//! Text output is for people at a terminal or reading a CI log: it fits the terminal's width
//! (long ids shortened in the middle, where they differ least: `arn:aws:…:listener/app/x/1f2e`)
//! and is coloured only on a terminal without `NO_COLOR`. JSON is always whole.

use std::io::IsTerminal;

/// The width text is fitted to: the terminal's, else `$COLUMNS`, else 120 (a CI log).
pub fn width() -> usize {
    if std::io::stdout().is_terminal() {
        if let Some(columns) = terminal_columns() {
            return columns.max(40);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.parse::<usize>().ok())
        .filter(|columns| *columns >= 40)
        .unwrap_or(120)
}

#[cfg(unix)]
fn terminal_columns() -> Option<usize> {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own; fd 1 is stdout.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let answered = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut size) };
    (answered == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
fn terminal_columns() -> Option<usize> {
    None
}

/// Whether stdout gets ANSI colour: a terminal, and `NO_COLOR` unset.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// The colours text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Green,
    Yellow,
    Red,
    Magenta,
    Dim,
}

/// `text` in `colour` when `enabled`.
pub fn paint(text: &str, colour: Colour, enabled: bool) -> String {
    if !enabled || text.is_empty() {
        return text.to_string();
    }
    let code = match colour {
        Colour::Green => "32",
        Colour::Yellow => "33",
        Colour::Red => "31",
        Colour::Magenta => "35",
        Colour::Dim => "2",
    };
    format!("\u{1b}[{code}m{text}\u{1b}[0m")
}

/// `text` shortened to at most `max` characters by replacing its middle with `…`.
pub fn abbreviate(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max || max < 5 {
        return text.to_string();
    }
    let keep = max - 1;
    let head = keep * 2 / 5;
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ids_lose_their_middle() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/macro-ai-dev-api/4cb3a9118ac1148f";
        let short = abbreviate(arn, 40);
        assert_eq!(short.chars().count(), 40);
        assert!(short.starts_with("arn:aws:elastic") && short.ends_with("4cb3a9118ac1148f"));
        assert!(short.contains('…'));
        assert_eq!(abbreviate("vpc-0abc", 40), "vpc-0abc");
    }

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(paint("+", Colour::Green, false), "+");
        assert_eq!(paint("+", Colour::Green, true), "\u{1b}[32m+\u{1b}[0m");
    }
}
