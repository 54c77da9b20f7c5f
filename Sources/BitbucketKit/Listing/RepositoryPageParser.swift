import Foundation

/// A one-pass reader of `/repositories/{workspace}` pages that builds `Repository` values
/// straight from the bytes, for the listing's hot path (`JSONDecoder` with `Codable` costs
/// about 20 µs a repository; this, a few).
///
/// It accepts exactly what the `Codable` models accept: whenever it meets anything it does not
/// expect (malformed JSON, a missing required field, a value of the wrong type), it gives up and
/// the caller decodes with `JSONDecoder`, which then reports the precise problem. The property
/// tests check that both agree on every page they are given.
struct RepositoryPageParser {
    struct Failure: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The page, or nil when `JSONDecoder` should have the last word.
    static func parse(_ body: [UInt8]) -> (values: [Repository], next: String?, size: Int?, pagelen: Int?)? {
        body.withUnsafeBufferPointer { buffer in
            var parser = RepositoryPageParser(buffer)
            return try? parser.page()
        }
    }

    // MARK: - The page and its repositories

    private mutating func page() throws(Failure) -> (values: [Repository], next: String?, size: Int?, pagelen: Int?) {
        var values: [Repository]?
        var next: String?
        var size: Int?
        var pagelen: Int?
        var seen1: UInt32 = 0
        try object { parser, key throws(Failure) in
            switch key {
            case "values":
                try RepositoryPageParser.once(&seen1, 0)
                var list: [Repository] = []
                try parser.array { parser throws(Failure) in list.append(try parser.repository()) }
                values = list
            case "next":
                try RepositoryPageParser.once(&seen1, 1)
                next = try parser.optionalString()
            case "size":
                try RepositoryPageParser.once(&seen1, 2)
                size = try parser.optionalInt().map(Int.init)
            case "pagelen":
                try RepositoryPageParser.once(&seen1, 3)
                pagelen = try parser.optionalInt().map(Int.init)
            case "page":
                try RepositoryPageParser.once(&seen1, 4)
                _ = try parser.optionalInt()
            default: try parser.skipValue()
            }
        }
        skipWhitespace()
        guard index == bytes.count, let values else { throw Failure() }
        return (values, next, size, pagelen)
    }

    /// The last value each repeated field had on this page, with where its bytes are: the
    /// next repository's equal bytes reuse the string (no new string, no trip to the intern
    /// table). Workspace, project, branch and language repeat on almost every repository.
    private struct Recent {
        var range = 0..<0
        var text: String?
    }

    private var recentWorkspace = Recent(), recentWorkspaceName = Recent(), recentLanguage = Recent()
    private var recentBranch = Recent(), recentPolicy = Recent(), recentProjectKey = Recent(),
        recentProjectName = Recent()

