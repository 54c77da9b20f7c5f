import BitbucketKit
import TerminalUI

extension Command {
    /// The name the config file's `[keys]` uses: the command's own, in snake case.
    public var configName: String {
        switch self {
        case .quit: return "quit"
        case .help: return "help"
        case .redraw: return "redraw"
        case .suspend: return "suspend"
        case .up: return "up"
        case .down: return "down"
        case .top: return "top"
        case .bottom: return "bottom"
        case .pageUp: return "page_up"
        case .pageDown: return "page_down"
        case .halfPageDown: return "half_page_down"
        case .halfPageUp: return "half_page_up"
        case .nextPane: return "next_pane"
        case .previousPane: return "previous_pane"
        case .pane(.profile): return "pane_profile"
        case .pane(.emails): return "pane_emails"
        case .pane(.repositories): return "pane_repositories"
        case .pane(.workspaces): return "pane_workspaces"
        case .pane(.sshKeys): return "pane_ssh_keys"
        case .open: return "open"
        case .back: return "back"
        case .filter: return "filter"
        case .cycleSort: return "cycle_sort"
        case .reverseSort: return "reverse_sort"
        case .cycleWorkspace: return "cycle_workspace"
        case .refreshPane: return "refresh_pane"
        case .refreshAll: return "refresh_all"
        case .accounts: return "accounts"
        case .logout: return "logout"
        case .toggleMouse: return "toggle_mouse"
        case .copySSH: return "copy_ssh"
        case .copyHTTPS: return "copy_https"
        case .copyWebURL: return "copy_web_url"
        case .openWeb: return "open_web"
        case .copyLocalKey: return "copy_local_key"
        case .showLocalKey: return "show_local_key"
        case .copyLoginURL: return "copy_login_url"
        case .showLoginURL: return "show_login_url"
        case .openLoginURL: return "open_login_url"
        case .writeLoginURL: return "write_login_url"
        case .focusField: return "focus_field"
        case .submit: return "submit"
        case .switchField: return "switch_field"
        case .useAPIToken: return "use_api_token"
        case .acceptFilter: return "accept_filter"
        case .clearFilter: return "clear_filter"
        case .editText: return "edit_text"
        case .olderFilter: return "older_filter"
        case .newerFilter: return "newer_filter"
        case .confirm: return "confirm"
        case .addAccount: return "add_account"
        case .showCopied: return "show_copied"
        case .showError: return "show_error"
        case .approveDemo: return "approve_demo"
        case .toggleMark: return "toggle_mark"
        case .clone: return "clone"
        case .cloneLog: return "clone_log"
        case .cancelClones: return "cancel_clones"
        case .custom(let index): return "command \(index + 1)"
        }
    }
}

extension KeyContext {
    /// The name the config file's `[keys.NAME]` uses.
    public var configName: String {
        switch self {
        case .browser: return "browser"
        case .detail: return "details"
        case .filter: return "filter"
        case .login: return "login"
        case .loginField: return "login_field"
        case .setup: return "setup"
        case .setupField: return "setup_field"
        case .help: return "help"
        case .confirmLogout: return "confirm_logout"
        case .accounts: return "accounts"
        case .relogin: return "relogin"
        case .cloneLog: return "clone_log"
        }
    }

    /// How a sentence names it.
    var prose: String {
        switch self {
        case .browser: return "the browser"
        case .detail: return "the details view"
        case .filter: return "the filter field"
        case .login: return "the login screen"
        case .loginField: return "the login code field"
        case .setup: return "the setup screen"
        case .setupField: return "the setup fields"
        case .help: return "the help"
        case .confirmLogout: return "the log-out question"
        case .accounts: return "the accounts list"
        case .relogin: return "the session-ended dialog"
        case .cloneLog: return "the clone log"
        }
    }

    /// A text field: a printable key there types itself.
    var isTextField: Bool { self == .filter || self == .loginField || self == .setupField }
}

extension Pane {
    /// The name the config file's `[keys.NAME]` uses for the browser's keys in one pane.
    var configName: String {
        switch self {
        case .profile: return "profile"
        case .emails: return "emails"
        case .repositories: return "repositories"
        case .workspaces: return "workspaces"
        case .sshKeys: return "ssh_keys"
        }
    }
}

extension Keymap {
    /// The key names the config file can rebind, in the help's order, each once.
    public static let commandNames: [String] = {
        var names: [String] = []
        for context in KeyContext.allCases {
            for binding in defaultTable(context) where binding.command != .editText {
                if !names.contains(binding.command.configName) { names.append(binding.command.configName) }
            }
        }
        return names
    }()

    /// The `[keys.NAME]` tables there are: the contexts, then the browser's panes.
    public static let contextNames = KeyContext.allCases.map(\.configName) + Pane.allCases.map(\.configName)

