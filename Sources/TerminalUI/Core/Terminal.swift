/// How a copy to the clipboard went, so the program can tell the person.
public enum ClipboardResult: Sendable, Hashable {
    /// Sent as OSC 52 straight to the terminal.
    case osc52
    /// Sent as OSC 52 wrapped for passthrough by the named multiplexer ("tmux" or "screen"),
    /// and also plainly, for a multiplexer that handles OSC 52 itself.
    case osc52Passthrough(String)
    /// Not sent: the text is larger than terminals accept in one OSC 52 sequence.
    case tooLarge(bytes: Int)
    /// The terminal has no clipboard support bbtui can use (a test terminal, or a dumb one).
    case unavailable
}

/// What a terminal can do, decided once at start.
public struct TerminalCapabilities: Sendable, Hashable {
    /// UTF-8 locale: wide characters and box drawing are available.
    public var isUnicode: Bool
    /// Colour may be used (the terminal has it and `NO_COLOR` is not set).
    public var hasColor: Bool
    /// OSC 8 hyperlinks are drawn over URLs (a terminal known to support them, or
    /// `BBTUI_HYPERLINKS=1`; `BBTUI_HYPERLINKS=0` turns them off).
    public var hasHyperlinks: Bool

    /// Creates a capability set.
    public init(isUnicode: Bool = true, hasColor: Bool = true, hasHyperlinks: Bool = false) {
        self.isUnicode = isUnicode
        self.hasColor = hasColor
        self.hasHyperlinks = hasHyperlinks
    }

    /// Whether to draw OSC 8 hyperlinks, from the environment: `BBTUI_HYPERLINKS` decides when
    /// set; otherwise only terminals known to support them (iTerm2, kitty, WezTerm, GNOME
    /// Terminal and other VTE 0.50+, Windows Terminal, VS Code), since an unknown one might print
    /// the sequence.
    public static func hyperlinks(environment: [String: String]) -> Bool {
        switch environment["BBTUI_HYPERLINKS"]?.lowercased() {
        case "1", "on", "yes", "true": return true
        case "0", "off", "no", "false": return false
        default: break
        }
        if ["iTerm.app", "WezTerm", "vscode"].contains(environment["TERM_PROGRAM"] ?? "") { return true }
        if environment["KITTY_WINDOW_ID"] != nil || environment["WT_SESSION"] != nil { return true }
        if let vte = environment["VTE_VERSION"].flatMap(Int.init), vte >= 5000 { return true }
        return false
    }

    /// The glyphs that fit this terminal.
    public var glyphs: Glyphs { isUnicode ? .unicode : .ascii }
}

/// Wakes a terminal that is waiting for input, from any thread.
///
/// Effect tasks finish on other threads; they queue their result and call `wake()`, and the UI
/// thread, blocked in `nextEvent`, returns `.wake` at once. No polling, no idle wake-ups.
public protocol Waker: Sendable {
    /// Makes the next (or current) `nextEvent` call return `.wake`.
    func wake()
}

/// A place a program draws frames and reads events: real ncurses, or `TestTerminal`.
///
/// All calls happen on one thread (the UI thread), except `waker.wake()`.
public protocol Terminal: AnyObject {
    /// The current size in cells.
    var size: Size { get }
    /// What this terminal can show.
    var capabilities: TerminalCapabilities { get }
    /// The thread-safe handle that interrupts `nextEvent`.
    var waker: any Waker { get }
    /// Blocks until an event arrives, or `timeout` passes (nil: forever). Nil on timeout.
    func nextEvent(timeout: Duration?) -> TerminalEvent?
    /// Shows a frame. Only cells that changed since the last frame are sent.
    func draw(_ screen: Screen)
    /// Forgets what is on the terminal, so the next `draw` repaints everything (Ctrl-L).
    func invalidate()
    /// Copies text to the system clipboard of the person's own terminal.
    func copy(_ text: String) -> ClipboardResult
    /// Leaves the full-screen mode, prints `text` as one unbroken line on the normal screen
    /// (so the terminal's own selection copies it whole, even across its soft wrap), waits for
    /// a key, and comes back with a full redraw.
    func showPlainly(_ text: String, prompt: String)
    /// Turns mouse reporting on or off (off keeps the terminal's native selection).
    func setMouseReporting(_ isEnabled: Bool)
    /// Suspends the process like Ctrl-Z in a shell, restoring the terminal meanwhile.
    func suspend()
    /// Leaves the full screen, the terminal in the modes the shell had, runs `body` (a program
    /// that takes the terminal), and comes back with a full redraw.
    func runOutside(_ body: () -> Void)
}
