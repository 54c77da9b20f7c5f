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

    /// A member the parser knows, in the table of its object: its name, whether the model
    /// requires it, and which `Member` it is. A member that is not in the table is skipped (its
    /// shape still checked); one that appears twice is `JSONDecoder`'s to judge.
    struct Field: Sendable {
        let name: Name
        let isRequired: Bool
        let member: Member

        init(_ name: StaticString, _ member: Member, required: Bool = false) {
            let bytes = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            (self.name, self.member, self.isRequired) = (Name(bytes)!, member, required)
        }
    }

    /// A member name of at most 16 bytes, packed in two words, so that comparing names is
    /// three integer comparisons.
    struct Name: Equatable, Sendable {
        let count: Int
        let low: UInt64
        let high: UInt64

        /// Nil when longer than 16 bytes: no field has such a name.
        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard bytes.count <= 16 else { return nil }
            var words: (UInt64, UInt64) = (0, 0)
            for (offset, byte) in bytes.enumerated() {
                if offset < 8 {
                    words.0 |= UInt64(byte) << (offset * 8)
                } else {
                    words.1 |= UInt64(byte) << ((offset - 8) * 8)
                }
            }
            self.init(count: bytes.count, low: words.0, high: words.1)
        }

        private init(count: Int, low: UInt64, high: UInt64) { (self.count, self.low, self.high) = (count, low, high) }

        /// The same, read as two words when 16 bytes from the name's start are inside `page`
        /// (nearly always: a name is followed by its value).
        init?(_ bytes: UnsafeBufferPointer<UInt8>, in page: UnsafeBufferPointer<UInt8>) {
            guard bytes.count <= 16 else { return nil }
            guard let start = bytes.baseAddress, let end = page.baseAddress.map({ $0 + page.count }),
                end - start >= 16
            else {
                self.init(bytes)
                return
            }
            let raw = UnsafeRawPointer(start)
            let (low, high) = (
                UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)),
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
            func masked(_ word: UInt64, _ count: Int) -> UInt64 {
                count >= 8 ? word : count <= 0 ? 0 : word & ((1 << (UInt64(count) * 8)) - 1)
            }
            self.init(count: bytes.count, low: masked(low, bytes.count), high: masked(high, bytes.count - 8))
        }

        /// Where the name goes first in a table of `mask + 1` slots.
        func slot(_ mask: Int) -> Int {
            Int(truncatingIfNeeded: ((low ^ (high &* 31) ^ UInt64(count)) &* 0x9E37_79B9_7F4A_7C15) >> 56) & mask
        }
    }

    /// One object's fields, found by name through a small open-addressed hash table: a member
    /// costs one hash and usually one comparison, whether the table knows it or not (scanning
    /// the list made a repository 30 % slower to read than the `switch` this replaced).
    struct Fields: Sendable {
        let fields: [Field]
        /// 1 + the field's index, or 0 for an empty slot.
        private let slots: [UInt8]
        private static let mask = 63

        init(_ fields: [Field]) {
            precondition(fields.count < 32, "a table has at most 32 fields (their seen bits)")
            var slots = [UInt8](repeating: 0, count: Fields.mask + 1)
            for (index, field) in fields.enumerated() {
                var slot = field.name.slot(Fields.mask)
                while slots[slot] != 0 { slot = (slot + 1) & Fields.mask }
                slots[slot] = UInt8(index + 1)
            }
            (self.fields, self.slots) = (fields, slots)
        }

        /// The field's index, or nil for a member the table does not know.
        func index(of name: Name) -> Int? {
            var slot = name.slot(Fields.mask)
            while true {
                let entry = Int(slots[slot])
                if entry == 0 { return nil }
                if fields[entry - 1].name == name { return entry - 1 }
                slot = (slot + 1) & Fields.mask
            }
        }
    }

    /// The page: `values` is required (and must be an array), the rest may be null.
    private static let pageFields = Fields([
        Field("values", .values, required: true), Field("next", .next), Field("size", .size),
        Field("pagelen", .pagelen), Field("page", .page),
    ])

    /// A repository, in the order Bitbucket writes its members. The objects in it may be null,
    /// as their `Codable` twins may; `RawWorkspace.slug` is required, so a workspace object
    /// without it (`{}` included) is the decoder's to explain.
    private static let repositoryFields = Fields([
        Field("uuid", .uuid, required: true), Field("full_name", .fullName, required: true),
        Field("name", .name), Field("slug", .slug), Field("description", .description),
        Field("is_private", .isPrivate), Field("language", .language), Field("size", .repositorySize),
        Field("created_on", .createdOn), Field("updated_on", .updatedOn), Field("fork_policy", .forkPolicy),
        Field("has_issues", .hasIssues), Field("has_wiki", .hasWiki), Field("website", .website),
        Field("mainbranch", .mainBranch), Field("project", .project), Field("workspace", .workspace),
        Field("parent", .parent), Field("links", .links),
    ])
    private static let mainBranchFields = Fields([Field("name", .mainBranchName)])
    private static let projectFields = Fields([Field("key", .projectKey), Field("name", .projectName)])
    private static let workspaceFields = Fields([
        Field("slug", .workspaceSlug, required: true), Field("name", .workspaceName), Field("uuid", .workspaceUUID),
    ])
    private static let parentFields = Fields([Field("full_name", .parentFullName), Field("uuid", .parentUUID)])
    private static let linksFields = Fields([Field("html", .html), Field("clone", .clone)])
    private static let htmlFields = Fields([Field("href", .htmlHref)])
    private static let cloneLinkFields = Fields([Field("name", .cloneName), Field("href", .cloneHref)])

    /// Every member the parser reads, wherever it is.
    enum Member {
        case values, next, size, pagelen, page
        case uuid, fullName, name, slug, description, isPrivate, language, repositorySize, createdOn, updatedOn
        case forkPolicy, hasIssues, hasWiki, website, mainBranch, project, workspace, parent, links
        case mainBranchName, projectKey, projectName, workspaceSlug, workspaceName, workspaceUUID
        case parentFullName, parentUUID, html, clone, htmlHref, cloneName, cloneHref
    }

    /// How each member is read, and where it goes: one line each. (A `switch`, not a closure
    /// per field: closures cost a fifth more time a repository, in calls and reference counts.)
    private mutating func read(_ member: Member, into draft: inout Draft) throws(Failure) {
        switch member {
        case .values:
            var list: [Repository] = []
            try array { parser throws(Failure) in
                draft.repository = RepositoryDraft()
                try parser.members(Self.repositoryFields, into: &draft)
                list.append(parser.model(of: &draft.repository))
            }
            draft.page.values = list
        case .next: draft.page.next = try optionalString()
        case .size: draft.page.size = try optionalInt().map(Int.init)
        case .pagelen: draft.page.pagelen = try optionalInt().map(Int.init)
        case .page: _ = try optionalInt()
        case .uuid: draft.repository.uuid = try string()
        case .fullName: draft.repository.fullName = try value()
        case .name: draft.repository.name = try optionalString()
        case .slug: draft.repository.slug = try optionalString()
        case .description: draft.repository.description = try optionalString()
        case .isPrivate: draft.repository.isPrivate = try optionalBool()
        case .language: draft.repository.language = try optionalValue()
        case .repositorySize: draft.repository.size = try optionalInt()
        case .createdOn: draft.repository.createdOn = try optionalValue()
        case .updatedOn: draft.repository.updatedOn = try optionalValue()
        case .forkPolicy: draft.repository.forkPolicy = try optionalValue()
        case .hasIssues: draft.repository.hasIssues = try optionalBool()
        case .hasWiki: draft.repository.hasWiki = try optionalBool()
        case .website: draft.repository.website = try optionalString()
        case .mainBranch: try optionalMembers(Self.mainBranchFields, into: &draft)
        case .project: try optionalMembers(Self.projectFields, into: &draft)
        case .workspace: try optionalMembers(Self.workspaceFields, into: &draft)
        case .parent: try optionalMembers(Self.parentFields, into: &draft)
        case .links: try optionalMembers(Self.linksFields, into: &draft)
        case .mainBranchName: draft.repository.mainBranch = try optionalValue()
        case .projectKey: draft.repository.projectKey = try optionalValue()
        case .projectName: draft.repository.projectName = try optionalValue()
        case .workspaceSlug: draft.repository.workspaceSlug = try value()
        case .workspaceName: draft.repository.workspaceName = try optionalValue()
        case .workspaceUUID: if try !null() { try skipString() }
        case .parentFullName: draft.repository.parentFullName = try optionalString()
        case .parentUUID: draft.repository.parentUUID = try optionalString()
        case .html: try optionalMembers(Self.htmlFields, into: &draft)
        case .htmlHref: draft.repository.html = try optionalValue()
        case .clone:
            try optionalArray { parser throws(Failure) in
                draft.link = CloneLinkDraft()
                try parser.members(Self.cloneLinkFields, into: &draft)
                parser.take(draft.link, into: &draft.repository)
            }
        case .cloneName: draft.link.name = try optionalValue()
        case .cloneHref: draft.link.href = try optionalValue()
        }
    }

    // MARK: - The draft the tables fill

    /// What has been read of the page so far: the page's members, the repository being read,
    /// and the clone link being read.
    struct Draft {
        var page = PageDraft()
        var repository = RepositoryDraft()
        var link = CloneLinkDraft()
    }

    struct PageDraft {
        var values: [Repository] = []
        var next: String?
        var size: Int?
        var pagelen: Int?
    }

    struct RepositoryDraft {
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
        var projectKey: Value?
        var projectName: Value?
        var workspaceSlug: Value?
        var workspaceName: Value?
        var parentFullName: String?
        var parentUUID: String?
        var html: Value?
        var cloneHTTPS: Value?
        var cloneSSH: Value?
        var foundHTTPS = false
        var foundSSH = false
    }

    struct CloneLinkDraft {
        var name: Value?
        var href: Value?
    }

    /// The first clone link of each name wins, as `first(where:)` picks it.
    private func take(_ link: CloneLinkDraft, into draft: inout RepositoryDraft) {
        guard let name = link.name else { return }
        if !draft.foundHTTPS, equals(name, "https") { (draft.cloneHTTPS, draft.foundHTTPS) = (link.href, true) }
        if !draft.foundSSH, equals(name, "ssh") { (draft.cloneSSH, draft.foundSSH) = (link.href, true) }
    }

    // MARK: - The page and its repositories

    private mutating func page() throws(Failure) -> (values: [Repository], next: String?, size: Int?, pagelen: Int?) {
        var draft = Draft()
        try members(Self.pageFields, into: &draft)
        skipWhitespace()
        guard index == bytes.count else { throw Failure() }
        return (draft.page.values, draft.page.next, draft.page.size, draft.page.pagelen)
    }

    /// Reads an object's members through a table into a draft; a required member missing, or
    /// any member twice, is a failure.
    private mutating func members(_ table: Fields, into draft: inout Draft) throws(Failure) {
        var seen: UInt32 = 0
        try object { parser, key throws(Failure) in
            guard let name = Name(key.bytes, in: parser.bytes), let index = table.index(of: name) else {
                return try parser.skipValue()
            }
            try RepositoryPageParser.once(&seen, index)
            try parser.read(table.fields[index].member, into: &draft)
        }
        for (index, field) in table.fields.enumerated() where field.isRequired && seen & (1 << index) == 0 {
            throw Failure()
        }
    }

    private mutating func optionalMembers(_ table: Fields, into draft: inout Draft) throws(Failure) {
        if try null() { return }
        try members(table, into: &draft)
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

    /// The same fallbacks and the same stored form as `RawRepository.model` and `Repository.init`.
    private mutating func model(of draft: inout RepositoryDraft) -> Repository {
        let base = bytes
        return RepositoryPageParser.withBytes(of: draft.fullName, in: base) { fullNameBytes, fullNameText in
            let workspace =
                draft.workspaceSlug.map { RepositoryPageParser.shared($0, &recentWorkspace, in: base) }
                ?? String(fullNameText().split(separator: "/").first ?? "")
            let slug = draft.slug ?? (fullNameText().split(separator: "/").last.map(String.init) ?? fullNameText())
            let name = draft.name ?? slug
            var links = Repository.Links()
            if let href = draft.cloneHTTPS {
                RepositoryPageParser.withBytes(of: href, in: base) {
                    links.setCloneHTTPS(bytes: $0, fullName: fullNameBytes, text: $1)
                }
            }
            if let href = draft.cloneSSH {
                RepositoryPageParser.withBytes(of: href, in: base) {
                    links.setCloneSSH(bytes: $0, fullName: fullNameBytes, text: $1)
                }
            }
            if let href = draft.html {
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
                    workspaceName: shared(draft.workspaceName, &recentWorkspaceName),
                    description: draft.description ?? "", isPrivate: draft.isPrivate ?? true,
                    language: shared(draft.language, &recentLanguage) ?? "",
                    size: draft.size,
                    createdOn: draft.createdOn.flatMap(date), updatedOn: draft.updatedOn.flatMap(date),
                    mainBranch: shared(draft.mainBranch, &recentBranch),
                    forkPolicy: shared(draft.forkPolicy, &recentPolicy),
                    hasIssues: draft.hasIssues, hasWiki: draft.hasWiki,
                    projectKey: shared(draft.projectKey, &recentProjectKey),
                    projectName: shared(draft.projectName, &recentProjectName),
                    parentFullName: draft.parentFullName, parentUUID: draft.parentUUID, links: links,
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