    /// bbtui's keys changed by the config file's `[keys]` and `[[commands]]`. A command, context
    /// or key name bbtui does not know, two commands on one key where both would work, a
    /// printable key in a text field: an error naming the line. A command left with no key: a
    /// warning (`warnings`).
    public init(entries: [KeyEntry], commands: [CustomCommand], path: String) throws(ConfigurationError) {
        self = .standard
        var lines: [KeyContext: [Int: Int]] = [:] // context → binding index → the line that set it
        // `[keys]` first, then `[keys.CONTEXT]` (the narrower wins); in each, unbind before bind.
        let ordered =
            entries.filter { $0.context == nil && $0.command == "unbind" }
            + entries.filter { $0.context == nil && $0.command != "unbind" }
            + entries.filter { $0.context != nil && $0.command == "unbind" }
            + entries.filter { $0.context != nil && $0.command != "unbind" }
        for entry in ordered {
            try apply(entry, path: path, lines: &lines)
        }
        for (index, command) in commands.enumerated() {
            try add(command, index: index, path: path, lines: &lines)
        }
        self.commands = commands
        try checkConflicts(path: path, lines: lines)
        // A binding left with no key is dropped (its help line would name nothing); a command
        // left with none at all in a context where it had one is said.
        var unbound: [(line: Int, name: String, places: [String])] = []
        for context in KeyContext.allCases {
            let table = ownTable(context)
            for (index, binding) in table.enumerated() where binding.keys.isEmpty {
                let name = binding.command.configName
                let line = lines[context]?[index] ?? 0
                guard !table.contains(where: { $0.command == binding.command && !$0.keys.isEmpty }) else { continue }
                if let at = unbound.firstIndex(where: { $0.line == line && $0.name == name }) {
                    if !unbound[at].places.contains(context.prose) { unbound[at].places.append(context.prose) }
                } else {
                    unbound.append((line, name, [context.prose]))
                }
            }
            own[context.index] = table.filter { !$0.keys.isEmpty }
        }
        warnings = unbound.sorted { $0.line < $1.line }.map { entry in
            let places =
                entry.places.count == 1
                ? entry.places[0] : entry.places.dropLast().joined(separator: ", ") + " and " + entry.places.last!
            return "\(path):\(entry.line): \(entry.name) has no key left in \(places)"
        }
    }

    /// The keymap the settings describe (bbtui's own when the file has no `[keys]` or commands).
    public init(settings: Settings) throws(ConfigurationError) {
        if settings.keyEntries.isEmpty && settings.commands.isEmpty {
            self = .standard
            return
        }
        try self.init(entries: settings.keyEntries, commands: settings.commands, path: settings.paths.configFile)
    }

    private static func keys(_ names: [String], path: String, line: Int) throws(ConfigurationError) -> [Key] {
        var keys: [Key] = []
        for name in names {
            do {
                let key = try Key(name: name)
                if !keys.contains(key) { keys.append(key) }
            } catch {
                throw .fileEntry(path, line: line, Sanitizer.sanitize(error.description))
            }
        }
        return keys
    }

    private mutating func apply(
        _ entry: KeyEntry, path: String, lines: inout [KeyContext: [Int: Int]]
    ) throws(ConfigurationError) {
        // Which tables, and in the browser which panes.
        var contexts = KeyContext.allCases
        var pane: Pane?
        if let name = entry.context {
            if let context = KeyContext.allCases.first(where: { $0.configName == name }) {
                contexts = [context]
            } else if let named = Pane.allCases.first(where: { $0.configName == name }) {
                contexts = [.browser]
                pane = named
            } else {
                throw .fileEntry(
                    path, line: entry.line,
                    "[keys.\(Sanitizer.sanitize(name))] is not a context"
                        + Self.suggestion(
                            name, among: Self.contextNames,
                            otherwise: ". They are: " + Self.contextNames.joined(separator: ", ")))
            }
        }
        let keys = try Self.keys(entry.keys, path: path, line: entry.line)
        if entry.command == "unbind" {
            for context in contexts {
                var table = ownTable(context)
                // The text fields' editing keys are the fields' own: listed in the help, not bound.
                for index in table.indices
                where table[index].applies(to: pane) && table[index].command != .editText
                    && table[index].keys.contains(where: keys.contains)
                {
                    let at = Self.split(&table, at: index, for: pane)
                    table[at].keys.removeAll(where: keys.contains)
                    table[at].hintKeys = nil
                    lines[context, default: [:]][at] = entry.line
                }
                own[context.index] = table
            }
            return
        }
        guard entry.command != Command.editText.configName else {
            throw .fileEntry(
                path, line: entry.line,
                "edit_text is the text fields' own editing keys (←, →, Ctrl-A, Ctrl-E, Ctrl-K, Ctrl-W): they are fixed")
        }
        guard Self.commandNames.contains(entry.command) else {
            throw .fileEntry(
                path, line: entry.line,
                "\(Sanitizer.sanitize(entry.command)) is not a command bbtui has"
                    + Self.suggestion(
                        entry.command, among: Self.commandNames, otherwise: " (the README's Keys section lists them)"))
        }
        var found = false
        for context in contexts {
            var table = ownTable(context)
            for index in table.indices
            where table[index].command.configName == entry.command && table[index].applies(to: pane) {
                found = true
                let at = Self.split(&table, at: index, for: pane)
                table[at].keys = keys
                table[at].hintKeys = nil
                lines[context, default: [:]][at] = entry.line
            }
            own[context.index] = table
        }
        if !found, let context = entry.context {
            let place = pane.map { "the \($0.configName) pane" } ?? contexts[0].prose
            throw .fileEntry(
                path, line: entry.line,
                "\(entry.command) does nothing in \(place), so [keys.\(context)] cannot bind it")
        }
    }

