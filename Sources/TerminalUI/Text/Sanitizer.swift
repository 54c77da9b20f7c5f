/// The one gate every string from outside passes before it reaches a `Screen`.
///
/// Terminals act on control characters: ESC starts sequences that move the cursor, set the
/// clipboard (OSC 52), make links (OSC 8) or retitle the window; C1 controls do the same on
/// 8-bit terminals; bidi overrides and isolates reorder what is shown. Each becomes a visible
/// placeholder, so hostile data is shown for what it is and can never act. Tabs become a space;
/// newlines are kept or replaced, as the widget asks. Grapheme clusters are capped in length so a
/// "zalgo" string of thousands of combining marks costs a few bytes, not kilobytes, per cell.
public enum Sanitizer {
    /// What happens to line breaks (LF, CR LF, CR, U+2028, U+2029).
    public enum Newlines: Sendable {
        /// Each becomes the visible `↵`, for single-line places.
        case placeholder
        /// Each becomes `\n`, for widgets that wrap.
        case keep
        /// Each becomes a space.
        case space
    }

    /// The longest run of scalars kept in one grapheme cluster.
    public static let maxScalarsPerCluster = 8

    /// Returns `text` made safe to draw.
    public static func sanitize(_ text: String, newlines: Newlines = .placeholder) -> String {
        if isPlainASCII(text) { return text }
        var out = String.UnicodeScalarView()
        var previousWasCR = false
        var clusterLength = 0
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0x0A || value == 0x0D || value == 0x2028 || value == 0x2029 {
                // CR LF is one break.
                if value == 0x0A && previousWasCR {
                    previousWasCR = false
                    continue
                }
                previousWasCR = value == 0x0D
                switch newlines {
                case .placeholder: out.append("↵")
                case .keep: out.append("\n")
                case .space: out.append(" ")
                }
                clusterLength = 0
                continue
            }
            previousWasCR = false
            if let replacement = placeholder(for: scalar) {
                out.append(contentsOf: replacement.unicodeScalars)
                clusterLength = 0
                continue
            }
            if DisplayWidth.width(of: scalar) == 0 && scalar.value >= 0x300 {
                clusterLength += 1
                if clusterLength >= maxScalarsPerCluster { continue }
            } else {
                clusterLength = 0
            }
            out.append(scalar)
        }
        return String(out)
    }

    /// The visible stand-in for a dangerous scalar, or nil when the scalar is safe.
    public static func placeholder(for scalar: Unicode.Scalar) -> String? {
        let value = scalar.value
        switch value {
        case 0x09:
            return " "
        case 0x00...0x1F:
            // Control Pictures: ␀ … ␟, so ESC shows as ␛.
            return String(Unicode.Scalar(0x2400 + value)!)
        case 0x7F:
            return "␡"
        case 0x80...0x9F, 0x202A...0x202E, 0x2066...0x2069:
            return "�"
        default:
            return nil
        }
    }

    /// True when every byte is printable ASCII: the common case, returned untouched.
    static func isPlainASCII(_ text: String) -> Bool {
        for byte in text.utf8 where byte < 0x20 || byte >= 0x7F { return false }
        return true
    }
}

extension String {
    /// This string sanitised for a single-line place on screen.
    public var sanitized: String { Sanitizer.sanitize(self) }
}
