/// A single-line text field's content and cursor; part of the program's state.
///
/// Editing follows readline: Ctrl-A/Home, Ctrl-E/End, Ctrl-U (delete to start), Ctrl-K (delete to
/// end), Ctrl-W (delete the word before the cursor), Backspace, Delete, ←/→. A paste is one edit:
/// its line breaks become spaces and its control characters are dropped. The text is capped at
/// `maxLength` characters so a pasted wall of garbage cannot grow without bound.
public struct TextFieldState: Sendable, Hashable {
    public private(set) var text: String
    /// The cursor, as a character offset into `text` (0...count).
    public private(set) var cursor: Int
    /// The first visible character offset (horizontal scroll).
    public private(set) var scroll: Int = 0
    /// The most characters the field keeps.
    public let maxLength: Int
    /// True when the last edit had to drop characters beyond `maxLength`.
    public private(set) var wasTruncated = false

    /// Creates a field holding `text`, cursor at its end.
    public init(text: String = "", maxLength: Int = 8192) {
        self.maxLength = maxLength
        let clean = TextFieldState.clean(text)
        self.text = String(clean.prefix(maxLength))
        self.cursor = self.text.count
    }

    /// True when the field holds nothing.
    public var isEmpty: Bool { text.isEmpty }

    /// The same field with every character shown as `mask` (a secret): the cursor and the scroll
    /// stay on the same characters.
    public func masked(with mask: Character = "•") -> TextFieldState {
        var copy = self
        copy.text = String(repeating: mask, count: text.count)
        return copy
    }