    /// The binding at `index` as `[keys.PANE]` changes it: itself, or, when it serves other panes
    /// too, a copy split off for that pane alone (the original keeps the others). Its index.
    private static func split(_ table: inout [KeyBinding], at index: Int, for pane: Pane?) -> Int {
        guard let pane, table[index].panes != [pane] else { return index }
        var narrowed = table[index]
        narrowed.panes = [pane]
        table[index].panes = (table[index].panes ?? Set(Pane.allCases)).subtracting([pane])
        table.append(narrowed)
        return table.count - 1
    }

    private mutating func add(
        _ command: CustomCommand, index: Int, path: String, lines: inout [KeyContext: [Int: Int]]
    ) throws(ConfigurationError) {
        guard let key = try Self.keys([command.key], path: path, line: command.line).first else { return }
        let binding = KeyBinding(
            [key], .custom(index),
            Sanitizer.sanitize(command.title) + (command.background ? " (in the background)" : ""),
            section: "Your commands", hint: Sanitizer.sanitize(command.title),
            panes: command.context == "browser" ? nil : [.repositories])
        // The details view falls back to the browser's keys, so a command of the list works
        // there too, unless one of the details' own keys would hide it.
        let context: KeyContext = command.context == "details" ? .detail : .browser
        if context == .browser, let shadow = ownTable(.detail).first(where: { $0.keys.contains(key) }) {
            throw .fileEntry(
                path, line: command.line,
                "\(key) is both \(shadow.command.configName) in the details view and command \(index + 1); "
                    + "give one of them another key, or unbind = [\"\(key)\"] first")
        }
        own[context.index].append(binding)
        lines[context, default: [:]][ownTable(context).count - 1] = command.line
    }

    /// Two commands on one key where both would work (the same table, a pane in common).
    private func checkConflicts(path: String, lines: [KeyContext: [Int: Int]]) throws(ConfigurationError) {
        for context in KeyContext.allCases {
            let table = ownTable(context)
            for (index, binding) in table.enumerated() {
                if context.isTextField, lines[context]?[index] != nil,
                    let printable = binding.keys.first(where: { if case .character = $0 { true } else { false } })
                {
                    throw .fileEntry(
                        path, line: lines[context]?[index] ?? 0,
                        "\(printable) types itself in \(context.prose): bind a Ctrl-, Alt- or named key there")
                }
                for other in table[..<index] where other.command != binding.command {
                    let panes = (binding.panes ?? Set(Pane.allCases)).intersection(other.panes ?? Set(Pane.allCases))
                    guard !panes.isEmpty, let key = binding.keys.first(where: other.keys.contains) else { continue }
                    let otherIndex = table.firstIndex(of: other) ?? 0
                    let line = max(lines[context]?[index] ?? 0, lines[context]?[otherIndex] ?? 0)
                    let whereText =
                        context == .browser && panes.count < Pane.allCases.count
                        ? "the " + panes.sorted { $0.rawValue < $1.rawValue }.map(\.configName).joined(separator: ", ")
                            + " pane" + (panes.count == 1 ? "" : "s")
                        : context.prose
                    throw .fileEntry(
                        path, line: line,
                        "\(key) is both \(other.command.configName) and \(binding.command.configName) in \(whereText); "
                            + "give one of them another key, or unbind = [\"\(key)\"] first")
                }
            }
        }
    }

    /// The nearest name (or the one `name` begins), else `otherwise`.
    private static func suggestion(_ name: String, among names: [String], otherwise: String) -> String {
        let lower = name.lowercased()
        let best =
            EditDistance.nearest(to: name, among: names)
            ?? (lower.count >= 3 ? names.first { $0.hasPrefix(lower) } : nil)
        return best.map { ". Did you mean \($0)?" } ?? otherwise
    }
}
