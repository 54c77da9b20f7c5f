/// A modal dialog: a framed, centred box with a wrapped message and a row of choices.
public struct Dialog: Sendable {
    public var title: String
    public var message: String
    public var buttons: [String]
    public var selectedButton: Int

    /// Creates a dialog. Text from outside must be sanitised (newlines kept) first.
    public init(title: String, message: String, buttons: [String] = ["OK"], selectedButton: Int = 0) {
        self.title = title
        self.message = message
        self.buttons = buttons
        self.selectedButton = selectedButton
    }

    /// Draws the dialog centred in `area`, at most `maxWidth` wide.
    public func render(into screen: inout Screen, area: Rect, maxWidth: Int = 60) {
        let width = min(area.width, max(maxWidth, 20))
        let textWidth = max(1, width - 4)
        let body = TextLayout.wrap(message, width: textWidth)
        let height = min(area.height, body.count + 4)
        let box = area.centered(width: width, height: height)
        screen.fill(box)
        let inner = Box(title: title).render(into: &screen, area: box).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        for (offset, line) in body.prefix(max(0, inner.height - 1)).enumerated() {
            screen.put(line, x: inner.x, y: inner.y + offset, width: inner.width)
        }
        var x = inner.x
        let y = inner.maxY - 1
        for (index, label) in buttons.enumerated() {
            let text = "[ " + label + " ]"
            x = screen.put(text, x: x, y: y, style: index == selectedButton ? .reverse : .plain, clip: inner) + 1
        }
    }
}
