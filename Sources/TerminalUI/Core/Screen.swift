/// One cell of the grid: a grapheme cluster and its style.
///
/// A wide character occupies its own cell and the next one; the next one is a continuation
/// (`isContinuation`), which terminals never draw on their own.
public struct Cell: Sendable, Hashable {
    /// The grapheme drawn in this cell; `" "` when blank, `""` for a continuation.
    public var text: String
    public var style: Style

    /// Creates a cell.
    public init(_ text: String = " ", style: Style = .plain) {
        self.text = text
        self.style = style
    }

    /// The right half of a wide character.
    public var isContinuation: Bool { text.isEmpty }

    /// A blank cell in the default style.
    public static let blank = Cell()
}

/// The glyphs used for frames and marks, so a non-UTF-8 terminal can get ASCII ones.
public struct Glyphs: Sendable, Hashable {
    public var horizontal: String
    public var vertical: String
    public var topLeft: String
    public var topRight: String
    public var bottomLeft: String
    public var bottomRight: String
    public var ellipsis: String
    public var scrollThumb: String
    /// "There is more below / above" marks on a scrolling frame.
    public var moreBelow: String
    public var moreAbove: String

    /// Box-drawing characters, for UTF-8 terminals.
    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        ellipsis: "…", scrollThumb: "█", moreBelow: "↓", moreAbove: "↑"
    )
    /// Plain ASCII, for terminals whose locale is not UTF-8.
    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        ellipsis: "~", scrollThumb: "#", moreBelow: "v", moreAbove: "^"
    )
}

/// A frame: the grid of cells a view draws into, and the only thing a terminal draws.
///
/// Drawing is pure and clipped: nothing written outside the grid (or outside the clip rectangle
/// given to `put`) has any effect, so widgets never need to check bounds themselves.
public struct Screen: Sendable, Equatable {
    public private(set) var size: Size
    public private(set) var cells: [Cell]
    /// Where the terminal should show its cursor (a focused text field), or nil to hide it.
    public var cursor: Point?
    /// Frame and mark glyphs for this terminal.
    public var glyphs: Glyphs
    /// How many characters holding a control or bidi scalar reached `put` unsanitised (and were
    /// dropped): always 0 when every view sanitises what it draws, which tests check. Not part
    /// of equality.
    public private(set) var unsanitizedDrops = 0
    /// Runs of cells that are links to a URL (drawn as OSC 8 hyperlinks where the terminal can).
    public private(set) var links: [Hyperlink] = []

    public static func == (lhs: Screen, rhs: Screen) -> Bool {
        lhs.size == rhs.size && lhs.cells == rhs.cells && lhs.cursor == rhs.cursor && lhs.glyphs == rhs.glyphs
            && lhs.links == rhs.links
    }

    /// Writes `text` (already sanitised) like `put(_:x:y:width:style:alignment:)` and marks the
    /// cells it took as a link to `url` — only when `url` is a plain http(s) URL of printable
    /// ASCII (`Hyperlink.safeURL`): a URL from the network never reaches the terminal otherwise.
    @discardableResult
    public mutating func putLink(_ text: String, url: String?, x: Int, y: Int, width: Int, style: Style = .plain) -> Int
    {
        let end = put(text, x: x, y: y, width: width, style: style)
        let start = max(0, x)
        if let url, let safe = Hyperlink.safeURL(url), end > start, y >= 0, y < size.height {
            links.append(Hyperlink(x: start, y: y, width: min(end, size.width) - start, url: safe))
        }
        return end
    }

    /// Creates a blank screen.
    public init(size: Size, glyphs: Glyphs = .unicode) {
        self.size = size
        self.cells = [Cell](repeating: .blank, count: size.width * size.height)
        self.glyphs = glyphs
    }

    /// The whole screen as a rectangle.
    public var bounds: Rect { Rect(size: size) }

    /// The cell at a position (a blank one when outside).
    public subscript(x: Int, y: Int) -> Cell {
        get {
            guard x >= 0, y >= 0, x < size.width, y < size.height else { return .blank }
            return cells[y * size.width + x]
        }
        set {
            guard x >= 0, y >= 0, x < size.width, y < size.height else { return }
            cells[y * size.width + x] = newValue
        }
    }

    /// The visible text of each row, trailing blanks removed; what tests compare.
    public var lines: [String] {
        (0..<size.height).map { line($0) }
    }

