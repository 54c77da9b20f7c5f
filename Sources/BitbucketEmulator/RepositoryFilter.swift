/// Bitbucket's `q=` filter language, the part that applies to repositories:
/// `name ~ "cli" AND (is_private = true OR language = "go")`.
///
/// Operators `=`, `!=`, `~` (contains, case-insensitive), `!~`, `>`, `>=`, `<`, `<=`; values are
/// quoted strings, numbers, `true`, `false` and `null`; `AND` binds tighter than `OR`.
struct RepositoryFilter {
    indirect enum Expression {
        case and(Expression, Expression)
        case or(Expression, Expression)
        case comparison(field: String, op: String, value: Value)
    }

    enum Value: Equatable {
        case string(String)
        case number(Int)
        case bool(Bool)
        case null
    }

    private let root: Expression
    static let fields: Set<String> = [
        "name", "slug", "full_name", "description", "language", "is_private", "size", "uuid", "created_on",
        "updated_on", "project.key", "mainbranch.name", "fork_policy",
    ]

    init(parsing text: String) throws(EmulatorQueryError) {
        var parser = Parser(tokens: try Parser.tokenize(text))
        root = try parser.parseOr()
        guard parser.isAtEnd else { throw EmulatorQueryError("unexpected '\(parser.peek ?? "")'") }
    }

    func matches(_ repository: EmulatedRepository, workspace: EmulatedWorkspace) -> Bool {
        evaluate(root, repository, workspace)
    }

    private func evaluate(
        _ expression: Expression, _ repository: EmulatedRepository, _ workspace: EmulatedWorkspace
    ) -> Bool {
        switch expression {
        case .and(let a, let b): return evaluate(a, repository, workspace) && evaluate(b, repository, workspace)
        case .or(let a, let b): return evaluate(a, repository, workspace) || evaluate(b, repository, workspace)
        case .comparison(let field, let op, let value):
            let actual = fieldValue(field, repository, workspace)
            return compare(actual, op, value)
        }
    }

    private func fieldValue(_ field: String, _ r: EmulatedRepository, _ w: EmulatedWorkspace) -> Value {
        switch field {
        case "name": return .string(r.name)
        case "slug": return .string(r.slug)
        case "full_name": return .string(w.slug + "/" + r.slug)
        case "description": return .string(r.description)
        case "language": return .string(r.language)
        case "is_private": return .bool(r.isPrivate)
        case "size": return .number(r.size)
        case "uuid": return .string(r.uuid)
        case "created_on": return .string(ISODate.format(r.createdOn))
        case "updated_on": return .string(ISODate.format(r.updatedOn))
        case "project.key": return .string(w.projects[r.project].key)
        case "mainbranch.name": return r.mainBranch.map(Value.string) ?? .null
        case "fork_policy": return .string(r.forkPolicy)
        default: return .null
        }
    }

    private func compare(_ actual: Value, _ op: String, _ expected: Value) -> Bool {
        switch op {
        case "=": return actual == expected
        case "!=": return actual != expected
        case "~", "!~":
            guard case .string(let a) = actual, case .string(let e) = expected else { return op == "!~" }
            let contains = a.lowercased().contains(e.lowercased())
            return op == "~" ? contains : !contains
        default:
            let ordered: Bool?
            switch (actual, expected) {
            case (.number(let a), .number(let e)):
                ordered = op == ">" ? a > e : op == ">=" ? a >= e : op == "<" ? a < e : a <= e
            case (.string(let a), .string(let e)):
                ordered = op == ">" ? a > e : op == ">=" ? a >= e : op == "<" ? a < e : a <= e
            default: ordered = nil
            }
            return ordered ?? false
        }
    }

    private struct Parser {
        var tokens: [String]
        var position = 0

        var isAtEnd: Bool { position >= tokens.count }
        var peek: String? { isAtEnd ? nil : tokens[position] }

        mutating func next() throws(EmulatorQueryError) -> String {
            guard let token = peek else { throw EmulatorQueryError("unexpected end of query") }
            position += 1
            return token
        }

        mutating func parseOr() throws(EmulatorQueryError) -> Expression {
            var left = try parseAnd()
            while peek?.uppercased() == "OR" {
                position += 1
                left = .or(left, try parseAnd())
            }
            return left
        }

        mutating func parseAnd() throws(EmulatorQueryError) -> Expression {
            var left = try parsePrimary()
            while peek?.uppercased() == "AND" {
                position += 1
                left = .and(left, try parsePrimary())
            }
            return left
        }

        mutating func parsePrimary() throws(EmulatorQueryError) -> Expression {
            if peek == "(" {
                position += 1
                let inner = try parseOr()
                guard try next() == ")" else { throw EmulatorQueryError("expected ')'") }
                return inner
            }
            let field = try next()
            guard RepositoryFilter.fields.contains(field) else {
                throw EmulatorQueryError("invalid field name: \(field)")
            }
            let op = try next()
            guard ["=", "!=", "~", "!~", ">", ">=", "<", "<="].contains(op) else {
                throw EmulatorQueryError("invalid operator: \(op)")
            }
            let raw = try next()
            let value: Value
            if raw.hasPrefix("\"") {
                value = .string(String(raw.dropFirst()))
            } else if raw == "true" || raw == "false" {
                value = .bool(raw == "true")
            } else if raw == "null" {
                value = .null
            } else if let number = Int(raw) {
                value = .number(number)
            } else {
                throw EmulatorQueryError("invalid value: \(raw)")
            }
            return .comparison(field: field, op: op, value: value)
        }

        /// Splits into words, operators, parentheses and strings (kept with a leading `"`).
        static func tokenize(_ text: String) throws(EmulatorQueryError) -> [String] {
            var tokens: [String] = []
            var characters = Array(text)[...]
            while let c = characters.first {
                if c == " " || c == "\t" || c == "\n" {
                    characters.removeFirst()
                } else if c == "(" || c == ")" {
                    tokens.append(String(c))
                    characters.removeFirst()
                } else if c == "\"" {
                    characters.removeFirst()
                    var value = "\""
                    var closed = false
                    while let d = characters.popFirst() {
                        if d == "\\", let escaped = characters.popFirst() {
                            value.append(escaped)
                        } else if d == "\"" {
                            closed = true
                            break
                        } else {
                            value.append(d)
                        }
                    }
                    guard closed else { throw EmulatorQueryError("unterminated string") }
                    tokens.append(value)
                } else if "=!~<>".contains(c) {
                    var op = String(c)
                    characters.removeFirst()
                    if let d = characters.first, d == "=" || d == "~" {
                        op.append(d)
                        characters.removeFirst()
                    }
                    tokens.append(op)
                } else {
                    var word = ""
                    while let d = characters.first, !" \t\n()=!~<>\"".contains(d) {
                        word.append(d)
                        characters.removeFirst()
                    }
                    tokens.append(word)
                }
            }
            return tokens
        }
    }
}
