/// A key hint: the key as shown, and what it does.
public struct KeyHint: Sendable, Hashable {
    public var key: String
    public var label: String
    /// Kept when the bar is too narrow for every hint (help and quit), the others giving way.
    public var isPinned: Bool

    /// Creates a hint.
    public init(_ key: String, _ label: String, isPinned: Bool = false) {
        self.key = key
        self.label = label
        self.isPinned = isPinned
    }
}

/// A transient message for the status bar.
public struct StatusMessage: Sendable, Hashable {
    /// How the message is coloured.
    public enum Kind: Sendable, Hashable { case info, success, warning, error }

    public var text: String
    public var kind: Kind

    /// Creates a message. Text from outside must be sanitised first.
    public init(_ text: String, kind: Kind = .info) {
        self.text = text
        self.kind = kind
    }
}

/// The bottom row: a transient message when there is one, else key hints, as many as fit.
public struct StatusBar: Sendable {
    public var hints: [KeyHint]
    public var message: StatusMessage?
    /// Text pinned to the right edge (a position, a count).
    public var trailing: String

    /// Creates a status bar.
    public init(hints: [KeyHint], message: StatusMessage? = nil, trailing: String = "") {
        self.hints = hints
        self.message = message
        self.trailing = trailing
    }

    /// Draws into the first row of `area`.
    public func render(into screen: inout Screen, area: Rect) {
        guard !area.isEmpty else { return }
        let row = area.row(0)
        screen.fill(row, style: .reverse)
        let trailingWidth = trailing.isEmpty ? 0 : min(row.width / 3, DisplayWidth.of(trailing) + 1)
        let room = row.width - trailingWidth
        if let message {
            let style: Style
            switch message.kind {
            case .info: style = .reverse
            case .success: style = Style(foreground: .green, attributes: .reverse)
            case .warning: style = Style(foreground: .yellow, attributes: [.reverse, .bold])
            case .error: style = Style(foreground: .red, attributes: [.reverse, .bold])
            }
            screen.put(" " + message.text, x: row.x, y: row.y, width: room, style: style)
        } else {
            // Pinned hints always show; the others fill what room is left, in order.
            func width(_ hint: KeyHint) -> Int { DisplayWidth.of(hint.key) + 1 + DisplayWidth.of(hint.label) + 2 }
            // The last hint needs no gap after it.
            var budget = room - 1 + 2 - hints.filter(\.isPinned).map(width).reduce(0, +)
            var shown: [KeyHint] = []
            var isFull = false
            for hint in hints {
                if hint.isPinned {
                    shown.append(hint)
                } else if !isFull, width(hint) <= budget {
                    shown.append(hint)
                    budget -= width(hint)
                } else {
                    isFull = true
                }
            }
            var x = row.x + 1
            for hint in shown {
                if x + width(hint) - 2 > row.x + room { break }
                x = screen.put(hint.key, x: x, y: row.y, style: Style(attributes: [.reverse, .bold]))
                x = screen.put(" " + hint.label, x: x, y: row.y, style: .reverse) + 2
            }
        }
        if trailingWidth > 0 {
            screen.put(
                trailing, x: row.maxX - trailingWidth, y: row.y, width: trailingWidth - 1, style: .reverse,
                alignment: .right)
        }
    }
}
