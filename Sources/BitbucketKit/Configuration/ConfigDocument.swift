import Foundation
import TOMLKit

/// The config file read as TOML (by TOMLKit, which wraps toml++): today's `KEY = "value"` lines
/// are TOML, so every file written before keeps working. Nothing is ignored silently: a syntax
/// error names its line, column and what was expected, an unknown setting its line and the
/// nearest known name, a value of the wrong kind what it takes.
public enum ConfigDocument {
    /// The settings in `text` (the file at `path`), as strings; numbers are read as written.
    public static func settings(
        _ text: String, path: String, known: [String]
    ) throws(ConfigurationError) -> [(String, String)] {
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
        var pairs: [(String, String)] = []
        // In the file's order, so the first of two mistakes is the one reported.
        for (line, key) in table.keys.map({ (Self.line(of: $0, in: text), $0) }).sorted(by: { $0.0 < $1.0 }) {
            guard known.contains(key) else {
                throw .unknownSetting(path, line: line, key, nearest: nearest(key, in: known))
            }
            guard let value = table[key] else { continue }
            if let string = value.string {
                pairs.append((key, string))
            } else if let number = value.int {
                pairs.append((key, String(number)))
            } else if let number = value.double {
                pairs.append((key, String(number)))
            } else {
                throw .wrongKind(path, line: line, key, "a string (\"…\") or a number, not a \(value.type)")
            }
        }
        return pairs
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
            for form in [key, "\"\(key)\"", "'\(key)'"] where line.hasPrefix(form) {
                let rest = line.dropFirst(form.count).drop { $0 == " " || $0 == "\t" }
                if rest.first == "=" || rest.first == "]" || rest.first == "." { return index + 1 }
            }
        }
        return 0
    }

    /// The known name closest to `key` (case aside), when it is close enough to be a typo.
    static func nearest(_ key: String, in known: [String]) -> String? {
        let upper = key.uppercased()
        guard let best = known.min(by: { distance(upper, $0) < distance(upper, $1) }) else { return nil }
        return distance(upper, best) <= max(2, best.count / 3) ? best : nil
    }

    /// Levenshtein distance (the nearest setting here, the nearest command in `bbtui`).
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
