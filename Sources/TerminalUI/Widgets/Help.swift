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

    /// Creates an overlay.
    public init(title: String = "Keys", sections: [HelpSection]) {
        self.title = title
        self.sections = sections
    }

    /// The overlay's lines, before framing.
    public func lines() -> [(text: String, isHeading: Bool)] {
        let keyWidth = sections.flatMap(\.entries).map { DisplayWidth.of($0.keys.joined(separator: " ")) }.max() ?? 0
        var out: [(String, Bool)] = []
        for (index, section) in sections.enumerated() {
            if index > 0 { out.append(("", false)) }
            out.append((section.title, true))
            for entry in section.entries {
                out.append((TextLayout.pad(entry.keys.joined(separator: " "), to: keyWidth) + "  " + entry.summary, false))
            }
        }
        return out
    }

    /// Draws the overlay centred in `area`, starting at line `scroll`.
    public func render(into screen: inout Screen, area: Rect, scroll: Int = 0) {
        let content = lines()
        let contentWidth = content.map { DisplayWidth.of($0.text) }.max() ?? 0
        let heading = title + " (Esc closes)"
        let box = area.centered(width: max(contentWidth + 4, DisplayWidth.of(heading) + 4), height: content.count + 2)
        screen.fill(box)
        let inner = Box(title: heading).render(into: &screen, area: box).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        let first = min(max(0, scroll), max(0, content.count - inner.height))
        for (offset, line) in content.dropFirst(first).prefix(inner.height).enumerated() {
            screen.put(line.text, x: inner.x, y: inner.y + offset, width: inner.width, style: line.isHeading ? .bold : .plain)
        }
    }
}