    private mutating func repository() throws(Failure) -> Repository {
        var uuid: String?
        var fullName: Value?
        var name: String?
        var slug: String?
        var description: String?
        var isPrivate: Bool?
        var language: Value?
        var size: Int64?
        var createdOn: Value?
        var updatedOn: Value?
        var mainBranch: Value?
        var forkPolicy: Value?
        var hasIssues: Bool?
        var hasWiki: Bool?
        var projectKey: Value?
        var projectName: Value?
        var workspaceSlug: Value?
        var workspaceName: Value?
        var parentFullName: String?
        var parentUUID: String?
        var html: Value?
        var hasHTML = false
        var cloneHTTPS: Value?
        var cloneSSH: Value?
        var foundHTTPS = false
        var foundSSH = false
        var website: String?
        var seen2: UInt32 = 0
        try object { parser, key throws(Failure) in
            switch key {
            case "uuid":
                try RepositoryPageParser.once(&seen2, 0)
                uuid = try parser.string()
            case "full_name":
                try RepositoryPageParser.once(&seen2, 1)
                fullName = try parser.value()
            case "name":
                try RepositoryPageParser.once(&seen2, 2)
                name = try parser.optionalString()
            case "slug":
                try RepositoryPageParser.once(&seen2, 3)
                slug = try parser.optionalString()
            case "description":
                try RepositoryPageParser.once(&seen2, 4)
                description = try parser.optionalString()
            case "is_private":
                try RepositoryPageParser.once(&seen2, 5)
                isPrivate = try parser.optionalBool()
            case "language":
                try RepositoryPageParser.once(&seen2, 6)
                language = try parser.optionalValue()
            case "size":
                try RepositoryPageParser.once(&seen2, 7)
                size = try parser.optionalInt()
            case "created_on":
                try RepositoryPageParser.once(&seen2, 8)
                createdOn = try parser.optionalValue()
            case "updated_on":
                try RepositoryPageParser.once(&seen2, 9)
                updatedOn = try parser.optionalValue()
            case "fork_policy":
                try RepositoryPageParser.once(&seen2, 10)
                forkPolicy = try parser.optionalValue()
            case "has_issues":
                try RepositoryPageParser.once(&seen2, 11)
                hasIssues = try parser.optionalBool()
            case "has_wiki":
                try RepositoryPageParser.once(&seen2, 12)
                hasWiki = try parser.optionalBool()
            case "website":
                try RepositoryPageParser.once(&seen2, 13)
                website = try parser.optionalString()
            case "mainbranch":
                try RepositoryPageParser.once(&seen2, 14)
                var seen3: UInt32 = 0
                try parser.optionalObject { parser, key throws(Failure) in
                    if case "name" = key {
                        try RepositoryPageParser.once(&seen3, 0)
                        mainBranch = try parser.optionalValue()
                    } else {
                        try parser.skipValue()
                    }
                }
            case "project":
                try RepositoryPageParser.once(&seen2, 15)
                var seen4: UInt32 = 0
                try parser.optionalObject { parser, key throws(Failure) in
                    switch key {
                    case "key":
                        try RepositoryPageParser.once(&seen4, 0)
                        projectKey = try parser.optionalValue()
                    case "name":
                        try RepositoryPageParser.once(&seen4, 1)
                        projectName = try parser.optionalValue()
                    default: try parser.skipValue()
                    }
                }
            case "workspace":
                try RepositoryPageParser.once(&seen2, 16)
                if try parser.null() { break }
                var hasSlug = false
                var seen5: UInt32 = 0
                try parser.object { parser, key throws(Failure) in
                    switch key {
                    case "slug":
                        try RepositoryPageParser.once(&seen5, 0)
                        workspaceSlug = try parser.value()
                        hasSlug = true
                    case "name":
                        try RepositoryPageParser.once(&seen5, 1)
                        workspaceName = try parser.optionalValue()
                    case "uuid":
                        try RepositoryPageParser.once(&seen5, 2)
                        if try !parser.null() { try parser.skipString() }
                    default: try parser.skipValue()
                    }
                }
                // `RawWorkspace.slug` is required: an object without it (`{}` included) is the
                // decoder's to explain.
                if !hasSlug { throw Failure() }
            case "parent":
                try RepositoryPageParser.once(&seen2, 17)
                var seen6: UInt32 = 0
                try parser.optionalObject { parser, key throws(Failure) in
                    switch key {
                    case "full_name":
                        try RepositoryPageParser.once(&seen6, 0)
                        parentFullName = try parser.optionalString()
                    case "uuid":
                        try RepositoryPageParser.once(&seen6, 1)
                        parentUUID = try parser.optionalString()
                    default: try parser.skipValue()
                    }
                }
            case "links":
                try RepositoryPageParser.once(&seen2, 18)
                var seen7: UInt32 = 0
                try parser.optionalObject { parser, key throws(Failure) in
                    switch key {
                    case "html":
                        try RepositoryPageParser.once(&seen7, 0)
                        var seen8: UInt32 = 0
                        try parser.optionalObject { parser, key throws(Failure) in
                            if case "href" = key {
                                try RepositoryPageParser.once(&seen8, 0)
                                html = try parser.optionalValue()
                                hasHTML = html != nil
                            } else {
                                try parser.skipValue()
                            }
                        }
                    case "clone":
                        try RepositoryPageParser.once(&seen7, 1)
                        try parser.optionalArray { parser throws(Failure) in
                            var linkName: Value?
                            var href: Value?
                            var seen9: UInt32 = 0
                            try parser.object { parser, key throws(Failure) in
                                switch key {
                                case "name":
                                    try RepositoryPageParser.once(&seen9, 0)
                                    linkName = try parser.optionalValue()
                                case "href":
                                    try RepositoryPageParser.once(&seen9, 1)
                                    href = try parser.optionalValue()
                                default: try parser.skipValue()
                                }
                            }
                            // The first link of each name wins, as `first(where:)` picks it.
                            if let linkName {
                                if !foundHTTPS, parser.equals(linkName, "https") {
                                    (cloneHTTPS, foundHTTPS) = (href, true)
                                }
                                if !foundSSH, parser.equals(linkName, "ssh") { (cloneSSH, foundSSH) = (href, true) }
                            }
                        }
                    default: try parser.skipValue()
                    }
                }
            default:
                try parser.skipValue()
            }
        }
        guard let uuid, let fullName else { throw Failure() }
        let base = bytes
        return RepositoryPageParser.withBytes(of: fullName, in: base) { fullNameBytes, fullNameText in
            // The same fallbacks and the same stored form as `RawRepository.model` and `Repository.init`.
            let workspace =
                workspaceSlug.map { RepositoryPageParser.shared($0, &recentWorkspace, in: base) }
                ?? String(fullNameText().split(separator: "/").first ?? "")
            let slug = slug ?? (fullNameText().split(separator: "/").last.map(String.init) ?? fullNameText())
            let name = name ?? slug
            var links = Repository.Links()
            if let cloneHTTPS {
                RepositoryPageParser.withBytes(of: cloneHTTPS, in: base) {
                    links.setCloneHTTPS(bytes: $0, fullName: fullNameBytes, text: $1)
                }
            }
            if let cloneSSH {
                RepositoryPageParser.withBytes(of: cloneSSH, in: base) {
                    links.setCloneSSH(bytes: $0, fullName: fullNameBytes, text: $1)
                }
            }
            if let html, hasHTML {
                RepositoryPageParser.withBytes(of: html, in: base) {
                    links.setWebURL(bytes: $0, fullName: fullNameBytes, text: $1)
                }
            }
            func date(_ value: Value) -> Date? {
                RepositoryPageParser.withBytes(of: value, in: base) { bytes, _ in BitbucketDate.parse(bytes: bytes) }
            }
            return Repository(
                fields: Repository.Fields(
                    uuid: uuid, name: name, slug: slug == name ? name : slug,
                    fullName: RepositoryPageParser.isJoined(fullNameBytes, workspace, slug) ? nil : fullNameText(),
                    workspaceSlug: workspace,
                    workspaceName: workspaceName.map {
                        RepositoryPageParser.shared($0, &recentWorkspaceName, in: base)
                    },
                    description: description ?? "", isPrivate: isPrivate ?? true,
                    language: language.map { RepositoryPageParser.shared($0, &recentLanguage, in: base) } ?? "",
                    size: size,
                    createdOn: createdOn.flatMap(date), updatedOn: updatedOn.flatMap(date),
                    mainBranch: mainBranch.map { RepositoryPageParser.shared($0, &recentBranch, in: base) },
                    forkPolicy: forkPolicy.map { RepositoryPageParser.shared($0, &recentPolicy, in: base) },
                    hasIssues: hasIssues, hasWiki: hasWiki,
                    projectKey: projectKey.map { RepositoryPageParser.shared($0, &recentProjectKey, in: base) },
                    projectName: projectName.map { RepositoryPageParser.shared($0, &recentProjectName, in: base) },
                    parentFullName: parentFullName, parentUUID: parentUUID, links: links, website: website
                ))
        }
    }

