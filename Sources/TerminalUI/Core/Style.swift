/// One of the 16 ANSI colours, or the terminal's own default.
///
/// Only these 17 values exist so that every terminal bbtui meets can show them; themes that need
/// more are out of scope on purpose (over SSH, 256-colour support is a guess).
public enum Color: Int, Sendable, Hashable, CaseIterable {
    case `default` = -1
    case black = 0
    case red, green, yellow, blue, magenta, cyan, white
    case brightBlack, brightRed, brightGreen, brightYellow, brightBlue, brightMagenta, brightCyan, brightWhite
}

/// Text attributes a cell may carry, combinable.
public struct Attributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = Attributes(rawValue: 1 << 0)
    public static let dim = Attributes(rawValue: 1 << 1)
    public static let reverse = Attributes(rawValue: 1 << 2)
    public static let underline = Attributes(rawValue: 1 << 3)
}

/// How a cell is drawn: colours plus attributes.
public struct Style: Sendable, Hashable {
    public var foreground: Color
    public var background: Color
    public var attributes: Attributes

    /// Creates a style; everything defaults to the terminal's own look.
    public init(foreground: Color = .default, background: Color = .default, attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// The terminal's default look.
    public static let plain = Style()
    /// Bold text in the default colours.
    public static let bold = Style(attributes: .bold)
    /// Dimmed text, for secondary information.
    public static let dim = Style(attributes: .dim)
    /// Reverse video, the selection highlight that works without colour.
    public static let reverse = Style(attributes: .reverse)

    /// This style with extra attributes added.
    public func adding(_ extra: Attributes) -> Style {
        var copy = self
        copy.attributes.formUnion(extra)
        return copy
    }

}
