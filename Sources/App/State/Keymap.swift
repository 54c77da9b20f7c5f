import BitbucketKit
import TerminalUI

/// What a key does, independent of which key it is.
public enum Command: Equatable, Sendable {
    case quit, help, redraw, suspend
    case up, down, top, bottom, pageUp, pageDown, halfPageDown, halfPageUp
    case nextPane, previousPane
    case pane(Pane)
    case open, back
    case filter, cycleSort, reverseSort, cycleWorkspace
    case refreshPane, refreshAll
    case accounts, logout, toggleMouse
    case copySSH, copyHTTPS, copyWebURL, openWeb
    /// The SSH keys pane: this machine's public key, to add in Bitbucket.
    case copyLocalKey, showLocalKey
    // Login screen
    case copyLoginURL, showLoginURL, openLoginURL, writeLoginURL, focusField, submit
    // Setup screen: move between the Key and the Secret
    case switchField
    /// Log in with an Atlassian API token instead (and back).
    case useAPIToken
    // Text fields (the filter, the login field)
    /// Keep what was typed and leave the field.
    case acceptFilter
    /// Clear the field and leave it.
    case clearFilter
    /// A readline editing key: the field handles it (listed so the help shows it).
    case editText
    /// The filter field: recall an earlier / a later filter.
    case olderFilter, newerFilter
    // Dialogs and overlays
    case confirm, addAccount
    /// Show the last copied text (or the selected repository's SSH clone URL) plainly.
    case showCopied
    /// Show the current pane's error (or the last error message) whole, plainly.
    case showError
    /// `bbtui demo` only: approve as the demo user, as a browser would.
    case approveDemo
    // Cloning
    /// Mark or unmark the selected repository.
    case toggleMark
    /// Clone the selected repository, or every marked one.
    case clone
    /// The clone log overlay.
    case cloneLog
    /// Stop every clone still running (nothing is left behind).
    case cancelClones
    /// The config file's `[[commands]]` entry at this index.
    case custom(Int)
}

/// Where keys are read: each context has its own table, and the footer, the help, the sidebar
/// legend and the dialogs' buttons are all drawn from these tables.
public enum KeyContext: Hashable, Sendable, CaseIterable {
    /// The browser's panes.
    case browser
    /// A repository's details (the browser's keys work too).
    case detail
    /// Typing a repository filter.
    case filter
    /// The login screen, outside the code field.
    case login
    /// Typing in the login screen's code field.
    case loginField
    /// The setup screen (no consumer configured yet), outside its fields.
    case setup
    /// Typing the consumer's Key or Secret.
    case setupField
    /// The help overlay.
    case help
    /// "Log out?".
    case confirmLogout
    /// The accounts overlay.
    case accounts
    /// "Session ended".
    case relogin
    /// The clone log.
    case cloneLog
}

extension KeyContext {
    /// The position in `allCases`.
    var index: Int {
        switch self {
        case .browser: return 0
        case .detail: return 1
        case .filter: return 2
        case .login: return 3
        case .loginField: return 4
        case .setup: return 5
        case .setupField: return 6
        case .help: return 7
        case .confirmLogout: return 8
        case .accounts: return 9
        case .relogin: return 10
        case .cloneLog: return 11
        }
    }
}

/// One binding: keys, the command, its line in the help, and where else it shows.
public struct KeyBinding: Equatable, Sendable {
    public var keys: [Key]
    public var command: Command
    /// The help's line.
    public var summary: String
    public var section: String
    /// The footer's short label; nil keeps the binding out of the footer.
    public var hint: String?
    /// The footer's key label when it is not the first key's name (`↑↓`).
    public var hintKeys: String?
    /// The sidebar legend's label; nil keeps it out of the legend.
    public var legend: String?
    /// The panes where the binding does something; nil for all.
    public var panes: Set<Pane>?
    /// Only in `bbtui demo` (the emulator can approve by itself).
    public var isDemoOnly: Bool