    /// Applies a key. Returns false when the key is not an editing key (the caller handles it).
    @discardableResult
    public mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .character(let c):
            insert(String(c))
        case .left, .ctrl("b"):
            cursor = max(0, cursor - 1)
        case .right, .ctrl("f"):
            cursor = min(text.count, cursor + 1)
        case .home, .ctrl("a"):
            cursor = 0
        case .end, .ctrl("e"):
            cursor = text.count
        case .backspace, .ctrl("h"):
            guard cursor > 0 else { return true }
            remove(cursor - 1..<cursor)
        case .delete, .ctrl("d"):
            guard cursor < text.count else { return true }
            remove(cursor..<cursor + 1)
        case .ctrl("u"):
            remove(0..<cursor)
        case .ctrl("k"):
            remove(cursor..<text.count)
        case .ctrl("w"):
            let characters = Array(text)
            var start = cursor
            while start > 0, characters[start - 1] == " " { start -= 1 }
            while start > 0, characters[start - 1] != " " { start -= 1 }
            remove(start..<cursor)
        default:
            return false
        }
        return true
    }

    /// Inserts pasted text at the cursor as one edit.
    public mutating func paste(_ pasted: String) {
        insert(pasted)
    }

    /// Replaces the whole text.
    public mutating func set(_ newText: String) {
        text = ""
        cursor = 0
        scroll = 0
        insert(newText)
    }

    private mutating func insert(_ raw: String) {
        let clean = TextFieldState.clean(raw)
        let room = maxLength - text.count
        wasTruncated = clean.count > room
        guard room > 0 else { return }
        let piece = clean.prefix(room)
        let index = text.index(text.startIndex, offsetBy: cursor)
        // Where the insertion ends, in scalars: the character count cannot be used, since the
        // piece may join the character before it (a combining mark, a skin tone, the second
        // regional indicator of a flag) or the one after it.
        let end = text.unicodeScalars.distance(from: text.startIndex, to: index) + piece.unicodeScalars.count
        text.insert(contentsOf: piece, at: index)
        relocate(toScalarOffset: end)
        clampToLength()
    }

    private mutating func remove(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let lower = text.index(text.startIndex, offsetBy: range.lowerBound)
        let upper = text.index(lower, offsetBy: range.count)
        let start = text.unicodeScalars.distance(from: text.startIndex, to: lower)
        text.removeSubrange(lower..<upper)
        // The characters on either side may now form one cluster (two regional indicators).
        relocate(toScalarOffset: start)
        wasTruncated = false
    }

    /// Puts the cursor on the character boundary at `offset` scalars, or the end of the
    /// character that contains it, and keeps the scroll inside the text.
    private mutating func relocate(toScalarOffset offset: Int) {
        var scalars = 0
        var characters = 0
        for character in text {
            if scalars >= offset { break }
            scalars += character.unicodeScalars.count
            characters += 1
        }
        cursor = characters
        scroll = min(scroll, cursor)
    }

    /// A join can leave more characters than `maxLength` never, but a split can: clusters that
    /// were one may fall apart when text is inserted inside them. Trim from the end.
    private mutating func clampToLength() {
        guard text.count > maxLength else { return }
        text = String(text.prefix(maxLength))
        cursor = min(cursor, text.count)
        scroll = min(scroll, cursor)
        wasTruncated = true
    }

    /// Line breaks and tabs become spaces; other controls and bidi overrides are dropped.
    static func clean(_ raw: String) -> String {
        var out = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in raw.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            if scalar == "\n" && previousWasCR { continue }
            if scalar == "\n" || scalar == "\r" || scalar == "\t" {
                out.append(" ")
            } else if Sanitizer.placeholder(for: scalar) == nil {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Adjusts the horizontal scroll so the cursor is visible in `width` cells.
    mutating func scrollToCursor(width: Int) {
        cursor = min(max(0, cursor), text.count)
        scroll = min(max(0, scroll), cursor)
        guard width > 1 else {
            scroll = cursor
            return
        }
        if cursor < scroll { scroll = cursor }
        // The leftmost start that still shows the cursor, leaving one cell for the cursor itself.
        let characters = Array(text)
        var start = cursor
        var used = 0
        while start > 0 {
            let w = DisplayWidth.of(characters[start - 1])
            if used + w > width - 1 { break }
            used += w
            start -= 1
        }
        if scroll < start { scroll = start }
    }
}

/// Draws a `TextFieldState` on one row and places the terminal cursor in it.
public struct TextField: Sendable {
    public var placeholder: String
    public var style: Style
    public var isFocused: Bool
    /// Show the start of a text longer than the box, with an ellipsis at the cut, instead of
    /// the part around the cursor (what a paste put there, as it will be sent).
    public var showsStart: Bool
    /// Shows every character as a bullet (a secret).
    public var isMasked: Bool

    /// Creates a field view.
    public init(
        placeholder: String = "", style: Style = .underline, isFocused: Bool = true, showsStart: Bool = false,
        isMasked: Bool = false
    ) {
        self.isMasked = isMasked
        self.placeholder = placeholder
        self.style = style
        self.isFocused = isFocused
        self.showsStart = showsStart
    }

    /// Draws the field into the first row of `area`.
    public func render(into screen: inout Screen, area: Rect, state: inout TextFieldState) {
        guard !area.isEmpty else { return }
        if isMasked {
            var shown = state.masked(with: "•")
            var plain = self
            plain.isMasked = false
            plain.render(into: &screen, area: area, state: &shown)
            state.scrollToCursor(width: area.row(0).width)
            return
        }
        let row = area.row(0)
        screen.fill(row, style: style)
        let shown = Sanitizer.sanitize(state.text)
        if showsStart, DisplayWidth.of(shown) > row.width, row.width >= 2 {
            // The start, cut with an ellipsis in the last cell; the cursor waits on the ellipsis.
            let head = DisplayWidth.prefix(of: shown, fitting: row.width - 1)
            screen.put(head + "…", x: row.x, y: row.y, style: style, clip: row)
            if isFocused { screen.cursor = Point(x: row.x + DisplayWidth.of(head), y: row.y) }
            return
        }
        state.scrollToCursor(width: row.width)
        if state.isEmpty {
            screen.put(placeholder, x: row.x, y: row.y, width: row.width, style: style.adding(.dim))
        } else {
            let characters = Array(state.text)
            screen.put(
                Sanitizer.sanitize(String(characters[state.scroll...])), x: row.x, y: row.y, style: style, clip: row)
        }
        if isFocused {
            let characters = Array(state.text)
            let before = String(characters[state.scroll..<state.cursor])
            screen.cursor = Point(x: min(row.maxX - 1, row.x + DisplayWidth.of(before)), y: row.y)
        }
    }
}

extension Style {
    /// Underlined text in the default colours, the look of an input field.
    public static let underline = Style(attributes: .underline)
}
