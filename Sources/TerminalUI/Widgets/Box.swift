/// A framed box with an optional title in its top border.
public struct Box: Sendable {
    public var title: String
    public var style: Style
    public var titleStyle: Style

    /// Creates a box. The title must be sanitised already when it comes from outside.
    public init(title: String = "", style: Style = .plain, titleStyle: Style = .bold) {
        self.title = title
        self.style = style
        self.titleStyle = titleStyle
    }

    /// Draws the frame into `rect` and returns the inner area.
    @discardableResult
    public func render(into screen: inout Screen, area rect: Rect) -> Rect {
        let area = rect.intersection(screen.bounds)
        guard area.width >= 2, area.height >= 2 else { return Rect(x: area.x, y: area.y, width: 0, height: 0) }
        let g = screen.glyphs
        let horizontal = String(repeating: g.horizontal, count: area.width - 2)
        screen.put(g.topLeft + horizontal + g.topRight, x: area.x, y: area.y, style: style)
        screen.put(g.bottomLeft + horizontal + g.bottomRight, x: area.x, y: area.maxY - 1, style: style)
        for y in (area.y + 1)..<(area.maxY - 1) {
            screen.put(g.vertical, x: area.x, y: y, style: style)
            screen.put(g.vertical, x: area.maxX - 1, y: y, style: style)
        }
        if !title.isEmpty, area.width > 4 {
            screen.put(" " + title + " ", x: area.x + 1, y: area.y, width: area.width - 2, style: titleStyle)
        }
        return area.inset(by: 1)
    }
}