    init(
        _ keys: [Key], _ command: Command, _ summary: String, section: String, hint: String? = nil,
        hintKeys: String? = nil, legend: String? = nil, panes: Set<Pane>? = nil, isDemoOnly: Bool = false
    ) {
        self.keys = keys
        self.command = command
        self.summary = summary
        self.section = section
        self.hint = hint
        self.hintKeys = hintKeys
        self.legend = legend
        self.panes = panes
        self.isDemoOnly = isDemoOnly
    }

    /// True when the binding does something in `pane` (always, outside the browser).
    func applies(to pane: Pane?) -> Bool {
        guard let panes, let pane else { return true }
        return panes.contains(pane)
    }

    /// How the keys are written: `j ↓`.
    public var keyLabel: String { keys.map(\.description).joined(separator: " ") }
}

/// The keybindings as data: what the keys do, the help overlay, the footers, the legend and the
/// dialogs' buttons all come from these tables, so they cannot drift apart. `standard` is
/// bbtui's own; the config file's `[keys]` and `[[commands]]` change a copy
/// (`Keymap(configuration:)`), which the state carries, so every screen shows the person's keys.
public struct Keymap: Equatable, Sendable {
    /// Each context's own bindings (the details view's without the browser's), in
    /// `KeyContext.allCases` order: read on every key and every frame, so an array, not a hash.
    var own: [[KeyBinding]]
    /// The config file's `[[commands]]`, in its order (`Command.custom` indexes them).
    public internal(set) var commands: [CustomCommand] = []
    /// What the config file left odd but usable: a command with no key left.
    public internal(set) var warnings: [String] = []

    /// bbtui's own keys.
    public static let standard: Keymap = {
        Keymap(own: KeyContext.allCases.map(defaultTable))
    }()

    /// A context's own bindings (for the details view, without the browser's).
    public func ownTable(_ context: KeyContext) -> [KeyBinding] { own[context.index] }
}

extension Keymap {
    static let editing = KeyBinding(
        [.left, .right, .ctrl("a"), .ctrl("e"), .ctrl("k"), .ctrl("w")], .editText,
        "move, to start/end, delete to end, delete a word", section: "Typing"
    )

