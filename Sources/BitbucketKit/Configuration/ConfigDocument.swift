import Foundation
import TOMLKit

/// The config file read as TOML (by TOMLKit, which wraps toml++): today's `KEY = "value"` lines
/// are TOML, so every file written before keeps working. Nothing is ignored silently: a syntax
/// error names its line, column and what was expected, an unknown setting its line and the
/// nearest known name, a value of the wrong kind what it takes.
public enum ConfigDocument {
    /// What the file holds: settings, key bindings, custom commands.
    public struct Contents: Sendable {
        /// The settings, as strings; numbers are read as written.
        public var settings: [(String, String)] = []
        /// `[keys]` and `[keys.CONTEXT]`, in the file's order.
        public var keys: [KeyEntry] = []
        /// `[[commands]]`, in the file's order.
        public var commands: [CustomCommand] = []
    }

    /// The settings in `text` (the file at `path`), as strings; numbers are read as written.
    public static func settings(
        _ text: String, path: String, known: [String]
    ) throws(ConfigurationError) -> [(String, String)] {
        try read(text, path: path, known: known).settings
    }

    /// Everything in `text` (the file at `path`), its shape checked.
    public static func read(_ text: String, path: String, known: [String]) throws(ConfigurationError) -> Contents {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let line = Int(error.source.begin.line)
            throw .syntax(
                path, line: line, column: Int(error.source.begin.column),
                error.description + Self.hint(forLine: line, in: text, known: known))
        } catch {
            throw .syntax(path, line: 0, column: 0, "\(error)")
        }
        var contents = Contents()
        // In the file's order, so the first of two mistakes is the one reported.
        for (line, key) in table.keys.map({ (Self.line(of: $0, in: text), $0) }).sorted(by: { $0.0 < $1.0 }) {
            if key == "keys" {
                guard let keys = table[key]?.table else {
                    throw .wrongKind(path, line: line, key, "a table: [keys], then one command = \"key\" per line")
                }
                contents.keys = try keyEntries(keys, path: path, text: text)
                continue
            }
            if key == "commands" {
                guard let entries = table[key]?.array, entries.allSatisfy({ $0.table != nil }) else {
                    throw .wrongKind(path, line: line, key, "one [[commands]] table per command")
                }
                contents.commands = try commands(entries.compactMap(\.table), path: path, text: text)
                continue
            }
            guard known.contains(key) else {
                throw .unknownSetting(path, line: line, key, nearest: EditDistance.nearest(to: key, among: known))
            }
            guard let value = table[key] else { continue }
            if let string = value.string {
                contents.settings.append((key, string))
            } else if let number = value.int {
                contents.settings.append((key, String(number)))
            } else if let number = value.double {
                contents.settings.append((key, String(number)))
            } else {
                throw .wrongKind(path, line: line, key, "a string (\"…\") or a number, not \(Self.kind(value.type))")
            }
        }
        return contents
    }

    /// `[keys]` and its `[keys.CONTEXT]` tables: each command's keys, a string or a list.
    static func keyEntries(_ keys: TOMLTable, path: String, text: String) throws(ConfigurationError) -> [KeyEntry] {
        var entries: [KeyEntry] = []
        func read(_ table: TOMLTable, context: String?) throws(ConfigurationError) {
            let header = context.map { "keys." + $0 } ?? "keys"
            for name in table.keys {
                let line = Self.line(of: name, inTable: header, in: text)
                guard let value = table[name] else { continue }
                if let nested = value.table {
                    guard context == nil else {
                        let nestedLine = Self.line(ofArrayTable: "\(header).\(name)", occurrence: 0, in: text)
                        throw .fileEntry(
                            path, line: nestedLine == 0 ? line : nestedLine,
                            "[keys.\(context!).\(name)]: a context's keys are not nested")
                    }
                    try read(nested, context: name)
                } else if let key = value.string {
                    entries.append(KeyEntry(context: context, command: name, keys: [key], line: line))
                } else if let list = value.array, list.allSatisfy({ $0.string != nil }) {
                    entries.append(
                        KeyEntry(context: context, command: name, keys: list.compactMap(\.string), line: line))
                } else {
                    throw .wrongKind(
                        path, line: line, name, "a key (\"j\") or a list of keys ([\"j\", \"Down\"], [] for none)")
                }
            }
        }
        try read(keys, context: nil)
        return entries.sorted { $0.line < $1.line }
    }

    /// The `[[commands]]` entries, each checked: its fields, a program, known placeholders.
    static func commands(
        _ tables: [TOMLTable], path: String, text: String
    ) throws(ConfigurationError) -> [CustomCommand] {
        var commands: [CustomCommand] = []
        for (index, table) in tables.enumerated() {
            let header = Self.line(ofArrayTable: "commands", occurrence: index, in: text)
            func line(_ field: String) -> Int {
                let found = Self.line(of: field, inTable: "commands", occurrence: index, in: text)
                return found == 0 ? header : found
            }
            for field in table.keys where !CustomCommand.fields.contains(field) {
                let nearest = EditDistance.nearest(to: field, among: CustomCommand.fields)
                throw .fileEntry(
                    path, line: line(field),
                    "[[commands]] has no field \(field)"
                        + (nearest.map { ". Did you mean \($0)?" }
                            ?? ". It takes " + CustomCommand.fields.joined(separator: ", ") + "."))
            }
            func string(_ field: String, required: Bool) throws(ConfigurationError) -> String? {
                guard let value = table[field] else {
                    if required { throw .fileEntry(path, line: header, "[[commands]] needs \(field) = \"…\"") }
                    return nil
                }
                guard let string = value.string else {
                    throw .wrongKind(path, line: line(field), field, "a string (\"…\"), not \(Self.kind(value.type))")
                }
                return string
            }
            let key = try string("key", required: true) ?? ""
            let title = try string("title", required: false) ?? ""
            let context = try string("context", required: false) ?? "repositories"
            guard CustomCommand.contexts.contains(context) else {
                throw .fileEntry(
                    path, line: line("context"),
                    "context \"\(context)\" is not one of " + CustomCommand.contexts.joined(separator: ", "))
            }
            var background = false
            if let value = table["background"] {
                guard let flag = value.bool else {
                    throw .wrongKind(path, line: line("background"), "background", "true or false")
                }
                background = flag
            }
            guard let runValue = table["run"] else {
                throw .fileEntry(
                    path, line: header, "[[commands]] needs run = [\"program\", \"argument\", …] (no shell reads it)")
            }
            guard let list = runValue.array, list.allSatisfy({ $0.string != nil }) else {
                throw .wrongKind(
                    path, line: line("run"), "run",
                    "a list of strings, the program and its arguments (for a shell: [\"sh\", \"-c\", \"…\", \"_\", \"{slug}\"])"
                )
            }
            let run = list.compactMap(\.string)
            if let problem = CustomCommand.problem(in: run) { throw .fileEntry(path, line: line("run"), problem) }
            commands.append(
                CustomCommand(
                    key: key, title: title.isEmpty ? run[0] : title, run: run, context: context,
                    background: background, line: header))
        }
        return commands
    }

    /// What to do about the most common mistake: a value written bare, as the reader before TOML
    /// took it (`BBTUI_API_URL = https://…`).
    static func hint(forLine number: Int, in text: String, known: [String]) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard number >= 1, number <= lines.count else { return "" }
        let line = lines[number - 1]
        guard let equals = line.firstIndex(of: "=") else { return "" }
        let key = line[..<equals].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard known.contains(key), !value.isEmpty, !"\"'[{".contains(value.first!) else { return "" }
        return " (write the value in quotes: \(key) = \"\(value)\")"
    }

    /// The line (from 1) where `key` is set or its table starts, or 0 when it cannot be found.
    static func line(of key: String, in text: String) -> Int {
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.drop { $0 == " " || $0 == "\t" }
            while line.first == "[" { line = line.dropFirst().drop { $0 == " " } }
            if starts(line, with: key, before: "=].") { return index + 1 }
        }
        return 0
    }

    /// The line (from 1) where `key` is set inside `[table]` (the `occurrence`th `[[table]]`),
    /// else the table's own line, else where `key` is first set at all, else 0.
    static func line(of key: String, inTable table: String, occurrence: Int = 0, in text: String) -> Int {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = line(ofArrayTable: table, occurrence: occurrence, in: text)
        guard start > 0 else { return line(of: key, in: text) }
        for index in start..<lines.count {
            let line = lines[index].drop { $0 == " " || $0 == "\t" }
            if line.first == "[" { break }
            if starts(line, with: key, before: "=") { return index + 1 }
        }
        return start
    }

    /// Whether `line` begins with `key` (bare or quoted), then blanks, then one of `followers`.
    private static func starts(_ line: Substring, with key: String, before followers: String) -> Bool {
        [key, "\"\(key)\"", "'\(key)'"].contains { form in
            guard line.hasPrefix(form) else { return false }
            let next = line.dropFirst(form.count).first { $0 != " " && $0 != "\t" }
            return next.map(followers.contains) ?? false
        }
    }

    /// The line (from 1) of the `occurrence`th `[table]` or `[[table]]` header, or 0.
    static func line(ofArrayTable table: String, occurrence: Int, in text: String) -> Int {
        var seen = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.filter { $0 != " " && $0 != "\t" && $0 != "\"" && $0 != "'" }
            guard line.hasPrefix("[[\(table)]]") || line.hasPrefix("[\(table)]") else { continue }
            if seen == occurrence { return index + 1 }
            seen += 1
        }
        return 0
    }

    /// A TOML type with its article: "an integer", "a boolean".
    static func kind(_ type: TOMLType) -> String {
        let name = "\(type)"
        return ("aeiou".contains(name.first ?? "x") ? "an " : "a ") + name
    }
}
