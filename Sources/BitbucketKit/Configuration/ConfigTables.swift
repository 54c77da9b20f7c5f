import Foundation

/// One line of the config file's `[keys]` table (or `[keys.CONTEXT]`): a command name and the
/// keys it takes, as written. The app checks the names; this only reads the shape.
public struct KeyEntry: Sendable, Equatable {
    /// Nil for `[keys]` itself (every context the command is in), else the context's name.
    public var context: String?
    /// The command's name (`next_pane`), or `unbind`.
    public var command: String
    /// The keys as written; empty when the command is left with none (`quit = []`).
    public var keys: [String]
    /// The line it is on, from 1.
    public var line: Int

    public init(context: String?, command: String, keys: [String], line: Int) {
        self.context = context
        self.command = command
        self.keys = keys
        self.line = line
    }
}

/// One `[[commands]]` entry: a program the person runs on the selected repository.
public struct CustomCommand: Sendable, Equatable {
    /// The key, as written (the app reads it).
    public var key: String
    /// What the help and the footer call it.
    public var title: String
    /// The program and its arguments, placeholders unexpanded.
    public var run: [String]
    /// Where the key works: `repositories` (the list and the details), `details`, or `browser`.
    public var context: String
    /// True: it runs behind the full screen, its result in the status line. False: the full
    /// screen steps aside and the program has the terminal (as `p` does).
    public var background: Bool
    /// The line of its `[[commands]]` header, from 1.
    public var line: Int

    public init(key: String, title: String, run: [String], context: String, background: Bool, line: Int) {
        self.key = key
        self.title = title
        self.run = run
        self.context = context
        self.background = background
        self.line = line
    }

    /// The fields an entry takes.
    public static let fields = ["key", "title", "run", "context", "background"]
    /// The contexts a command can be bound in.
    public static let contexts = ["repositories", "details", "browser"]
    /// What each placeholder is replaced with.
    public static let placeholders: [(name: String, meaning: String)] = [
        ("full_name", "workspace/slug"), ("workspace", "the workspace's slug"), ("slug", "the repository's slug"),
        ("ssh_url", "the SSH clone URL"), ("https_url", "the HTTPS clone URL"), ("web_url", "the web page"),
        ("mainbranch", "the main branch"), ("project", "the project's key"),
        ("clone_dir", "where c clones it (clone_dir)"),
    ]

    /// A placeholder the program cannot be given.
    public enum ExpansionError: Error, Equatable, Sendable {
        /// The repository has no value for it (no project, an empty repository's main branch).
        case missing(String)
    }

    /// The arguments with each placeholder replaced by its value, whole: a value fills part of
    /// exactly one argument and is never split, quoted or read by a shell. `{{` and `}}` are
    /// braces. A placeholder whose value is nil throws.
    public func arguments(_ values: [String: String?]) throws(ExpansionError) -> [String] {
        var result: [String] = []
        for argument in run {
            var expanded = ""
            for piece in Self.pieces(argument) ?? [.text(argument)] {
                switch piece {
                case .text(let text): expanded += text
                case .placeholder(let name):
                    guard let value = values[name] ?? nil else { throw .missing(name) }
                    expanded += value
                }
            }
            result.append(expanded)
        }
        return result
    }

    /// The placeholders `run` uses, in order, each once.
    public var usedPlaceholders: [String] {
        var names: [String] = []
        for argument in run {
            for case .placeholder(let name) in Self.pieces(argument) ?? [] where !names.contains(name) {
                names.append(name)
            }
        }
        return names
    }

    enum Piece: Equatable {
        case text(String)
        case placeholder(String)
    }

    /// An argument split into text and `{name}`s; nil when a brace is unmatched.
    static func pieces(_ argument: String) -> [Piece]? {
        var pieces: [Piece] = []
        var text = ""
        var index = argument.startIndex
        while index < argument.endIndex {
            let character = argument[index]
            let next = argument.index(after: index)
            if character == "{" || character == "}", next < argument.endIndex, argument[next] == character {
                text.append(character)
                index = argument.index(after: next)
            } else if character == "{" {
                guard let close = argument[next...].firstIndex(of: "}") else { return nil }
                if !text.isEmpty { pieces.append(.text(text)) }
                text = ""
                pieces.append(.placeholder(String(argument[next..<close])))
                index = argument.index(after: close)
            } else if character == "}" {
                return nil
            } else {
                text.append(character)
                index = next
            }
        }
        if !text.isEmpty || pieces.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    /// What is wrong with `run`, or nil.
    static func problem(in run: [String]) -> String? {
        guard let program = run.first, !program.isEmpty else {
            return "run needs a program: run = [\"program\", \"argument\", …]"
        }
        let known = placeholders.map(\.name)
        for argument in run {
            guard let pieces = pieces(argument) else {
                return "\"\(argument)\" has an unmatched brace (write {{ or }} for a brace itself)"
            }
            for case .placeholder(let name) in pieces where !known.contains(name) {
                let hint = EditDistance.nearest(to: name, among: known).map { " Did you mean {\($0)}?" } ?? ""
                return "{\(name)} is not a placeholder.\(hint) They are: "
                    + known.map { "{\($0)}" }.joined(separator: ", ")
            }
        }
        return nil
    }
}
