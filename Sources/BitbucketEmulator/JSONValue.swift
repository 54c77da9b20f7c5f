/// A JSON document the emulator builds and serialises itself, so responses are byte-for-byte
/// deterministic (keys keep their insertion order) and `fields=` projections are simple.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// An object with ordered keys.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A string, or null when nil.
    static func optional(_ value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    /// `{"href": url}`, the shape of every Bitbucket link.
    static func link(_ url: String) -> JSONValue {
        .object([("href", .string(url))])
    }

    // MARK: - Serialising

    /// Compact JSON text.
    public var serialized: String {
        var out = ""
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += String(d)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += ", " }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += ", " }
                JSONValue.writeString(member.0, into: &out)
                out += ": "
                member.1.write(into: &out)
            }
            out += "}"
        }
    }

    private static let hex = Array("0123456789abcdef")

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _
            where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += "\\u00"
                if scalar.value > 0xFF {
                    out.removeLast(2)
                    out += String(scalar.value, radix: 16)
                } else {
                    out.append(hex[Int(scalar.value >> 4)])
                    out.append(hex[Int(scalar.value & 0xF)])
                }
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    // MARK: - Field selection

    /// Applies a Bitbucket `fields=` selection: a comma-separated list of dotted paths, `*` for
    /// every member at a level. Paths starting with `+` add to the default (everything), `-`
    /// remove from it.
    func selecting(fields: String) -> JSONValue {
        let paths = fields.split(separator: ",").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
        let explicit = paths.filter { !$0.hasPrefix("+") && !$0.hasPrefix("-") }
        var result = explicit.isEmpty ? self : project(explicit.map { $0.split(separator: ".").map(String.init) })
        for path in paths where path.hasPrefix("-") {
            result = result.removing(path.dropFirst().split(separator: ".").map(String.init))
        }
        return result
    }

    private func project(_ paths: [[String]]) -> JSONValue {
        if paths.contains(where: { $0.isEmpty || $0 == ["*"] }) { return self }
        switch self {
        case .array(let items):
            return .array(items.map { $0.project(paths) })
        case .object(let members):
            var kept: [(String, JSONValue)] = []
            for (key, value) in members {
                let sub = paths.filter { $0.first == key || $0.first == "*" }.map { Array($0.dropFirst()) }
                if !sub.isEmpty { kept.append((key, value.project(sub))) }
            }
            return .object(kept)
        default:
            return self
        }
    }

    private func removing(_ path: [String]) -> JSONValue {
        guard let head = path.first else { return self }
        switch self {
        case .array(let items):
            return .array(items.map { $0.removing(path) })
        case .object(let members):
            if path.count == 1 { return .object(members.filter { $0.0 != head }) }
            return .object(members.map { $0.0 == head ? ($0.0, $0.1.removing(Array(path.dropFirst()))) : $0 })
        default:
            return self
        }
    }
}

extension StringProtocol {
    /// The string without leading and trailing characters from `set`.
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