    public static let browser: [KeyBinding] = [
        KeyBinding([.character("j"), .down], .down, "next row", section: "Move"),
        KeyBinding([.character("k"), .up], .up, "previous row", section: "Move"),
        KeyBinding([.character("g"), .home], .top, "first row", section: "Move"),
        KeyBinding([.character("G"), .end], .bottom, "last row", section: "Move"),
        KeyBinding([.pageDown, .ctrl("f")], .pageDown, "page down", section: "Move"),
        KeyBinding([.pageUp, .ctrl("b")], .pageUp, "page up", section: "Move"),
        KeyBinding([.ctrl("d")], .halfPageDown, "half a page down", section: "Move"),
        KeyBinding([.ctrl("u")], .halfPageUp, "half a page up", section: "Move"),
        KeyBinding(
            [.tab, .character("l"), .right], .nextPane, "next pane", section: "Panes", hint: "pane", legend: "next pane"
        ),
        KeyBinding([.backTab, .character("h"), .left], .previousPane, "previous pane", section: "Panes"),
        KeyBinding([.character("1")], .pane(.profile), "profile", section: "Panes"),
        KeyBinding([.character("2")], .pane(.emails), "emails", section: "Panes"),
        KeyBinding([.character("3")], .pane(.repositories), "repositories", section: "Panes"),
        KeyBinding([.character("4")], .pane(.workspaces), "workspaces", section: "Panes"),
        KeyBinding([.character("5")], .pane(.sshKeys), "SSH keys", section: "Panes"),
        KeyBinding(
            [.enter], .open, "open the repository's details", section: "Repositories", hint: "details",
            panes: [.repositories]),
        KeyBinding(
            [.enter], .open, "show the workspace's repositories", section: "Workspaces", hint: "repositories",
            panes: [.workspaces]),
        KeyBinding(
            [.escape], .back, "back, close, clear filter or marks, stop clones",
            section: "Repositories", panes: [.repositories]),
        KeyBinding(
            [.character("/")], .filter, "filter (name, full name, description, language)", section: "Repositories",
            hint: "filter", legend: "filter"),
        KeyBinding(
            [.character("s")], .cycleSort, "sort by updated, name, size, workspace", section: "Repositories",
            hint: "sort", panes: [.repositories]),
        KeyBinding(
            [.character("S")], .reverseSort, "reverse the order", section: "Repositories", panes: [.repositories]),
        KeyBinding(
            [.character("w")], .cycleWorkspace, "show one workspace / all", section: "Repositories",
            panes: [.repositories]),
        KeyBinding(
            [.character("y")], .copySSH, "copy the SSH clone URL", section: "Repositories", hint: "copy",
            panes: [.repositories]),
        KeyBinding(
            [.character("Y")], .copyHTTPS, "copy the HTTPS clone URL", section: "Repositories", panes: [.repositories]),
        KeyBinding([.character("u")], .copyWebURL, "copy the web URL", section: "Repositories", panes: [.repositories]),
        KeyBinding(
            [.character("o")], .openWeb, "open the web URL (or show it)", section: "Repositories",
            panes: [.repositories]),
        KeyBinding(
            [.character("p")], .showCopied, "show the last copied URL plainly, on one line", section: "Repositories",
            panes: [.repositories]),
        KeyBinding(
            [.character(" ")], .toggleMark, "mark or unmark the row (clone then takes every marked one)",
            section: "Clone", panes: [.repositories]),
        KeyBinding(
            [.character("c")], .clone, "clone the selected (or every marked) repository",
            section: "Clone", hint: "clone", panes: [.repositories]),
        KeyBinding([.character("C")], .cloneLog, "the clone log: each clone's progress and result", section: "Clone"),
        KeyBinding(
            [.character("y")], .copyLocalKey, "copy this machine's public key (OSC 52), to add in Bitbucket",
            section: "SSH keys", hint: "copy key", panes: [.sshKeys]),
        KeyBinding(
            [.character("p")], .showLocalKey, "show this machine's public key plainly, on one line",
            section: "SSH keys", hint: "show key", panes: [.sshKeys]),
        KeyBinding([.character("r")], .refreshPane, "refresh this pane", section: "Data", hint: "refresh"),
        KeyBinding([.character("R")], .refreshAll, "refresh everything", section: "Data"),
        KeyBinding(
            [.character("e")], .showError, "show this pane's error (or the last message) whole, plainly",
            section: "Data"),
        KeyBinding([.character("a")], .accounts, "accounts: switch, add, log out", section: "Account"),
        KeyBinding([.character("L")], .logout, "log out (asks first)", section: "Account"),
        KeyBinding([.character("m")], .toggleMouse, "mouse on/off (off keeps native selection)", section: "Terminal"),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", section: "Terminal"),
        KeyBinding([.ctrl("z")], .suspend, "suspend (fg resumes)", section: "Terminal"),
        KeyBinding(
            [.character("?"), .function(1)], .help, "this help", section: "Terminal", hint: "help", legend: "all keys"),
        KeyBinding([.character("q"), .character("Q"), .ctrl("c")], .quit, "quit", section: "Terminal", hint: "quit"),
    ]

    /// The details view's own keys; the browser's work there too.
    public static let detail: [KeyBinding] = [
        KeyBinding(
            [.escape, .character("q")], .back, "back to the list (as in tig and lazygit)", section: "Details",
            hint: "back"),
        KeyBinding([.character("Q")], .quit, "quit from anywhere", section: "Details"),
        KeyBinding([.character("j"), .down], .down, "scroll down", section: "Details"),
        KeyBinding([.character("k"), .up], .up, "scroll up", section: "Details"),
        KeyBinding([.character("y")], .copySSH, "copy the SSH clone URL", section: "Details", hint: "ssh"),
        KeyBinding([.character("Y")], .copyHTTPS, "copy the HTTPS clone URL", section: "Details", hint: "https"),
        KeyBinding([.character("u")], .copyWebURL, "copy the web URL", section: "Details", hint: "web"),
        KeyBinding([.character("o")], .openWeb, "open the web URL (or show it)", section: "Details", hint: "open"),
        KeyBinding(
            [.character("p")], .showCopied, "show the last copied URL plainly, on one line", section: "Details",
            hint: "plain"),
        KeyBinding([.character("?"), .function(1)], .help, "this help", section: "Details", hint: "help"),
    ]

