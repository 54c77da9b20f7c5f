/// Selection and scroll position of a list or table; part of the program's state.
///
/// Only `selected` and `offset` are stored; everything else is derived from the row count and
/// the visible height at render time, so state never goes stale when data changes.
public struct ListState: Sendable, Hashable {
    /// The selected row, or nil when the list is empty.
    public var selected: Int?
    /// The first visible row.
    public var offset: Int

    /// Creates a state with the first row selected (if any).
    public init(selected: Int? = 0, offset: Int = 0) {
        self.selected = selected
        self.offset = offset
    }

    /// Clamps selection and offset to a list of `count` rows shown `visible` rows at a time,
    /// scrolling just enough to keep the selection in view.
    public mutating func clamp(count: Int, visible: Int) {
        guard count > 0 else {
            selected = nil
            offset = 0
            return
        }
        let row = min(max(selected ?? 0, 0), count - 1)
        selected = row
        let window = max(1, visible)
        if row < offset { offset = row }
        if row >= offset + window { offset = row - window + 1 }
        offset = min(max(0, offset), max(0, count - window))
    }

    /// Moves the selection by `delta` rows (negative is up), clamped.
    public mutating func move(by delta: Int, count: Int, visible: Int) {
        guard count > 0 else { return clamp(count: count, visible: visible) }
        selected = min(max((selected ?? 0) + delta, 0), count - 1)
        clamp(count: count, visible: visible)
    }

    /// Moves one page down (positive) or up (negative), keeping the selection's place on screen.
    public mutating func page(_ pages: Int, count: Int, visible: Int) {
        let step = max(1, visible - 1) * pages
        offset = min(max(0, offset + step), max(0, count - max(1, visible)))
        move(by: step, count: count, visible: visible)
    }

    /// Selects the first row.
    public mutating func first(count: Int, visible: Int) {
        selected = 0
        offset = 0
        clamp(count: count, visible: visible)
    }

    /// Selects the last row.
    public mutating func last(count: Int, visible: Int) {
        selected = count - 1
        clamp(count: count, visible: visible)
    }
}

/// A column of a `Table`.
public struct TableColumn: Sendable, Hashable {
    public var title: String
    public var width: Constraint
    public var alignment: Alignment

    /// Creates a column; `width` is `.fixed(cells)` or `.fill(weight)`.
    public init(_ title: String, width: Constraint, alignment: Alignment = .left) {
        self.title = title
        self.width = width
        self.alignment = alignment
    }
}

/// A table (or, with one column and no header, a list) with virtual scrolling.
///
/// Rows are asked for by index through `row`, and only the visible ones are asked for, so a
/// frame of a 100,000-row table costs the same as one of 100 rows. Cell strings must already be
/// sanitised.
public struct Table: Sendable {
    public var columns: [TableColumn]
    public var showsHeader: Bool
    public var columnSpacing: Int
    public var headerStyle: Style
    public var selectedStyle: Style

    /// Creates a table.
    public init(
        columns: [TableColumn], showsHeader: Bool = true, columnSpacing: Int = 1, headerStyle: Style = .bold,
        selectedStyle: Style = .reverse
    ) {
        self.columns = columns
        self.showsHeader = showsHeader
        self.columnSpacing = columnSpacing
        self.headerStyle = headerStyle
        self.selectedStyle = selectedStyle
    }

    /// The number of rows visible in `area`.
    public func visibleRows(in area: Rect) -> Int {
        max(0, area.height - (showsHeader ? 1 : 0))
    }

    /// Draws the table. `state` is clamped to the data first; the caller keeps the result.
    public func render(
        into screen: inout Screen,
        area: Rect,
        count: Int,
        state: inout ListState,
        row: (Int) -> [String],
        style: (Int) -> Style = { _ in .plain }
    ) {
        guard !area.isEmpty else { return }
        let visible = visibleRows(in: area)
        state.clamp(count: count, visible: visible)
        let hasScrollbar = count > visible && area.width > 2
        let content = Rect(x: area.x, y: area.y, width: area.width - (hasScrollbar ? 1 : 0), height: area.height)
        let widths = columnWidths(total: content.width)
        var top = area.y
        if showsHeader {
            drawRow(columns.map(\.title), widths: widths, into: &screen, x: content.x, y: top, style: headerStyle)
            top += 1
        }
        guard visible > 0 else { return }
        let end = min(count, state.offset + visible)
        for index in state.offset..<max(state.offset, end) {
            let y = top + index - state.offset
            var rowStyle = style(index)
            if index == state.selected {
                rowStyle = selectedStyle
                screen.fill(Rect(x: content.x, y: y, width: content.width, height: 1), style: rowStyle)
            }
            drawRow(row(index), widths: widths, into: &screen, x: content.x, y: y, style: rowStyle)
        }
        if hasScrollbar {
            drawScrollbar(
                into: &screen, x: area.maxX - 1, top: top, height: visible, count: count, offset: state.offset)
        }
    }

    /// Column widths for a total width: fixed columns first, fill columns share the rest.
    public func columnWidths(total: Int) -> [Int] {
        let spacing = max(0, columns.count - 1) * columnSpacing
        return Rect.distribute(max(0, total - spacing), columns.map(\.width))
    }

    private func drawRow(_ cells: [String], widths: [Int], into screen: inout Screen, x: Int, y: Int, style: Style) {
        var column = x
        for (index, width) in widths.enumerated() {
            if width > 0, index < cells.count {
                screen.put(
                    cells[index], x: column, y: y, width: width, style: style, alignment: columns[index].alignment)
            }
            column += width + columnSpacing
        }
    }

    private func drawScrollbar(into screen: inout Screen, x: Int, top: Int, height: Int, count: Int, offset: Int) {
        guard height > 0, count > 0 else { return }
        let thumb = max(1, height * height / count)
        let maxOffset = max(1, count - height)
        let position = (height - thumb) * min(offset, maxOffset) / maxOffset
        for y in 0..<height {
            let isThumb = y >= position && y < position + thumb
            screen.put(
                isThumb ? screen.glyphs.scrollThumb : screen.glyphs.vertical, x: x, y: top + y,
                style: isThumb ? .plain : .dim)
        }
    }
}
