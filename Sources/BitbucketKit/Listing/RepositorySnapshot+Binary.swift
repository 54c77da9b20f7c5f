import Foundation

/// The cache keeps a listing as one compact binary blob , not as
/// 100,000 keyed JSON objects: `JSONEncoder` and `JSONDecoder` spent more time on the cache than
/// the whole listing on the network. A blob that does not read back whole is refused, and the
/// cache then simply has nothing for the account.
extension RepositorySnapshot: CacheBlob {
    public func cacheBytes() -> [UInt8] {
        var writer = BinaryWriter()
        writer.bytes.reserveCapacity(repositories.count * 160 + 1024)
        writer.bytes += Array("BBRS".utf8)
        writer.int(Int64(RepositorySnapshot.format))
        writer.int(Int64(workspaces.count))
        for workspace in workspaces { writer.string(workspace) }
        writer.etags(etags)
        writer.int(Int64(repositories.count))
        for repository in repositories { writer.repository(repository) }
        return writer.bytes
    }

    public init?(cacheBytes bytes: [UInt8]) {
        guard bytes.starts(with: Array("BBRS".utf8)) else { return nil }
        var reader = BinaryReader(bytes: bytes, index: 4)
        guard reader.int() == Int64(RepositorySnapshot.format), let count = reader.int(), count >= 0,
            count <= bytes.count
        else { return nil }
        var workspaces: [String] = []
        for _ in 0..<count {
            guard let workspace = reader.string() else { return nil }
            workspaces.append(workspace)
        }
        guard let etags = reader.etags(), let repositories = reader.repositories() else { return nil }
        self.init(workspaces: workspaces, repositories: repositories, etags: etags)
    }

    /// 3: the stored fields as they are (links relative to the full name), repeated strings
    /// written once and then as "the same as the repository before".
    private static let format = 3
}

private struct BinaryWriter {
    var bytes: [UInt8] = []
    /// The repository before's values of the fields that repeat.
    private var previous = Repeated()

