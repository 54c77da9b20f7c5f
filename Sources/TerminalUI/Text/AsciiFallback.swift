/// What a cell shows on a terminal whose locale is not UTF-8 (common over SSH without
/// `AcceptEnv`): one ASCII character for each cell, chosen to stay readable.
///
/// bbtui's own symbols have look-alikes (`│` → `|`, `×` → `x`, `…` → `~`); Latin letters with
/// diacritics lose them (`Zoë Ångström` → `Zoe Angstrom`, `Łódź` → `Lodz`), as decomposition
/// would give; anything else (CJK, emoji) becomes `?`.
public enum AsciiFallback {
    /// The ASCII text for a cell's text (a single character, or one ASCII character).
    public static func character(for text: String) -> String {
        guard !text.unicodeScalars.allSatisfy(\.isASCII) else { return text }
        if let symbol = symbols[text] { return symbol }
        guard let first = text.unicodeScalars.first else { return "?" }
        // A base letter with combining marks after it.
        if first.isASCII { return String(first) }
        if (0xC0..<0xC0 + UInt32(latin.count)).contains(first.value) {
            let base = latin[Int(first.value - 0xC0)]
            if base != "?" { return String(base) }
        }
        return "?"
    }

    /// bbtui's symbols and common typography.
    static let symbols: [String: String] = [
        "·": "-", "—": "-", "–": "-", "…": "~", "│": "|", "─": "-", "┌": "+", "┐": "+", "└": "+", "┘": "+",
        "↓": "v", "↑": "^", "←": "<", "→": ">", "✓": "x", "●": "*", "█": "#", "░": ".", "▌": ">",
        "␛": "^", "↵": "~", "�": "?", "×": "x", "÷": "/", "‘": "'", "’": "'", "“": "\"", "”": "\"",
        "„": "\"", "«": "<", "»": ">", "‹": "<", "›": ">", "•": "*", "\u{A0}": " ",
    ]

    /// The base letter of U+00C0…U+024F (Latin-1 Supplement and Latin Extended-A and -B), by
    /// canonical decomposition, with the letters that do not decompose spelled out (ß → s,
    /// ø → o, ł → l, đ → d); `?` where there is none.
    static let latin: [Character] = Array(
        "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty"
            + "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi??JjKkkLlLlLl?"
            + "?LlNnNnNn?NnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs"
            + "??????????????????f?????????????Oo?????????????Uu???????????????"
            + "?????????????AaIiOoUuUuUuUuUu?AaAa????GgKkOoOo??j???Gg??NnAa????"
            + "AaAaEeEeIiIiOoOoRrRrUuUuSsTt??Hh??????AaEeOoOoOoOoYy????????????"
            + "????????????????"
    )
}
