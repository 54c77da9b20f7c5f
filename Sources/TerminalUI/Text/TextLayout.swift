/// Fitting text into cells: truncation with an ellipsis, and word wrapping, by display width.
public enum TextLayout {
    /// `text` cut to at most `width` cells, with `ellipsis` as its last cell when anything was cut.
    /// A wide character that would straddle the limit is dropped whole.
    public static func truncate(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        var used = 0
        var endOfFit = text.startIndex
        var index = text.startIndex
        let ellipsisWidth = DisplayWidth.of(ellipsis)
        // Remember where the text must stop if the ellipsis is needed.
        var endBeforeEllipsis = text.startIndex
        while index < text.endIndex {
            let w = DisplayWidth.of(text[index])
            if used + w > width {
                let kept = text[text.startIndex..<endBeforeEllipsis]
                return ellipsisWidth <= width ? kept + ellipsis : String(kept)
            }
            used += w
            index = text.index(after: index)
            endOfFit = index
            if used <= width - ellipsisWidth { endBeforeEllipsis = index }
        }
        return String(text[text.startIndex..<endOfFit])
    }

    /// `text` padded with spaces (or truncated) to exactly `width` cells.
    public static func pad(
        _ text: String, to width: Int, alignment: Alignment = .left, ellipsis: String = "…"
    ) -> String {
        let fitted = truncate(text, to: width, ellipsis: ellipsis)
        let gap = max(0, width - DisplayWidth.of(fitted))
        switch alignment {
        case .left: return fitted + String(repeating: " ", count: gap)
        case .right: return String(repeating: " ", count: gap) + fitted
        case .center:
            return String(repeating: " ", count: gap / 2) + fitted + String(repeating: " ", count: gap - gap / 2)
        }
    }

    /// Wraps text into lines of at most `width` cells, breaking at spaces where it can and inside
    /// words that are longer than a line. Existing `\n` breaks are kept; trailing spaces dropped.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineWidth = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                var wordText = String(word)
                var wordWidth = DisplayWidth.of(wordText)
                let gap = line.isEmpty ? 0 : 1
                if lineWidth + gap + wordWidth <= width {
                    if gap == 1 { line += " " }
                    line += wordText
                    lineWidth += gap + wordWidth
                    continue
                }
                if !line.isEmpty {
                    lines.append(line)
                    line = ""
                    lineWidth = 0
                }
                // Hard-break words longer than a line.
                while wordWidth > width {
                    let head = truncate(wordText, to: width, ellipsis: "")
                    lines.append(head)
                    wordText = String(wordText.dropFirst(head.count))
                    wordWidth = DisplayWidth.of(wordText)
                    if head.isEmpty {
                        wordText = ""
                        wordWidth = 0
                    }
                }
                line = wordText
                lineWidth = wordWidth
            }
            lines.append(line)
        }
        return lines
    }
}
