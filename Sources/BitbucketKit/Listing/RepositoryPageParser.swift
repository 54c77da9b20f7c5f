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

    // MARK: - Tables of fields

    /// A member the parser knows: its name, whether the model requires it, and how its value
    /// is read into the draft being filled. A member that is not in the table is skipped
    /// (its shape still checked); one that appears twice is `JSONDecoder`'s to judge.
    ///
    /// (`read` throws untyped only so that the tables can use short closures; whatever it
    /// throws is a `Failure`.)
    struct Field<Draft>: Sendable {
        let name: StaticString
        let isRequired: Bool
        let read: @Sendable (inout RepositoryPageParser, inout Draft) throws -> Void

        init(
            _ name: StaticString, required: Bool = false,
            _ read: @escaping @Sendable (inout RepositoryPageParser, inout Draft) throws -> Void
        ) {
            (self.name, self.isRequired, self.read) = (name, required, read)
        }

        func matches(_ key: Key) -> Bool {
            key.bytes.count == name.utf8CodeUnitCount
                && memcmp(key.bytes.baseAddress!, name.utf8Start, key.bytes.count) == 0
        }
    }

    /// The page: `values` is required (and must be an array), the rest may be null.
    private static let pageFields: [Field<PageDraft>] = [
        Field("values", required: true) { parser, page in
            var list: [Repository] = []
            try parser.array { parser throws(Failure) in list.append(try parser.repository()) }
            page.values = list
        },
        Field("next") { $1.next = try $0.optionalString() },
        Field("size") { $1.size = try $0.optionalInt().map(Int.init) },
        Field("pagelen") { $1.pagelen = try $0.optionalInt().map(Int.init) },
        Field("page") { parser, _ in _ = try parser.optionalInt() },
    ]

    /// A repository, in the order Bitbucket writes its members (the first match is the usual one).
    /// The optional objects are nullable, as their `Codable` twins are.
    private static let repositoryFields: [Field<RepositoryDraft>] = [
        Field("uuid", required: true) { $1.uuid = try $0.string() },
        Field("full_name", required: true) { $1.fullName = try $0.value() },
        Field("name") { $1.name = try $0.optionalString() },
        Field("slug") { $1.slug = try $0.optionalString() },
        Field("description") { $1.description = try $0.optionalString() },
        Field("is_private") { $1.isPrivate = try $0.optionalBool() },
        Field("language") { $1.language = try $0.optionalValue() },
        Field("size") { $1.size = try $0.optionalInt() },
        Field("created_on") { $1.createdOn = try $0.optionalValue() },
        Field("updated_on") { $1.updatedOn = try $0.optionalValue() },
        Field("fork_policy") { $1.forkPolicy = try $0.optionalValue() },
        Field("has_issues") { $1.hasIssues = try $0.optionalBool() },
        Field("has_wiki") { $1.hasWiki = try $0.optionalBool() },
        Field("website") { $1.website = try $0.optionalString() },
        Field("mainbranch") { try $0.optionalMembers(nameFields, into: &$1.mainBranch) },
        Field("project") { try $0.optionalMembers(projectFields, into: &$1.project) },
        // `RawWorkspace.slug` is required: an object without it (`{}` included) is the decoder's
        // to explain; `null` is a repository without a workspace object.
        Field("workspace") { try $0.optionalMembers(workspaceFields, into: &$1.workspace) },
        Field("parent") { try $0.optionalMembers(parentFields, into: &$1.parent) },
        Field("links") { try $0.optionalMembers(linksFields, into: &$1.links) },
    ]

    private static let nameFields: [Field<Value?>] = [Field("name") { $1 = try $0.optionalValue() }]
    private static let hrefFields: [Field<Value?>] = [Field("href") { $1 = try $0.optionalValue() }]

    private static let projectFields: [Field<ProjectDraft>] = [
        Field("key") { $1.key = try $0.optionalValue() },
        Field("name") { $1.name = try $0.optionalValue() },
    ]

    private static let workspaceFields: [Field<WorkspaceDraft>] = [
        Field("slug", required: true) { $1.slug = try $0.value() },
        Field("name") { $1.name = try $0.optionalValue() },
        Field("uuid") { parser, _ in if try !parser.null() { try parser.skipString() } },
    ]

    private static let parentFields: [Field<ParentDraft>] = [
        Field("full_name") { $1.fullName = try $0.optionalString() },
        Field("uuid") { $1.uuid = try $0.optionalString() },
    ]

    private static let linksFields: [Field<LinksDraft>] = [
        Field("html") { try $0.optionalMembers(hrefFields, into: &$1.html) },
        Field("clone") { parser, links in
            try parser.optionalArray { parser throws(Failure) in
                var link = CloneLinkDraft()
                try parser.members(cloneLinkFields, into: &link)
                parser.take(link, into: &links)
            }
        },
    ]

    private static let cloneLinkFields: [Field<CloneLinkDraft>] = [
        Field("name") { $1.name = try $0.optionalValue() },
        Field("href") { $1.href = try $0.optionalValue() },
    ]

    // MARK: - Drafts: what the tables fill

    private struct PageDraft {
        var values: [Repository] = []
        var next: String?
        var size: Int?
        var pagelen: Int?
    }

    private struct RepositoryDraft {
        var uuid = ""
        var fullName = Value.raw(0..<0)
        var name: String?
        var slug: String?
        var description: String?
        var isPrivate: Bool?
        var language: Value?
        var size: Int64?
        var createdOn: Value?
        var updatedOn: Value?
        var forkPolicy: Value?
        var hasIssues: Bool?
        var hasWiki: Bool?
        var website: String?
        var mainBranch: Value?
        var project = ProjectDraft()
        var workspace = WorkspaceDraft()
        var parent = ParentDraft()
        var links = LinksDraft()
    }

    private struct ProjectDraft {
        var key: Value?
        var name: Value?
    }

    private struct WorkspaceDraft {
        var slug: Value?
        var name: Value?
    }

    private struct ParentDraft {
        var fullName: String?
        var uuid: String?
    }

    private struct LinksDraft {
        var html: Value?
        var cloneHTTPS: Value?
        var cloneSSH: Value?
        var foundHTTPS = false
        var foundSSH = false
    }

    private struct CloneLinkDraft {
        var name: Value?
        var href: Value?
    }

    /// The first clone link of each name wins, as `first(where:)` picks it.
    private func take(_ link: CloneLinkDraft, into links: inout LinksDraft) {
        guard let name = link.name else { return }
        if !links.foundHTTPS, equals(name, "https") { (links.cloneHTTPS, links.foundHTTPS) = (link.href, true) }
        if !links.foundSSH, equals(name, "ssh") { (links.cloneSSH, links.foundSSH) = (link.href, true) }
    }

    // MARK: - The page and its repositories

    private mutating func page() throws(Failure) -> (values: [Repository], next: String?, size: Int?, pagelen: Int?) {
        var page = PageDraft()
        try members(Self.pageFields, into: &page)
        skipWhitespace()
        guard index == bytes.count else { throw Failure() }
        return (page.values, page.next, page.size, page.pagelen)
    }

    /// Reads an object's members through a table into a draft; a required member missing, or
    /// any member twice, is a failure.
    private mutating func members<Draft>(_ fields: [Field<Draft>], into draft: inout Draft) throws(Failure) {
        var seen: UInt32 = 0
        try object { parser, key throws(Failure) in
            for index in fields.indices where fields[index].matches(key) {
                try RepositoryPageParser.once(&seen, index)
                do { return try fields[index].read(&parser, &draft) } catch { throw Failure() }
            }
            try parser.skipValue()
        }
        for index in fields.indices where fields[index].isRequired && seen & (1 << index) == 0 { throw Failure() }
    }

    private mutating func optionalMembers<Draft>(_ fields: [Field<Draft>], into draft: inout Draft) throws(Failure) {
        if try null() { return }
        try members(fields, into: &draft)
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
        var draft = RepositoryDraft()
        try members(Self.repositoryFields, into: &draft)
        return model(of: draft)
    }

    /// The same fallbacks and the same stored form as `RawRepository.model` and `Repository.init`.
    private mutating func model(of draft: RepositoryDraft) -> Repository {
        let base = bytes
        return RepositoryPageParser.withBytes(of: draft.fullName, in: base) { fullNameBytes, fullNameText in
            let workspace =
                draft.workspace.slug.map { RepositoryPageParser.shared($0, &recentWorkspace, in: base) }
                ?? String(fullNameText().split(separator: "/").first ?? "")
            let slug = draft.slug ?? (fullNameText().split(separator: "/").last.map(String.init) ?? fullNameText())
            let name = draft.name ?? slug
            var links = Repository.Links()
            if let href = draft.links.cloneHTTPS {
                RepositoryPageParser.withBytes(of: href, in: base) {
                    links.setCloneHTTPS(bytes: $0, fullName: fullNameBytes, text: $1)
                }
            }
            if let href = draft.links.cloneSSH {
                RepositoryPageParser.withBytes(of: href, in: base) {
                    links.setCloneSSH(bytes: $0, fullName: fullNameBytes, text: $1)
                }
            }
            if let href = draft.links.html {
                RepositoryPageParser.withBytes(of: href, in: base) {
                    links.setWebURL(bytes: $0, fullName: fullNameBytes, text: $1)
                }
            }
            func date(_ value: Value) -> Date? {
                RepositoryPageParser.withBytes(of: value, in: base) { bytes, _ in BitbucketDate.parse(bytes: bytes) }
            }
            func shared(_ value: Value?, _ recent: inout Recent) -> String? {
                value.map { RepositoryPageParser.shared($0, &recent, in: base) }
            }
            return Repository(
                fields: Repository.Fields(
                    uuid: draft.uuid, name: name, slug: slug == name ? name : slug,
                    fullName: RepositoryPageParser.isJoined(fullNameBytes, workspace, slug) ? nil : fullNameText(),
                    workspaceSlug: workspace,
                    workspaceName: shared(draft.workspace.name, &recentWorkspaceName),
                    description: draft.description ?? "", isPrivate: draft.isPrivate ?? true,
                    language: shared(draft.language, &recentLanguage) ?? "",
                    size: draft.size,
                    createdOn: draft.createdOn.flatMap(date), updatedOn: draft.updatedOn.flatMap(date),
                    mainBranch: shared(draft.mainBranch, &recentBranch),
                    forkPolicy: shared(draft.forkPolicy, &recentPolicy),
                    hasIssues: draft.hasIssues, hasWiki: draft.hasWiki,
                    projectKey: shared(draft.project.key, &recentProjectKey),
                    projectName: shared(draft.project.name, &recentProjectName),
                    parentFullName: draft.parent.fullName, parentUUID: draft.parent.uuid, links: links,
                    website: draft.website
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