    public static let filter: [KeyBinding] = [
        KeyBinding(
            [.enter], .acceptFilter, "keep the filter, back to the list", section: "Filter", hint: "keep filter"),
        KeyBinding([.escape], .clearFilter, "clear the filter", section: "Filter", hint: "clear"),
        KeyBinding(
            [.up], .olderFilter, "an earlier filter (kept with Enter)", section: "Filter", hint: "history",
            hintKeys: "↑↓"),
        KeyBinding([.down], .newerFilter, "a later filter, back to what was typed", section: "Filter"),
        KeyBinding([.pageUp], .pageUp, "page up in the list", section: "Filter"),
        KeyBinding([.pageDown], .pageDown, "page down in the list", section: "Filter"),
        KeyBinding([.ctrl("u")], .editText, "delete to the start", section: "Filter"),
        editing,
    ]

    public static let login: [KeyBinding] = [
        KeyBinding(
            [.character("y")], .copyLoginURL, "copy the URL (OSC 52, works over SSH)", section: "Login", hint: "copy",
            legend: "copy"),
        KeyBinding(
            [.character("p")], .showLoginURL, "show the URL plainly, on one line", section: "Login", hint: "show",
            legend: "show on one line"),
        KeyBinding(
            [.character("o")], .openLoginURL, "open the URL in a local browser", section: "Login", hint: "open",
            legend: "open here"),
        KeyBinding(
            [.character("w")], .writeLoginURL, "write the URL to a private file", section: "Login", hint: "file",
            legend: "write to a file"),
        KeyBinding(
            [.character("d")], .approveDemo, "approve as the demo user (bbtui demo only: no browser needed)",
            section: "Login", hint: "approve", isDemoOnly: true),
        KeyBinding(
            [.character("i"), .tab], .focusField, "type in the code field (pasting works anywhere)", section: "Login",
            hint: "type"),
        KeyBinding(
            [.character("t")], .useAPIToken, "use an Atlassian API token instead of OAuth (again: back)",
            section: "Login", hint: "API token"),
        KeyBinding([.enter], .submit, "submit the code or redirect URL", section: "Login"),
        KeyBinding([.escape], .back, "leave the field / cancel re-login", section: "Login"),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", section: "Terminal"),
        KeyBinding([.ctrl("z")], .suspend, "suspend (fg resumes)", section: "Terminal"),
        KeyBinding([.character("?"), .function(1)], .help, "this help", section: "Terminal", hint: "help"),
        KeyBinding([.character("q"), .character("Q"), .ctrl("c")], .quit, "quit", section: "Terminal", hint: "quit"),
    ]

    public static let loginField: [KeyBinding] = [
        KeyBinding([.enter], .submit, "submit the code or redirect URL", section: "Code field", hint: "submit"),
        KeyBinding([.escape], .back, "leave the field", section: "Code field", hint: "leave field"),
        KeyBinding([.ctrl("u")], .editText, "delete to the start", section: "Code field", hint: "clear"),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", section: "Code field"),
        editing,
    ]

