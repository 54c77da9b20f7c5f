import TerminalUI

/// What a key does, independent of which key it is.
public enum Command: Equatable, Sendable {
    case quit, help, redraw, suspend
    case up, down, top, bottom, pageUp, pageDown, halfPageDown, halfPageUp
    case nextPane, previousPane, pane(Pane)
    case open, back
    case filter, cycleSort, reverseSort, cycleWorkspace
    case refreshPane, refreshAll
    case accounts, logout, toggleMouse
    case copySSH, copyHTTPS, copyWebURL, openWeb
    // Login screen
    case copyLoginURL, showLoginURL, openLoginURL, writeLoginURL, focusField, submit
}

/// One binding: keys, the command, and the line it gets in the help.
public struct KeyBinding: Equatable, Sendable {
    public var keys: [Key]
    public var command: Command
    public var summary: String
    public var section: String
    /// Shown in the status bar's hints.
    public var isHinted: Bool

    init(_ keys: [Key], _ command: Command, _ summary: String, section: String, hint: Bool = false) {
        self.keys = keys
        self.command = command
        self.summary = summary
        self.section = section
        isHinted = hint
    }
}

/// The keybindings as data: what the keys do, the help overlay and the status-bar hints all
/// come from these tables, so they cannot drift apart.
public enum Keymap {
    public static let browser: [KeyBinding] = [
        KeyBinding([.character("j"), .down], .down, "next row", section: "Move"),
        KeyBinding([.character("k"), .up], .up, "previous row", section: "Move"),
        KeyBinding([.character("g"), .home], .top, "first row", section: "Move"),
        KeyBinding([.character("G"), .end], .bottom, "last row", section: "Move"),
        KeyBinding([.pageDown, .ctrl("f")], .pageDown, "page down", section: "Move"),
        KeyBinding([.pageUp, .ctrl("b")], .pageUp, "page up", section: "Move"),
        KeyBinding([.ctrl("d")], .halfPageDown, "half a page down", section: "Move"),
        KeyBinding([.ctrl("u")], .halfPageUp, "half a page up", section: "Move"),
        KeyBinding([.tab], .nextPane, "next pane", section: "Panes", hint: true),
        KeyBinding([.backTab], .previousPane, "previous pane", section: "Panes"),
        KeyBinding([.character("1")], .pane(.profile), "profile", section: "Panes"),
        KeyBinding([.character("2")], .pane(.emails), "emails", section: "Panes"),
        KeyBinding([.character("3")], .pane(.repositories), "repositories", section: "Panes"),
        KeyBinding([.enter], .open, "open the repository's details", section: "Repositories", hint: true),
        KeyBinding([.escape], .back, "back, close, clear the filter", section: "Repositories"),
        KeyBinding([.character("/")], .filter, "filter (name, full name, description, language)", section: "Repositories", hint: true),
        KeyBinding([.character("s")], .cycleSort, "sort by updated, name, size, workspace", section: "Repositories", hint: true),
        KeyBinding([.character("S")], .reverseSort, "reverse the order", section: "Repositories"),
        KeyBinding([.character("w")], .cycleWorkspace, "show one workspace / all", section: "Repositories"),
        KeyBinding([.character("y")], .copySSH, "copy the SSH clone URL", section: "Repositories", hint: true),
        KeyBinding([.character("Y")], .copyHTTPS, "copy the HTTPS clone URL", section: "Repositories"),
        KeyBinding([.character("u")], .copyWebURL, "copy the web URL", section: "Repositories"),
        KeyBinding([.character("o")], .openWeb, "open the web URL (or show it)", section: "Repositories"),
        KeyBinding([.character("r")], .refreshPane, "refresh this pane", section: "Data", hint: true),
        KeyBinding([.character("R")], .refreshAll, "refresh everything", section: "Data"),
        KeyBinding([.character("a")], .accounts, "accounts: switch, add, log out", section: "Account"),
        KeyBinding([.character("L")], .logout, "log out (asks first)", section: "Account"),
        KeyBinding([.character("m")], .toggleMouse, "mouse on/off (off keeps native selection)", section: "Terminal"),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", section: "Terminal"),
        KeyBinding([.ctrl("z")], .suspend, "suspend (fg resumes)", section: "Terminal"),
        KeyBinding([.character("?"), .function(1)], .help, "this help", section: "Terminal", hint: true),
        KeyBinding([.character("q"), .ctrl("c")], .quit, "quit", section: "Terminal", hint: true),
    ]

    public static let login: [KeyBinding] = [
        KeyBinding([.character("y")], .copyLoginURL, "copy the URL (OSC 52, works over SSH)", section: "Login", hint: true),
        KeyBinding([.character("p")], .showLoginURL, "show the URL plainly, on one line", section: "Login", hint: true),
        KeyBinding([.character("o")], .openLoginURL, "open the URL in a local browser", section: "Login", hint: true),
        KeyBinding([.character("w")], .writeLoginURL, "write the URL to a private file", section: "Login", hint: true),
        KeyBinding([.character("i"), .tab], .focusField, "type in the code field (pasting works anywhere)", section: "Login", hint: true),
        KeyBinding([.enter], .submit, "submit the code or redirect URL", section: "Login"),
        KeyBinding([.escape], .back, "leave the field / cancel re-login", section: "Login"),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", section: "Terminal"),
        KeyBinding([.ctrl("z")], .suspend, "suspend (fg resumes)", section: "Terminal"),
        KeyBinding([.character("?"), .function(1)], .help, "this help", section: "Terminal", hint: true),
        KeyBinding([.character("q"), .ctrl("c")], .quit, "quit", section: "Terminal", hint: true),
    ]

    /// The command bound to `key` in a table.
    public static func command(for key: Key, in table: [KeyBinding]) -> Command? {
        table.first { $0.keys.contains(key) }?.command
    }

    /// The help overlay's sections, in table order.
    public static func helpSections(_ table: [KeyBinding]) -> [HelpSection] {
        var sections: [HelpSection] = []
        for binding in table {
            let entry = HelpEntry(keys: binding.keys.map(\.description), summary: binding.summary)
            if let index = sections.firstIndex(where: { $0.title == binding.section }) {
                sections[index].entries.append(entry)
            } else {
                sections.append(HelpSection(title: binding.section, entries: [entry]))
            }
        }
        return sections
    }

    /// The status bar's hints.
    public static func hints(_ table: [KeyBinding]) -> [KeyHint] {
        table.filter(\.isHinted).map { KeyHint($0.keys[0].description, shortLabel($0.command)) }
    }

    private static func shortLabel(_ command: Command) -> String {
        switch command {
        case .nextPane: return "pane"
        case .open: return "details"
        case .filter: return "filter"
        case .cycleSort: return "sort"
        case .copySSH: return "copy"
        case .refreshPane: return "refresh"
        case .help: return "help"
        case .quit: return "quit"
        case .copyLoginURL: return "copy"
        case .showLoginURL: return "show"
        case .openLoginURL: return "open"
        case .writeLoginURL: return "file"
        case .focusField: return "type"
        default: return ""
        }
    }
}
