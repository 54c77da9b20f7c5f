/// A spinner that turns one step per tick, and a text progress bar.
public struct Spinner: Sendable {
    /// The frames for UTF-8 terminals.
    public static let unicodeFrames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
    /// The frames for ASCII terminals.
    public static let asciiFrames = ["|", "/", "-", "\\"]

    /// The frame to show at `tick`.
    public static func frame(_ tick: Int, unicode: Bool = true) -> String {
        let frames = unicode ? unicodeFrames : asciiFrames
        return frames[((tick % frames.count) + frames.count) % frames.count]
    }

    /// A bar of `width` cells showing `done` of `total`, like `[#####.....]` in ASCII or
    /// `█████░░░░░` in UTF-8; an unknown total shows an empty bar.
    public static func bar(done: Int, total: Int?, width: Int, unicode: Bool = true) -> String {
        guard width > 0 else { return "" }
        let filled: Int
        if let total, total > 0 {
            filled = min(width, width * min(done, total) / total)
        } else {
            filled = 0
        }
        let full = unicode ? "█" : "#"
        let empty = unicode ? "░" : "."
        return String(repeating: full, count: filled) + String(repeating: empty, count: width - filled)
    }
}