    // MARK: - Values kept as bytes

    /// A string member's value: where its bytes are when they are plain ASCII without escapes
    /// (nearly always), else the decoded text.
    enum Value {
        case raw(Range<Int>)
        case text(String)
    }

    private mutating func value() throws(Failure) -> Value {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return .raw(start..<(index - 1))
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            index += 1
        }
        index = start - 1
        return .text(try string())
    }

    private mutating func optionalValue() throws(Failure) -> Value? {
        if try null() { return nil }
        return try value()
    }

    private func equals(_ value: Value, _ text: StaticString) -> Bool {
        switch value {
        case .raw(let range):
            return range.count == text.utf8CodeUnitCount
                && (range.isEmpty || memcmp(bytes.baseAddress! + range.lowerBound, text.utf8Start, range.count) == 0)
        case .text(let string):
            return string == text.description
        }
    }

    /// The value's bytes, and a way to make its string.
    private static func withBytes<T>(
        of value: Value, in base: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, () -> String) -> T
    ) -> T {
        switch value {
        case .raw(let range):
            let slice = UnsafeBufferPointer(rebasing: base[range])
            return body(slice) { String(decoding: slice, as: UTF8.self) }
        case .text(var string):
            let copy = string
            return string.withUTF8 { body($0) { copy } }
        }
    }

    /// The value's string, shared with the last repository's when the bytes are the same.
    private static func shared(_ value: Value, _ recent: inout Recent, in base: UnsafeBufferPointer<UInt8>) -> String {
        switch value {
        case .text(let text):
            return Repository.intern(text)
        case .raw(let range):
            if let text = recent.text, recent.range.count == range.count,
                range.isEmpty
                    || memcmp(
                        base.baseAddress! + recent.range.lowerBound, base.baseAddress! + range.lowerBound, range.count)
                        == 0
            {
                return text
            }
            let text = Repository.intern(String(decoding: UnsafeBufferPointer(rebasing: base[range]), as: UTF8.self))
            recent = Recent(range: range, text: text)
            return text
        }
    }

    /// `fullName` is `workspace/slug`, byte for byte.
    private static func isJoined(_ fullName: UnsafeBufferPointer<UInt8>, _ workspace: String, _ slug: String) -> Bool {
        let (w, s) = (workspace.utf8, slug.utf8)
        guard fullName.count == w.count + 1 + s.count, fullName[w.count] == UInt8(ascii: "/") else { return false }
        return fullName[..<w.count].elementsEqual(w) && fullName[(w.count + 1)...].elementsEqual(s)
    }

    // MARK: - JSON

    /// Marks a member read; a repeated one is `JSONDecoder`'s to judge (it keeps the first, the
    /// members above would keep the last).
    private static func once(_ seen: inout UInt32, _ bit: Int) throws(Failure) {
        guard seen & (1 << bit) == 0 else { throw Failure() }
        seen |= 1 << bit
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func peek() throws(Failure) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw Failure() }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard try peek() == byte else { throw Failure() }
        index += 1
    }

    private mutating func literal(_ text: StaticString) throws(Failure) {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure() }
        for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { throw Failure() }
        index += count
    }

    /// `null` if it is next (consumed), else false.
    private mutating func null() throws(Failure) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// A member's name, compared by its bytes with the names the parser knows.
    struct Key {
        let bytes: UnsafeBufferPointer<UInt8>

        static func ~= (pattern: StaticString, key: Key) -> Bool {
            key.bytes.count == pattern.utf8CodeUnitCount
                && memcmp(key.bytes.baseAddress!, pattern.utf8Start, key.bytes.count) == 0
        }
    }

    /// A member name: plain ASCII without escapes, anything else is the decoder's (an escaped
    /// or non-ASCII name could still equal a known one).
    private mutating func key() throws(Failure) -> Key {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return Key(bytes: UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)]))
            }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { throw Failure() }
            index += 1
        }
        throw Failure()
    }

    private mutating func object(_ member: (inout RepositoryPageParser, Key) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            let key = try key()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw Failure()
            }
        }
    }

    private mutating func optionalObject(
        _ member: (inout RepositoryPageParser, Key) throws(Failure) -> Void
    ) throws(Failure) {
        if try null() { return }
        try object(member)
    }

    private mutating func array(_ element: (inout RepositoryPageParser) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["))
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw Failure()
            }
        }
    }

    private mutating func optionalArray(_ element: (inout RepositoryPageParser) throws(Failure) -> Void) throws(Failure)
    {
        if try null() { return }
        try array(element)
    }

    private mutating func optionalString() throws(Failure) -> String? {
        if try null() { return nil }
        return try string()
    }

    private mutating func optionalBool() throws(Failure) -> Bool? {
        switch try peek() {
        case UInt8(ascii: "n"):
            try literal("null")
            return nil
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default:
            throw Failure()
        }
    }

    /// An integer (as `Int64` decodes it: no fraction, no exponent, in range).
    private mutating func optionalInt() throws(Failure) -> Int64? {
        if try null() { return nil }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !overflow1, !overflow2 else { throw Failure() }
            value = sum
            index += 1
        }
        guard index > start else { throw Failure() }
        // A leading zero, a fraction or an exponent: leave it to the decoder.
        if index - start > 1 && bytes[start] == 0x30 { throw Failure() }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw Failure()
        }
        return negative ? -value : value
    }

    private mutating func string() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        var isASCII = true
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try RepositoryPageParser.text(
                    UnsafeBufferPointer(rebasing: bytes[start..<index]), isASCII: isASCII)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            if byte >= 0x80 { isASCII = false }
            index += 1
        }
        var scalars = String.UnicodeScalarView()
        let head = try RepositoryPageParser.text(UnsafeBufferPointer(rebasing: bytes[start..<index]), isASCII: false)
        scalars.append(contentsOf: head.unicodeScalars)
        var pending: [UInt8] = []
        var isValid = true
        func flush() {
            if !pending.isEmpty {
                pending.withUnsafeBufferPointer { buffer in
                    if let text = try? RepositoryPageParser.text(buffer, isASCII: false) {
                        scalars.append(contentsOf: text.unicodeScalars)
                    } else {
                        isValid = false
                    }
                }
                pending.removeAll(keepingCapacity: true)
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                guard isValid else { throw Failure() }
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard isValid, index < bytes.count else { throw Failure() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let unit = try hex4()
                    if (0xD800...0xDBFF).contains(unit) {
                        // A surrogate pair; a lone half is the decoder's to judge.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw Failure() }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low),
                            let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        else { throw Failure() }
                        scalars.append(scalar)
                    } else {
                        guard let scalar = Unicode.Scalar(unit) else { throw Failure() }
                        scalars.append(scalar)
                    }
                default:
                    throw Failure()
                }
            default:
                guard byte >= 0x20 else { throw Failure() }
                pending.append(byte)
            }
        }
        throw Failure()
    }

    /// The bytes as a string; invalid UTF-8 is the decoder's to refuse, never repaired here.
    /// (`String(decoding:)` is specialized and fast; comparing its bytes with the input shows
    /// whether it had to repair anything.)
    private static func text(_ buffer: UnsafeBufferPointer<UInt8>, isASCII: Bool) throws(Failure) -> String {
        let text = String(decoding: buffer, as: UTF8.self)
        if isASCII { return text }
        let same =
            text.utf8.withContiguousStorageIfAvailable { stored in
                stored.count == buffer.count
                    && (buffer.isEmpty || memcmp(stored.baseAddress!, buffer.baseAddress!, buffer.count) == 0)
            } ?? text.utf8.elementsEqual(buffer)
        guard same else { throw Failure() }
        return text
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Failure() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw Failure()
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Skips a string, checking it as `string()` would without building it.
    private mutating func skipString() throws(Failure) {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            index += 1
        }
        // Escapes and non-ASCII text are checked the long way.
        index = start - 1
        _ = try string()
    }

    /// Skips any JSON value, checking its shape.
    private mutating func skipValue() throws(Failure) {
        switch try peek() {
        case UInt8(ascii: "{"): try object { parser, _ throws(Failure) in try parser.skipValue() }
        case UInt8(ascii: "["): try array { parser throws(Failure) in try parser.skipValue() }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            try skipNumber()
        }
    }

    /// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func skipNumber() throws(Failure) {
        func digits(_ parser: inout RepositoryPageParser) -> Int {
            let start = parser.index
            while parser.index < parser.bytes.count, parser.bytes[parser.index] >= 0x30,
                parser.bytes[parser.index] <= 0x39
            { parser.index += 1 }
            return parser.index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw Failure() }
        if bytes[index] == 0x30 {
            index += 1
        } else {
            guard digits(&self) > 0 else { throw Failure() }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw Failure() }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits(&self) > 0 else { throw Failure() }
        }
    }
}
