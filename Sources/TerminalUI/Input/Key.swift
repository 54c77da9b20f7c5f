/// A key press, decoded from the terminal's bytes.
public enum Key: Sendable, Hashable, CustomStringConvertible {
    /// A printable character (any script, emoji included).
    case character(Character)
    /// Ctrl with a letter, lower-cased: `.ctrl("c")`.
    case ctrl(Character)
    /// Alt (Meta) with a printable character, sent as ESC followed by it.
    case alt(Character)
    case enter, escape, tab, backTab, backspace, delete, insert
    case up, down, left, right, home, end, pageUp, pageDown
    /// F1 to F12.
    case function(Int)

    /// How the key is written in help and hints: `Ctrl-C`, `PgDn`, `F1`, `/`.
    public var description: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let c): return String(c)
        case .ctrl(let c): return "Ctrl-" + String(c).uppercased()
        case .alt(let c): return "Alt-" + String(c)
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .backspace: return "Backspace"
        case .delete: return "Delete"
        case .insert: return "Insert"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .function(let n): return "F\(n)"
        }
    }
}

/// A mouse report (SGR 1006 encoding), only produced while mouse reporting is on.
public struct MouseEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        case press(button: Int)
        case release(button: Int)
        case drag(button: Int)
        case scrollUp, scrollDown
    }

    public var kind: Kind
    /// Zero-based cell position.
    public var position: Point

    /// Creates a mouse event.
    public init(kind: Kind, position: Point) {
        self.kind = kind
        self.position = position
    }
}

/// A signal that asks the program to stop or pause, delivered as an event so the program can
/// restore the terminal and save its state on the one UI thread.
public enum TerminalSignal: Sendable, Hashable {
    /// SIGINT sent from outside (Ctrl-C itself arrives as a key in raw mode).
    case interrupt
    /// SIGTERM.
    case terminate
    /// SIGHUP: the terminal went away (a dropped SSH connection).
    case hangup
    /// SIGQUIT.
    case quit
    /// SIGTSTP sent from outside: suspend.
    case suspend
}

/// Everything a terminal can tell the program.
public enum TerminalEvent: Sendable, Hashable {
    case key(Key)
    /// A bracketed paste: the whole pasted text as one event, never interpreted as keys.
    case paste(String)
    /// The terminal changed size.
    case resize(Size)
    case mouse(MouseEvent)
    case signal(TerminalSignal)
    /// Another thread called `Waker.wake()`: results are waiting.
    case wake
    /// The terminal came back after a suspension (SIGCONT) and was fully redrawn.
    case resumed
}