    public static let setup: [KeyBinding] = [
        KeyBinding(
            [.character("y")], .copyLoginURL, "copy the URL shown (the callback URL, or where API tokens are made)",
            section: "Setup", hint: "copy URL"),
        KeyBinding(
            [.character("p")], .showLoginURL, "show that URL plainly, on one line", section: "Setup", hint: "show URL"),
        KeyBinding(
            [.character("i"), .tab, .enter], .focusField, "type in the fields (pasting works anywhere)",
            section: "Setup", hint: "type"),
        KeyBinding(
            [.character("t")], .useAPIToken, "use an Atlassian API token instead of OAuth (again: back)",
            section: "Setup", hint: "API token"),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", section: "Terminal"),
        KeyBinding([.ctrl("z")], .suspend, "suspend (fg resumes)", section: "Terminal"),
        KeyBinding([.character("?"), .function(1)], .help, "this help", section: "Terminal", hint: "help"),
        KeyBinding([.character("q"), .character("Q"), .ctrl("c")], .quit, "quit", section: "Terminal", hint: "quit"),
    ]

    public static let setupField: [KeyBinding] = [
        KeyBinding(
            [.enter], .submit, "the next field; on the Secret, check both with Bitbucket and save them",
            section: "Key and Secret", hint: "next / check"),
        KeyBinding(
            [.tab, .up, .down], .switchField, "the other field", section: "Key and Secret", hint: "other field"),
        KeyBinding([.escape], .back, "leave the fields", section: "Key and Secret", hint: "leave"),
        KeyBinding([.ctrl("u")], .editText, "delete to the start", section: "Key and Secret"),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", section: "Key and Secret"),
        editing,
    ]

    public static let help: [KeyBinding] = [
        KeyBinding(
            [.escape, .character("q"), .character("?"), .function(1), .enter], .back, "close the help", section: "Help",
            hint: "close"),
        KeyBinding([.character("j"), .down], .down, "scroll down", section: "Help"),
        KeyBinding([.character("k"), .up], .up, "scroll up", section: "Help"),
        KeyBinding([.pageDown, .ctrl("f")], .pageDown, "page down", section: "Help"),
        KeyBinding([.pageUp, .ctrl("b")], .pageUp, "page up", section: "Help"),
        KeyBinding([.character("g"), .home], .top, "top", section: "Help"),
        KeyBinding([.character("G"), .end], .bottom, "end", section: "Help"),
        KeyBinding([.character("Q")], .quit, "quit bbtui", section: "Help"),
    ]

    public static let confirmLogout: [KeyBinding] = [
        KeyBinding(
            [.character("y"), .character("Y"), .enter], .confirm, "log out", section: "Log out?", hint: "Log out"),
        KeyBinding(
            [.character("n"), .character("N"), .escape, .character("q")], .back, "cancel", section: "Log out?",
            hint: "Cancel"),
        KeyBinding([.character("Q")], .quit, "quit bbtui", section: "Log out?"),
    ]

    public static let accounts: [KeyBinding] = [
        KeyBinding([.character("j"), .down], .down, "next account", section: "Accounts"),
        KeyBinding([.character("k"), .up], .up, "previous account", section: "Accounts"),
        KeyBinding([.enter], .open, "switch to the selected account", section: "Accounts", hint: "switch"),
        KeyBinding([.character("n")], .addAccount, "add an account (log in)", section: "Accounts", hint: "add"),
        KeyBinding([.character("d")], .logout, "log out of the selected account", section: "Accounts", hint: "log out"),
        KeyBinding([.escape, .character("q"), .character("a")], .back, "close", section: "Accounts", hint: "close"),
        KeyBinding([.character("Q")], .quit, "quit bbtui", section: "Accounts"),
    ]

    public static let cloneLog: [KeyBinding] = [
        KeyBinding(
            [.escape, .character("q"), .character("C")], .back, "close the log (clones go on)", section: "Clone log",
            hint: "close"),
        KeyBinding(
            [.character("x")], .cancelClones, "stop every clone still running", section: "Clone log", hint: "stop all"),
        KeyBinding([.character("j"), .down], .down, "scroll down", section: "Clone log"),
        KeyBinding([.character("k"), .up], .up, "scroll up", section: "Clone log"),
        KeyBinding([.character("Q")], .quit, "quit bbtui (stops the clones)", section: "Clone log"),
    ]

