import Foundation

/// The cache keeps a listing as one compact binary blob (raw in the cache; base64 in other JSON), not as
/// 100,000 keyed JSON objects: `JSONEncoder` and `JSONDecoder` spent more time on the cache than
/// the whole listing on the network. A blob that does not read back whole is refused, and the
/// cache then simply has nothing for the account.
extension RepositorySnapshot: CacheBlob {
    public func cacheBytes() -> [UInt8] {
        var writer = BinaryWriter()
        writer.bytes.reserveCapacity(repositories.count * 400)
        writer.bytes += Array("BBRS".utf8)
        writer.int(Int64(RepositorySnapshot.format))
        writer.int(Int64(workspaces.count))
        for workspace in workspaces { writer.string(workspace) }
        writer.int(Int64(repositories.count))
        for repository in repositories { writer.repository(repository) }
        return writer.bytes
    }

    public init?(cacheBytes bytes: [UInt8]) {
        guard bytes.starts(with: Array("BBRS".utf8)) else { return nil }
        var reader = BinaryReader(bytes: bytes, index: 4)
        guard reader.int() == Int64(RepositorySnapshot.format), let count = reader.int(), count >= 0, count <= bytes.count else { return nil }
        var workspaces: [String] = []
        for _ in 0..<count {
            guard let workspace = reader.string() else { return nil }
            workspaces.append(workspace)
        }
        guard let repositories = reader.repositories() else { return nil }
        self.init(workspaces: workspaces, repositories: repositories)
    }

    private enum Key: String, CodingKey { case format, workspaces, blob }
    private static let format = 2

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard try container.decode(Int.self, forKey: .format) == RepositorySnapshot.format else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: container, debugDescription: "another cache format")
        }
        workspaces = try container.decode([String].self, forKey: .workspaces)
        let blob = try container.decode(Data.self, forKey: .blob)
        var reader = BinaryReader(bytes: Array(blob))
        guard let repositories = reader.repositories() else {
            throw DecodingError.dataCorruptedError(forKey: .blob, in: container, debugDescription: "a damaged listing")
        }
        self.repositories = repositories
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(RepositorySnapshot.format, forKey: .format)
        try container.encode(workspaces, forKey: .workspaces)
        var writer = BinaryWriter()
        writer.int(Int64(repositories.count))
        for repository in repositories { writer.repository(repository) }
        try container.encode(Data(writer.bytes), forKey: .blob)
    }
}

private struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int64) {
        var bits = UInt64(bitPattern: value)
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            int(Int64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optional(_ text: String?) {
        bytes.append(text == nil ? 0 : 1)
        if let text { string(text) }
    }

    mutating func optional(_ value: Int64?) {
        bytes.append(value == nil ? 0 : 1)
        if let value { int(value) }
    }

    mutating func optional(_ date: Date?) {
        bytes.append(date == nil ? 0 : 1)
        if let date { int(Int64(bitPattern: date.timeIntervalSince1970.bitPattern)) }
    }

    mutating func optional(_ flag: Bool?) {
        bytes.append(flag.map { $0 ? 2 : 1 } ?? 0)
    }

    mutating func repository(_ r: Repository) {
        // Field by field (no temporary arrays: this runs once per repository).
        string(r.uuid)
        string(r.name)
        string(r.slug)
        string(r.fullName)
        string(r.workspaceSlug)
        string(r.description)
        string(r.language)
        bytes.append(r.isPrivate ? 1 : 0)
        optional(r.workspaceName)
        optional(r.mainBranch)
        optional(r.forkPolicy)
        optional(r.projectKey)
        optional(r.projectName)
        optional(r.parentFullName)
        optional(r.parentUUID)
        optional(r.cloneHTTPS)
        optional(r.cloneSSH)
        optional(r.webURL)
        optional(r.website)
        optional(r.size)
        optional(r.createdOn)
        optional(r.updatedOn)
        optional(r.hasIssues)
        optional(r.hasWiki)
    }
}

private struct BinaryReader {
    let bytes: [UInt8]
    var index = 0

    /// A count, that many repositories, and the end of the bytes.
    mutating func repositories() -> [Repository]? {
        guard let count = int(), count >= 0, count <= bytes.count else { return nil }
        var repositories: [Repository] = []
        repositories.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let repository = repository() else { return nil }
            repositories.append(repository)
        }
        return index == bytes.count ? repositories : nil
    }

    mutating func byte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func int() -> Int64? {
        guard index + 8 <= bytes.count else { return nil }
        var bits: UInt64 = 0
        for offset in (0..<8).reversed() { bits = bits << 8 | UInt64(bytes[index + offset]) }
        index += 8
        return Int64(bitPattern: bits)
    }

    mutating func string() -> String? {
        guard let length = int(), length >= 0, index + Int(length) <= bytes.count else { return nil }
        defer { index += Int(length) }
        return bytes.withUnsafeBufferPointer { String(validating: UnsafeBufferPointer(rebasing: $0[index..<(index + Int(length))]), as: UTF8.self) }
    }

    /// `.some(nil)` for an absent value, nil for damage.
    mutating func optionalString() -> String?? {
        switch byte() {
        case 0: return .some(nil)
        case 1: return string().map { .some($0) }
        default: return nil
        }
    }

    mutating func optionalInt() -> Int64?? {
        switch byte() {
        case 0: return .some(nil)
        case 1: return int().map { .some($0) }
        default: return nil
        }
    }

    mutating func optionalBool() -> Bool?? {
        switch byte() {
        case 0: return .some(nil)
        case 1: return .some(false)
        case 2: return .some(true)
        default: return nil
        }
    }

    mutating func repository() -> Repository? {
        var texts: [String] = []
        for _ in 0..<7 {
            guard let text = string() else { return nil }
            texts.append(text)
        }
        guard let privacy = byte(), privacy <= 1 else { return nil }
        var optionals: [String?] = []
        for _ in 0..<11 {
            guard let text = optionalString() else { return nil }
            optionals.append(text)
        }
        guard let size = optionalInt(), let created = optionalInt(), let updated = optionalInt(),
              let hasIssues = optionalBool(), let hasWiki = optionalBool() else { return nil }
        func date(_ bits: Int64?) -> Date? { bits.map { Date(timeIntervalSince1970: Double(bitPattern: UInt64(bitPattern: $0))) } }
        return Repository(
            uuid: texts[0], name: texts[1], slug: texts[2], fullName: texts[3], workspaceSlug: texts[4], workspaceName: optionals[0],
            description: texts[5], isPrivate: privacy == 1, language: texts[6], size: size, createdOn: date(created), updatedOn: date(updated),
            mainBranch: optionals[1], forkPolicy: optionals[2], hasIssues: hasIssues, hasWiki: hasWiki, projectKey: optionals[3],
            projectName: optionals[4], parentFullName: optionals[5], parentUUID: optionals[6], cloneHTTPS: optionals[7],
            cloneSSH: optionals[8], webURL: optionals[9], website: optionals[10]
        )
    }
}