    /// The visible text of one row, trailing blanks removed.
    public func line(_ y: Int) -> String {
        guard y >= 0, y < size.height else { return "" }
        var text = ""
        let start = y * size.width
        for index in start..<(start + size.width) where !cells[index].isContinuation {
            text += cells[index].text
        }
        while text.last == " " { text.removeLast() }
        return text
    }

    /// Blanks every cell and hides the cursor.
    public mutating func clear() {
        links = []
        for index in cells.indices { cells[index] = .blank }
        cursor = nil
    }

    /// Fills a rectangle with blanks in `style`.
    public mutating func fill(_ rect: Rect, style: Style = .plain) {
        let area = rect.intersection(bounds)
        guard !area.isEmpty else { return }
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX { self[x, y] = Cell(" ", style: style) }
        }
    }

    /// Writes `text` from `(x, y)`, clipped to `clip` (default: the screen), never splitting a wide
    /// character: one that would straddle the right edge leaves a blank instead.
    ///
    /// The text must already be sanitised; this method only drops what has no width.
    /// - Returns: the column after the last cell written.
    @discardableResult
    public mutating func put(
        _ text: some StringProtocol, x: Int, y: Int, style: Style = .plain, clip: Rect? = nil
    ) -> Int {
        let area = (clip ?? bounds).intersection(bounds)
        guard y >= area.y, y < area.maxY else { return x }
        var column = x
        for character in text {
            if column >= area.maxX { break }
            let width = DisplayWidth.of(character)
            if width == 0 {
                if character.unicodeScalars.contains(where: { Sanitizer.placeholder(for: $0) != nil && $0 != "\t" }) {
                    unsanitizedDrops += 1
                }
                continue
            }
            if column < area.x {
                column += width
                // The right half of a wide character cut at the left edge becomes a blank.
                if column > area.x { for c in area.x..<min(column, area.maxX) { self[c, y] = Cell(" ", style: style) } }
                continue
            }
            if width == 2 && column + 1 >= area.maxX {
                self[column, y] = Cell(" ", style: style)
                column += 1
                break
            }
            repairWide(at: column, y: y)
            self[column, y] = Cell(String(character), style: style)
            if width == 2 {
                repairWide(at: column + 1, y: y)
                self[column + 1, y] = Cell("", style: style)
            }
            column += width
        }
        return column
    }

    /// Writes `text` into at most `width` cells, ending in an ellipsis when it does not fit.
    /// - Returns: the column after the last cell written.
    @discardableResult
    public mutating func put(
        _ text: some StringProtocol, x: Int, y: Int, width: Int, style: Style = .plain, alignment: Alignment = .left
    ) -> Int {
        guard width > 0 else { return x }
        let fitted = TextLayout.truncate(String(text), to: width, ellipsis: glyphs.ellipsis)
        let used = DisplayWidth.of(fitted)
        let start: Int
        switch alignment {
        case .left: start = x
        case .right: start = x + width - used
        case .center: start = x + (width - used) / 2
        }
        return put(fitted, x: start, y: y, style: style, clip: Rect(x: x, y: y, width: width, height: 1))
    }

    /// Before overwriting a cell, blanks the other half of a wide character it belongs to,
    /// so no orphaned half is ever left behind.
    private mutating func repairWide(at x: Int, y: Int) {
        guard x >= 0, x < size.width, y >= 0, y < size.height else { return }
        let index = y * size.width + x
        if cells[index].isContinuation, x > 0 {
            cells[index - 1].text = " "
        } else if DisplayWidth.of(Character(cells[index].text.isEmpty ? " " : cells[index].text)) == 2,
            x + 1 < size.width
        {
            cells[index + 1].text = " "
        }
    }
}

/// Horizontal placement of text within its space.
public enum Alignment: Sendable, Hashable {
    case left, right, center
}

/// A run of cells on one row that links to a URL.
public struct Hyperlink: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var url: String

    /// Creates a link.
    public init(x: Int, y: Int, width: Int, url: String) {
        self.x = x
        self.y = y
        self.width = width
        self.url = url
    }

    /// `url` when it is safe to put inside an OSC 8 sequence: `http://` or `https://`, at most
    /// 2,048 characters, every one printable ASCII (no space, no control, no ESC); else nil.
    public static func safeURL(_ url: String) -> String? {
        guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.utf8.count <= 2048,
            url.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        return url
    }
}
