/// Makes JSON text safe to print to a terminal without changing what it means.
///
/// `JSONEncoder` escapes C0 controls but writes DEL, C1 controls (U+009B is a one-byte CSI on
/// 8-bit terminals) and bidi controls (U+202E reverses what follows) raw. In JSON text those
/// scalars can only stand inside strings, so each is replaced by its `\uXXXX` escape: a JSON
/// reader gets the same string back, and a terminal sees only ASCII.
public enum JSONSafety {
    /// True for a scalar that must be escaped: DEL, C1, bidi marks, embeddings, overrides and
    /// isolates, and the line and paragraph separators.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
            return true
        default:
            return false
        }
    }

    /// `text` (JSON) with every scalar that `needsEscape` written as `\uXXXX`.
    public static func escapeControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar), scalar.value > 0x1F || !isStructuralWhitespace(scalar) {
                let hex = String(scalar.value, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Newlines, tabs and spaces between tokens (pretty printing) stay as they are.
    private static func isStructuralWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\t" || scalar == "\r"
    }
}
