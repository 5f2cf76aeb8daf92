//! Parser messages fit for one line: serde quotes the value it refused (`invalid type: string
//! "...", expected a sequence`), and a value can be megabytes long.

/// The longest quoted value kept whole in a message, in characters.
const KEEP: usize = 60;

/// `message` with every quoted value (`"..."` or `` `...` ``) longer than 60 characters cut
/// to its first 40 and `…`, so that a message stays short whatever the input held.
pub fn clip_quoted(message: &str) -> String {
    clip_quoted_at(message, KEEP)
}

/// [`clip_quoted`] keeping quoted values of up to `keep` characters whole (longer ones are cut
/// to two thirds of `keep`).
pub fn clip_quoted_at(message: &str, keep: usize) -> String {
    let head = (keep * 2 / 3).max(1);
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let (before, from_quote) = rest.split_at(open);
        out.push_str(before);
        let quote = from_quote.chars().next().unwrap_or('"');
        let body = &from_quote[1..];
        // The closing quote: the next one not escaped by a backslash.
        let mut close = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                c if c == quote && !escaped => {
                    close = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let (inner, after) = match close {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, ""),
        };
        out.push(quote);
        if inner.chars().nth(keep).is_some() {
            out.extend(inner.chars().take(head));
            out.push('…');
        } else {
            out.push_str(inner);
        }
        if close.is_some() {
            out.push(quote);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::clip_quoted;

    #[test]
    fn long_quoted_values_are_cut_and_the_rest_kept() {
        let long = "A".repeat(1_000_000);
        let message = format!("invalid type: string \"{long}\", expected a sequence");
        assert_eq!(
            clip_quoted(&message),
            format!(
                "invalid type: string \"{}…\", expected a sequence",
                "A".repeat(40)
            )
        );
        // Short values, backquotes, escapes and an unclosed quote.
        assert_eq!(
            clip_quoted("unknown variant `sigma`, expected `csv`"),
            "unknown variant `sigma`, expected `csv`"
        );
        let escaped = format!("string \"a\\\"{}\" then \"b\"", "é".repeat(70));
        assert_eq!(
            clip_quoted(&escaped),
            format!("string \"a\\\"{}…\" then \"b\"", "é".repeat(37))
        );
        assert_eq!(
            clip_quoted(&format!("cut \"{long}")),
            format!("cut \"{}…", "A".repeat(40))
        );
        assert_eq!(clip_quoted("no quotes"), "no quotes");
    }
}
