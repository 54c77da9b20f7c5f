/// One line of help: the keys that do a thing, and the thing.
public struct HelpEntry: Sendable, Hashable {
    public var keys: [String]
    public var summary: String

    /// Creates an entry.
    public init(keys: [String], summary: String) {
        self.keys = keys
        self.summary = summary
    }
}

/// A titled group of help entries.
public struct HelpSection: Sendable, Hashable {
    public var title: String
    public var entries: [HelpEntry]

    /// Creates a section.
    public init(title: String, entries: [HelpEntry]) {
        self.title = title
        self.entries = entries
    }
}

/// The help overlay: every binding, built from the keymap's data so it can never drift from what
/// the keys really do. Scrolls when it does not fit.
public struct HelpOverlay: Sendable {
    public var sections: [HelpSection]
    public var title: String
    /// How to close it, for the title (`Esc closes`), from the caller's keymap.
    public var closeHint: String?

    /// Creates an overlay.
    public init(title: String = "Keys", sections: [HelpSection], closeHint: String? = nil) {
        self.title = title
        self.sections = sections
        self.closeHint = closeHint
    }

    /// The largest useful scroll in `area`: past it the last line would leave the bottom.
    public func maxScroll(in area: Rect) -> Int {
        let count = lines().count
        let boxHeight = min(area.height, count + 2)
        return max(0, count - max(0, boxHeight - 2))
    }

    /// The widest key column; longer key lists wrap.
    static let maxKeyColumn = 16

    /// The overlay's lines, before framing.
    public func lines() -> [(text: String, isHeading: Bool)] {
        // The key column fits the usual bindings; an entry with a long run of keys (the text
        // editing keys) gets its keys on a line of their own, the summary below them.
        let widths = sections.flatMap(\.entries).map { DisplayWidth.of($0.keys.joined(separator: " ")) }
        let keyWidth = widths.filter { $0 <= HelpOverlay.maxKeyColumn }.max() ?? HelpOverlay.maxKeyColumn
        var out: [(String, Bool)] = []
        for (index, section) in sections.enumerated() {
            if index > 0 { out.append(("", false)) }
            out.append((section.title, true))
            for entry in section.entries {
                let keys = entry.keys.joined(separator: " ")
                if DisplayWidth.of(keys) > keyWidth {
                    out.append((keys, false))
                    out.append((TextLayout.pad("", to: keyWidth) + "  " + entry.summary, false))
                } else {
                    out.append((TextLayout.pad(keys, to: keyWidth) + "  " + entry.summary, false))
                }
            }
        }
        return out
    }

    /// Draws the overlay centred in `area`, starting at line `scroll`.
    public func render(into screen: inout Screen, area: Rect, scroll: Int = 0) {
        let content = lines()
        let contentWidth = content.map { DisplayWidth.of($0.text) }.max() ?? 0
        let heading = title + (closeHint.map { " (\($0))" } ?? "")
        let box = area.centered(width: max(contentWidth + 4, DisplayWidth.of(heading) + 4), height: content.count + 2)
        screen.fill(box)
        let inner = Box(title: heading).render(into: &screen, area: box).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        let first = min(max(0, scroll), max(0, content.count - inner.height))
        for (offset, line) in content.dropFirst(first).prefix(inner.height).enumerated() {
            screen.put(
                line.text, x: inner.x, y: inner.y + offset, width: inner.width, style: line.isHeading ? .bold : .plain)
        }
        // Say when there is more, above or below, on the frame itself.
        let below = content.count - first - inner.height
        if below > 0 {
            let more = " \(below) more \(screen.glyphs.moreBelow) "
            screen.put(more, x: box.maxX - 2 - DisplayWidth.of(more), y: box.maxY - 1, style: .dim)
        }
        if first > 0 {
            let more = " \(screen.glyphs.moreAbove) "
            screen.put(more, x: box.maxX - 2 - DisplayWidth.of(more), y: box.y, style: .dim)
        }
    }
}