    public static let relogin: [KeyBinding] = [
        KeyBinding([.enter, .character("l")], .submit, "log in again", section: "Session ended", hint: "Log in again"),
        KeyBinding([.character("q"), .character("Q")], .quit, "quit", section: "Session ended", hint: "Quit"),
    ]

    /// bbtui's own bindings for a context (the details view's without the browser's).
    static func defaultTable(_ context: KeyContext) -> [KeyBinding] {
        switch context {
        case .browser: return browser
        case .detail: return detail
        case .filter: return filter
        case .login: return login
        case .loginField: return loginField
        case .setup: return setup
        case .setupField: return setupField
        case .help: return help
        case .confirmLogout: return confirmLogout
        case .accounts: return accounts
        case .relogin: return relogin
        case .cloneLog: return cloneLog
        }
    }

    /// A context's bindings, first match wins (the details view falls back to the browser's).
    public func table(_ context: KeyContext) -> [KeyBinding] {
        context == .detail ? ownTable(.detail) + ownTable(.browser) : ownTable(context)
    }

    /// The command bound to `key` in a context (and pane), if any; demo-only keys only in the demo.
    public func command(
        for key: Key, in context: KeyContext, pane: Pane? = nil, isDemo: Bool = false
    ) -> Command? {
        table(context).first { $0.keys.contains(key) && $0.applies(to: pane) && (isDemo || !$0.isDemoOnly) }?.command
    }

    /// The footer's hints for a context: only keys that do something there.
    public func hints(_ context: KeyContext, pane: Pane? = nil, isDemo: Bool = false) -> [KeyHint] {
        return ownTable(context).filter { $0.hint != nil && $0.applies(to: pane) && (isDemo || !$0.isDemoOnly) }.map {
            KeyHint(
                $0.hintKeys ?? $0.keys[0].description, $0.hint ?? "",
                isPinned: $0.command == .help || $0.command == .quit)
        }
    }

    /// The sidebar legend: key and label, in table order.
    public func legend(_ context: KeyContext) -> [(keys: String, label: String)] {
        table(context).compactMap { binding in binding.legend.map { (binding.keys[0].description, $0) } }
    }

    /// The first key bound to `command` in a context, as written in help (`q`, `Esc`).
    public func key(for command: Command, in context: KeyContext) -> String {
        table(context).first { $0.command == command }.map { $0.keys[0].description }
            ?? "(no key: \(command.configName))"
    }

    /// What to use where no browser can be opened, in the keys of the screen the person is on.
    public func insteadOfOpening(onLogin: Bool) -> String {
        if onLogin {
            return "Use \(key(for: .copyLoginURL, in: .login)) (copy), \(key(for: .showLoginURL, in: .login)) "
                + "(show plainly) or \(key(for: .writeLoginURL, in: .login)) (write to a file) instead."
        }
        return "Use \(key(for: .copyWebURL, in: .browser)) to copy the URL instead; "
            + "\(key(for: .showCopied, in: .browser)) then shows it plainly."
    }

    /// A dialog's buttons, from its context's hinted bindings: `y: Log out`.
    public func buttons(_ context: KeyContext) -> [String] {
        table(context).compactMap { binding in binding.hint.map { binding.keys[0].description + ": " + $0 } }
    }

    /// The help overlay's sections for the screen under it, in table order, each binding once.
    /// `hasJobControl` false leaves out the suspend key, which does nothing there.
    public func helpSections(_ contexts: [KeyContext], hasJobControl: Bool = true) -> [HelpSection] {
        var sections: [HelpSection] = []
        for context in contexts {
            for binding in ownTable(context) {
                if binding.command == .suspend, !hasJobControl { continue }
                let entry = HelpEntry(keys: binding.keys.map(\.description), summary: binding.summary)
                if let index = sections.firstIndex(where: { $0.title == binding.section }) {
                    sections[index].entries.append(entry)
                } else {
                    sections.append(HelpSection(title: binding.section, entries: [entry]))
                }
            }
        }
        return sections
    }
}