    /// A count or length: seven bits a byte, low first.
    mutating func int(_ value: Int64) {
        var bits = UInt64(bitPattern: value)
        while bits >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: bits) | 0x80)
            bits >>= 7
        }
        bytes.append(UInt8(bits))
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

    /// A count, then each workspace and its ETag, sorted (the same listing, the same bytes).
    mutating func etags(_ etags: [String: String]) {
        int(Int64(etags.count))
        for (workspace, etag) in etags.sorted(by: { $0.key < $1.key }) {
            string(workspace)
            string(etag)
        }
    }

    /// 0: none, 1: the same as the repository before, 2: this string.
    mutating func repeated(_ text: String?, _ previous: inout String?) {
        guard let text else {
            bytes.append(0)
            return
        }
        if text == previous {
            bytes.append(1)
        } else {
            bytes.append(2)
            string(text)
            previous = text
        }
    }

    mutating func optional(_ value: Int64?) {
        bytes.append(value == nil ? 0 : 1)
        if let value { int(value) }
    }

    mutating func optional(_ date: Date?) {
        bytes.append(date == nil ? 0 : 1)
        if let date {
            withUnsafeBytes(of: date.timeIntervalSince1970.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    mutating func optional(_ flag: Bool?) {
        bytes.append(flag.map { $0 ? 2 : 1 } ?? 0)
    }

    /// The stored fields as they are, in this order (the reader's).
    mutating func repository(_ repository: Repository) {
        let f = repository.fields
        var previous = self.previous
        defer { self.previous = previous }
        string(f.uuid)
        string(f.name)
        if f.slug == f.name {
            bytes.append(0)
        } else {
            bytes.append(1)
            string(f.slug)
        }
        optional(f.fullName)
        repeated(f.workspaceSlug, &previous.workspaceSlug)
        repeated(f.workspaceName, &previous.workspaceName)
        string(f.description)
        bytes.append(f.isPrivate ? 1 : 0)
        repeated(f.language, &previous.language)
        optional(f.size)
        optional(f.createdOn)
        optional(f.updatedOn)
        repeated(f.mainBranch, &previous.mainBranch)
        repeated(f.forkPolicy, &previous.forkPolicy)
        optional(f.hasIssues)
        optional(f.hasWiki)
        repeated(f.projectKey, &previous.projectKey)
        repeated(f.projectName, &previous.projectName)
        optional(f.parentFullName)
        optional(f.parentUUID)
        let links = f.links
        repeated(links.httpsUser, &previous.httpsUser)
        optional(links.httpsOther)
        bytes.append(links.ssh.rawValue)
        optional(links.sshOther)
        optional(links.htmlOther)
        bytes.append(links.hasHTML ? 1 : 0)
        optional(f.website)
    }
}

/// The fields written as "the same as the repository before".
private struct Repeated {
    var workspaceSlug: String?
    var workspaceName: String?
    var language: String?
    var mainBranch: String?
    var forkPolicy: String?
    var projectKey: String?
    var projectName: String?
    var httpsUser: String?
}

private struct BinaryReader {
    let bytes: [UInt8]
    var index = 0
    private var previous = Repeated()

    init(bytes: [UInt8], index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

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

    mutating func etags() -> [String: String]? {
        guard let count = int(), count >= 0, count <= bytes.count else { return nil }
        var etags: [String: String] = [:]
        for _ in 0..<count {
            guard let workspace = string(), let etag = string(), etags.updateValue(etag, forKey: workspace) == nil
            else { return nil }
        }
        return etags
    }

    mutating func byte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func int() -> Int64? {
        var bits: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = byte() {
            guard shift < 64 else { return nil }
            bits |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return Int64(bitPattern: bits) }
            shift += 7
        }
        return nil
    }

    mutating func string() -> String? {
        guard let length = int(), length >= 0, length <= bytes.count - index else { return nil }
        defer { index += Int(length) }
        return bytes.withUnsafeBufferPointer {
            String(validating: UnsafeBufferPointer(rebasing: $0[index..<(index + Int(length))]), as: UTF8.self)
        }
    }

    /// `.some(nil)` for an absent value, nil for damage.
    mutating func optionalString() -> String?? {
        switch byte() {
        case 0: return .some(nil)
        case 1: return string().map { .some($0) }
        default: return nil
        }
    }

    mutating func repeated(_ previous: inout String?) -> String?? {
        switch byte() {
        case 0: return .some(nil)
        case 1: return previous.map { .some($0) }
        case 2:
            guard let text = string() else { return nil }
            previous = Repository.intern(text)
            return .some(previous)
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

    mutating func optionalDate() -> Date?? {
        switch byte() {
        case 0: return .some(nil)
        case 1:
            guard index + 8 <= bytes.count else { return nil }
            var bits: UInt64 = 0
            for offset in (0..<8).reversed() { bits = bits << 8 | UInt64(bytes[index + offset]) }
            index += 8
            return .some(Date(timeIntervalSince1970: Double(bitPattern: bits)))
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
        var previous = self.previous
        defer { self.previous = previous }
        guard let uuid = string(), let name = string(), let slugKind = byte() else { return nil }
        let slug: String
        switch slugKind {
        case 0: slug = name
        case 1:
            guard let text = string() else { return nil }
            slug = text
        default: return nil
        }
        guard let fullName = optionalString(), let workspaceSlug = repeated(&previous.workspaceSlug).flatMap({ $0 }),
            let workspaceName = repeated(&previous.workspaceName), let description = string(),
            let privacy = byte(), privacy <= 1, let language = repeated(&previous.language).flatMap({ $0 }),
            let size = optionalInt(), let createdOn = optionalDate(), let updatedOn = optionalDate(),
            let mainBranch = repeated(&previous.mainBranch), let forkPolicy = repeated(&previous.forkPolicy),
            let hasIssues = optionalBool(), let hasWiki = optionalBool(),
            let projectKey = repeated(&previous.projectKey), let projectName = repeated(&previous.projectName),
            let parentFullName = optionalString(), let parentUUID = optionalString(),
            let httpsUser = repeated(&previous.httpsUser), let httpsOther = optionalString(),
            let sshKind = byte(), let ssh = Repository.Links.SSH(rawValue: sshKind), let sshOther = optionalString(),
            let htmlOther = optionalString(), let hasHTML = byte(), hasHTML <= 1, let website = optionalString()
        else { return nil }
        var links = Repository.Links()
        (links.httpsUser, links.httpsOther, links.ssh, links.sshOther, links.htmlOther, links.hasHTML) = (
            httpsUser, httpsOther, ssh, sshOther, htmlOther, hasHTML == 1
        )
        return Repository(
            fields: Repository.Fields(
                uuid: uuid, name: name, slug: slug, fullName: fullName, workspaceSlug: workspaceSlug,
                workspaceName: workspaceName,
                description: description, isPrivate: privacy == 1, language: language, size: size, createdOn: createdOn,
                updatedOn: updatedOn,
                mainBranch: mainBranch, forkPolicy: forkPolicy, hasIssues: hasIssues, hasWiki: hasWiki,
                projectKey: projectKey,
                projectName: projectName, parentFullName: parentFullName, parentUUID: parentUUID, links: links,
                website: website
            ))
    }
}
