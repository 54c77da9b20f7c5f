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
        case .ctrl(" "): return "Ctrl-Space"
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

extension Key {
    /// Reads a key as a person writes it in the config file: `j`, `G`, `Space`, `Enter`, `Esc`,
    /// `Tab`, `Shift-Tab`, `Up`, `PgDn`, `F1`, `Ctrl-D` (or `C-d`, `^D`, `Ctrl+d`, `<C-d>`),
    /// `Ctrl-Space`, `Alt-x` (or `M-x`), and every name `description` writes (`↑`, `PgUp`). Named keys are read in any case;
    /// a single character is itself (`g` and `G` differ). Throws a sentence naming the mistake.
    public init(name: String) throws(KeyNameError) {
        // vim writes them in angle brackets: <C-d>, <Esc>, <CR>.
        if name.count > 2, name.first == "<", name.last == ">" {
            do {
                self = try Key(name: String(name.dropFirst().dropLast()))
                return
            } catch {
                throw KeyNameError(name: name, reason: error.reason)
            }
        }
        if let named = Self.named[name] {
            self = named
            return
        }
        if name.count == 1, let character = name.first {
            guard !character.isWhitespace, character.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0 != "\u{7F}" })
            else { throw KeyNameError(name: name, reason: "write Space, Tab or Enter by name") }
            self = .character(character)
            return
        }
        let lower = name.lowercased()
        if let named = Self.named[lower] {
            self = named
            return
        }
        if lower.first == "f", let number = Int(lower.dropFirst()), String(number) == String(lower.dropFirst()) {
            guard (1...12).contains(number) else { throw KeyNameError(name: name, reason: "F1 to F12 are read") }
            self = .function(number)
            return
        }
        for (prefixes, isControl) in [
            (["ctrl-", "ctrl+", "c-", "^"], true), (["alt-", "alt+", "m-", "meta-"], false),
        ] {
            guard let prefix = prefixes.first(where: { lower.hasPrefix($0) && name.count > $0.count }) else {
                continue
            }
            let rest = String(name.dropFirst(prefix.count))
            if isControl, ["space", "@"].contains(rest.lowercased()) {
                self = .ctrl(" ")
                return
            }
            guard rest.count == 1, let character = rest.first else {
                throw KeyNameError(name: name, reason: "\(isControl ? "Ctrl" : "Alt") goes with one character")
            }
            if isControl {
                let letter = Character(character.lowercased())
                guard letter.isASCII, letter.isLetter else {
                    throw KeyNameError(name: name, reason: "Ctrl goes with a letter, a to z")
                }
                // A terminal sends these as other keys: Ctrl-I is Tab, Ctrl-M and Ctrl-J Enter,
                // Ctrl-H Backspace.
                let same: [Character: String] = ["i": "Tab", "m": "Enter", "j": "Enter", "h": "Backspace"]
                if let other = same[letter] {
                    throw KeyNameError(name: name, reason: "a terminal sends it as \(other): write \(other)")
                }
                self = .ctrl(letter)
            } else {
                guard !character.isWhitespace, character.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) else {
                    throw KeyNameError(name: name, reason: "Alt goes with a printable character")
                }
                self = .alt(character)
            }
            return
        }
        throw KeyNameError(name: name, reason: "not a key name")
    }

    /// Named keys, lower-cased.
    private static let named: [String: Key] = [
        "space": .character(" "), "enter": .enter, "return": .enter, "ret": .enter, "cr": .enter,
        "esc": .escape, "escape": .escape, "tab": .tab, "shift-tab": .backTab, "shift+tab": .backTab,
        "s-tab": .backTab, "backtab": .backTab, "backspace": .backspace, "bs": .backspace, "delete": .delete,
        "del": .delete, "insert": .insert, "ins": .insert, "up": .up, "↑": .up, "down": .down, "↓": .down,
        "left": .left, "←": .left, "right": .right, "→": .right, "home": .home, "end": .end, "pgup": .pageUp,
        "pageup": .pageUp, "page-up": .pageUp, "pgdn": .pageDown, "pagedown": .pageDown, "page-down": .pageDown,
    ]
}

/// A key name the config file gave that is not a key.
public struct KeyNameError: Error, Equatable, Sendable, CustomStringConvertible {
    public var name: String
    public var reason: String

    public var description: String { "\"\(name)\" is not a key bbtui reads: \(reason)" }
}
