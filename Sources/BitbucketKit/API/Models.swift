import Foundation
import Synchronization

/// The logged-in user (`GET /user`) and the scopes their token carries.
public struct User: Sendable, Equatable, Codable {
    public var uuid: String
    public var displayName: String
    public var nickname: String?
    public var username: String?
    public var accountID: String?
    public var accountStatus: String?
    public var createdOn: Date?
    public var isStaff: Bool?
    /// Nil when Bitbucket does not say.
    public var hasTwoFactorAuthentication: Bool?
    public var location: String?
    public var website: String?
    public var avatarURL: String?
    public var webURL: String?
    /// From the `X-OAuth-Scopes` header of the response.
    public var grantedScopes: [String]

    /// A short name for lists: nickname, else username, else display name.
    public var handle: String { nickname ?? username ?? displayName }
}

/// One of the user's email addresses.
public struct Email: Sendable, Equatable, Codable {
    public var address: String
    public var isPrimary: Bool
    public var isConfirmed: Bool
}

/// A workspace the user has access to.
public struct Workspace: Sendable, Equatable, Codable {
    public var uuid: String
    public var slug: String
    /// Often missing from `/user/workspaces`; filled from `/workspaces/{slug}` where possible.
    public var name: String?
    public var isAdministrator: Bool

    /// Creates a workspace (for a workspace given by slug, `uuid` may be the slug).
    public init(uuid: String, slug: String, name: String?, isAdministrator: Bool) {
        self.uuid = uuid
        self.slug = slug
        self.name = name
        self.isAdministrator = isAdministrator
    }

    /// The name when known, else the slug.
    public var title: String { name.flatMap { $0.isEmpty ? nil : $0 } ?? slug }
}

/// A repository, every non-essential field optional because Bitbucket's fields come and go.
///
/// A copy-on-write handle to one shared record: a listing passes the same repository through
/// pages, batches, the merge and the screen's state, and 100,000 of them in four arrays would
/// otherwise be four copies of 400-byte values (and ten reference counts each per copy).
public struct Repository: Sendable, Equatable, Codable, Identifiable {
    /// The stored fields (the `Codable` shape is theirs: the same keys as before).
    struct Fields: Sendable, Equatable, Codable {
        var uuid: String
        var name: String
        var slug: String
        /// Nil when it is `workspaceSlug/slug` (almost always).
        var fullName: String?
        var workspaceSlug: String
        var workspaceName: String?
        var description: String
        var isPrivate: Bool
        var language: String
        var size: Int64?
        var createdOn: Date?
        var updatedOn: Date?
        var mainBranch: String?
        var forkPolicy: String?
        var hasIssues: Bool?
        var hasWiki: Bool?
        var projectKey: String?
        var projectName: String?
        var parentFullName: String?
        var parentUUID: String?
        /// The web and clone links, stored as what they add to the full name when they follow
        /// Bitbucket's patterns (they almost always do), else as they are.
        var links: Links
        var website: String?
    }

    /// `https://USER@bitbucket.org/FULL_NAME.git`, `git@ssh.bitbucket.org:FULL_NAME.git` and
    /// `https://bitbucket.org/FULL_NAME` are rebuilt from the full name on demand: three strings
    /// of 50–70 bytes fewer per repository.
    struct Links: Sendable, Equatable, Codable {
        enum SSH: UInt8, Codable { case none, ssh, plain, other }
        /// The user part of a standard HTTPS clone link, or the whole link otherwise.
        var httpsUser: String?
        var httpsOther: String?
        var ssh: SSH = .none
        var sshOther: String?
        /// Nil: standard (or `hasHTML` false: none).
        var htmlOther: String?
        var hasHTML = false

        /// No links (the parser and the cache blob fill them in).
        init() {}

        init(cloneHTTPS: String?, cloneSSH: String?, webURL: String?, fullName: String) {
            setCloneHTTPS(cloneHTTPS, fullName: fullName)
            setCloneSSH(cloneSSH, fullName: fullName)
            setWebURL(webURL, fullName: fullName)
        }

        func cloneHTTPS(fullName: String) -> String? {
            if let httpsOther { return httpsOther }
            return httpsUser.map { "https://\($0)@bitbucket.org/\(fullName).git" }
        }

        func cloneSSH(fullName: String) -> String? {
            switch ssh {
            case .none: return nil
            case .ssh: return "git@ssh.bitbucket.org:\(fullName).git"
            case .plain: return "git@bitbucket.org:\(fullName).git"
            case .other: return sshOther
            }
        }

        func webURL(fullName: String) -> String? {
            hasHTML ? htmlOther ?? "https://bitbucket.org/\(fullName)" : nil
        }

        mutating func setCloneHTTPS(_ link: String?, fullName: String) {
            guard let link else {
                (httpsUser, httpsOther) = (nil, nil)
                return
            }
            Links.withBytes(link, fullName) { setCloneHTTPS(bytes: $0, fullName: $1) { link } }
        }

        mutating func setCloneSSH(_ link: String?, fullName: String) {
            guard let link else {
                (ssh, sshOther) = (.none, nil)
                return
            }
            Links.withBytes(link, fullName) { setCloneSSH(bytes: $0, fullName: $1) { link } }
        }

        mutating func setWebURL(_ link: String?, fullName: String) {
            guard let link else {
                (hasHTML, htmlOther) = (false, nil)
                return
            }
            Links.withBytes(link, fullName) { setWebURL(bytes: $0, fullName: $1) { link } }
        }

        /// `https://USER@bitbucket.org/FULL_NAME.git`, compared byte for byte; `text` makes the
        /// link's string only when it is stored whole.
        mutating func setCloneHTTPS(
            bytes: UnsafeBufferPointer<UInt8>, fullName: UnsafeBufferPointer<UInt8>, text: () -> String
        ) {
            (httpsUser, httpsOther) = (nil, nil)
            let prefix = Links.https.utf8CodeUnitCount
            let tail = Links.httpsHost.utf8CodeUnitCount + fullName.count + Links.git.utf8CodeUnitCount
            if bytes.count > prefix + tail, Links.matches(bytes, 0, Links.https),
                Links.matches(bytes, bytes.count - tail, Links.httpsHost),
                Links.matches(bytes, bytes.count - tail + Links.httpsHost.utf8CodeUnitCount, fullName),
                Links.matches(bytes, bytes.count - Links.git.utf8CodeUnitCount, Links.git)
            {
                let user = UnsafeBufferPointer(rebasing: bytes[prefix..<(bytes.count - tail)])
                if !user.contains(UInt8(ascii: "@")), !user.contains(UInt8(ascii: "/")) {
                    httpsUser = Repository.intern(String(decoding: user, as: UTF8.self))
                    return
                }
            }
            httpsOther = text()
        }

        mutating func setCloneSSH(
            bytes: UnsafeBufferPointer<UInt8>, fullName: UnsafeBufferPointer<UInt8>, text: () -> String
        ) {
            sshOther = nil
            let git = Links.git.utf8CodeUnitCount
            func standard(_ host: StaticString) -> Bool {
                bytes.count == host.utf8CodeUnitCount + fullName.count + git && Links.matches(bytes, 0, host)
                    && Links.matches(bytes, host.utf8CodeUnitCount, fullName)
                    && Links.matches(bytes, bytes.count - git, Links.git)
            }
            if standard(Links.sshHost) {
                ssh = .ssh
            } else if standard(Links.plainHost) {
                ssh = .plain
            } else {
                (ssh, sshOther) = (.other, text())
            }
        }

        mutating func setWebURL(
            bytes: UnsafeBufferPointer<UInt8>, fullName: UnsafeBufferPointer<UInt8>, text: () -> String
        ) {
            hasHTML = true
            let isStandard =
                bytes.count == Links.web.utf8CodeUnitCount + fullName.count && Links.matches(bytes, 0, Links.web)
                && Links.matches(bytes, Links.web.utf8CodeUnitCount, fullName)
            htmlOther = isStandard ? nil : text()
        }

        static let https: StaticString = "https://"
        static let httpsHost: StaticString = "@bitbucket.org/"
        static let sshHost: StaticString = "git@ssh.bitbucket.org:"
        static let plainHost: StaticString = "git@bitbucket.org:"
        static let web: StaticString = "https://bitbucket.org/"
        static let git: StaticString = ".git"

        private static func withBytes(
            _ link: String, _ fullName: String, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void
        ) {
            var (link, fullName) = (link, fullName)
            link.withUTF8 { linkBytes in fullName.withUTF8 { nameBytes in body(linkBytes, nameBytes) } }
        }

        /// `bytes` holds `piece` at `offset` (the caller has checked the length).
        private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int, _ piece: StaticString) -> Bool {
            matches(bytes, offset, UnsafeBufferPointer(start: piece.utf8Start, count: piece.utf8CodeUnitCount))
        }

        private static func matches(
            _ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int, _ piece: UnsafeBufferPointer<UInt8>
        ) -> Bool {
            guard offset >= 0, offset + piece.count <= bytes.count else { return false }
            return piece.isEmpty || memcmp(bytes.baseAddress! + offset, piece.baseAddress!, piece.count) == 0
        }
    }

    /// Immutable: a change makes a new record (changes are rare, reads are not, and reading a
    /// class's `let` needs no exclusivity check).
    final class Storage: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage

    /// The stored fields (the cache writes them as they are).
    var fields: Fields { storage.fields }

    private var mutableFields: Fields {
        get { storage.fields }
        _modify {
            var fields = storage.fields
            yield &fields
            storage = Storage(fields)
        }
    }

    public var uuid: String {
        get { storage.fields.uuid }
        set { mutableFields.uuid = newValue }
    }
    public var name: String {
        get { storage.fields.name }
        set { mutableFields.name = newValue }
    }
    public var slug: String {
        get { storage.fields.slug }
        set {
            // The full name may be derived from the workspace and slug: keep it as it was.
            let name = fullName
            mutableFields.slug = newValue
            mutableFields.fullName = Repository.storedFullName(name, workspaceSlug: workspaceSlug, slug: slug)
        }
    }
    public var fullName: String {
        get { storage.fields.fullName ?? storage.fields.workspaceSlug + "/" + storage.fields.slug }
        set {
            // The links are stored relative to the full name: keep them as they were.
            let (https, ssh, web) = (cloneHTTPS, cloneSSH, webURL)
            mutableFields.fullName = Repository.storedFullName(newValue, workspaceSlug: workspaceSlug, slug: slug)
            mutableFields.links = Links(cloneHTTPS: https, cloneSSH: ssh, webURL: web, fullName: newValue)
        }
    }
    public var workspaceSlug: String {
        get { storage.fields.workspaceSlug }
        set {
            // The full name may be derived from the workspace and slug: keep it as it was.
            let name = fullName
            mutableFields.workspaceSlug = newValue
            mutableFields.fullName = Repository.storedFullName(name, workspaceSlug: workspaceSlug, slug: slug)
        }
    }
    public var workspaceName: String? {
        get { storage.fields.workspaceName }
        set { mutableFields.workspaceName = newValue }
    }
    public var description: String {
        get { storage.fields.description }
        set { mutableFields.description = newValue }
    }
    public var isPrivate: Bool {
        get { storage.fields.isPrivate }
        set { mutableFields.isPrivate = newValue }
    }
    public var language: String {
        get { storage.fields.language }
        set { mutableFields.language = newValue }
    }
    public var size: Int64? {
        get { storage.fields.size }
        set { mutableFields.size = newValue }
    }
    public var createdOn: Date? {
        get { storage.fields.createdOn }
        set { mutableFields.createdOn = newValue }
    }
    public var updatedOn: Date? {
        get { storage.fields.updatedOn }
        set { mutableFields.updatedOn = newValue }
    }
    public var mainBranch: String? {
        get { storage.fields.mainBranch }
        set { mutableFields.mainBranch = newValue }
    }
    public var forkPolicy: String? {
        get { storage.fields.forkPolicy }
        set { mutableFields.forkPolicy = newValue }
    }
    public var hasIssues: Bool? {
        get { storage.fields.hasIssues }
        set { mutableFields.hasIssues = newValue }
    }
    public var hasWiki: Bool? {
        get { storage.fields.hasWiki }
        set { mutableFields.hasWiki = newValue }
    }
    public var projectKey: String? {
        get { storage.fields.projectKey }
        set { mutableFields.projectKey = newValue }
    }
    public var projectName: String? {
        get { storage.fields.projectName }
        set { mutableFields.projectName = newValue }
    }
    public var parentFullName: String? {
        get { storage.fields.parentFullName }
        set { mutableFields.parentFullName = newValue }
    }
    /// The parent's uuid, so a refresh can follow a parent renamed, moved or deleted since.
    public var parentUUID: String? {
        get { storage.fields.parentUUID }
        set { mutableFields.parentUUID = newValue }
    }
    public var cloneHTTPS: String? {
        get { storage.fields.links.cloneHTTPS(fullName: fullName) }
        set {
            let name = fullName
            mutableFields.links.setCloneHTTPS(newValue, fullName: name)
        }
    }
    public var cloneSSH: String? {
        get { storage.fields.links.cloneSSH(fullName: fullName) }
        set {
            let name = fullName
            mutableFields.links.setCloneSSH(newValue, fullName: name)
        }
    }
    public var webURL: String? {
        get { storage.fields.links.webURL(fullName: fullName) }
        set {
            let name = fullName
            mutableFields.links.setWebURL(newValue, fullName: name)
        }
    }
    public var website: String? {
        get { storage.fields.website }
        set { mutableFields.website = newValue }
    }

    public var id: String { uuid }

    /// A text the repository derives from its stored fields.
    public enum DerivedText: Sendable {
        case fullName, cloneHTTPS, cloneSSH, webURL
    }

    /// Hands `piece` the text's pieces in order, which joined are `fullName`, `cloneHTTPS`,
    /// `cloneSSH` or `webURL`: a writer that copies the text somewhere (the JSON of a listing)
    /// need not build it. False, with no piece, when the repository has no such link.
    @discardableResult
    public func pieces(of text: DerivedText, _ piece: (String) -> Void) -> Bool {
        let fields = storage.fields
        func fullName() {
            if let name = fields.fullName {
                piece(name)
            } else {
                piece(fields.workspaceSlug)
                piece("/")
                piece(fields.slug)
            }
        }
        let links = fields.links
        switch text {
        case .fullName:
            fullName()
        case .cloneHTTPS:
            if let other = links.httpsOther {
                piece(other)
            } else if let user = links.httpsUser {
                piece("https://")
                piece(user)
                piece("@bitbucket.org/")
                fullName()
                piece(".git")
            } else {
                return false
            }
        case .cloneSSH:
            switch links.ssh {
            case .none: return false
            case .ssh, .plain:
                piece(links.ssh == .ssh ? "git@ssh.bitbucket.org:" : "git@bitbucket.org:")
                fullName()
                piece(".git")
            case .other:
                guard let other = links.sshOther else { return false }
                piece(other)
            }
        case .webURL:
            guard links.hasHTML else { return false }
            if let other = links.htmlOther {
                piece(other)
            } else {
                piece("https://bitbucket.org/")
                fullName()
            }
        }
        return true
    }

    /// Creates a repository (tests, benchmarks, caches).
    public init(
        uuid: String, name: String, slug: String, fullName: String, workspaceSlug: String, workspaceName: String? = nil,
        description: String = "", isPrivate: Bool = true, language: String = "", size: Int64? = nil,
        createdOn: Date? = nil, updatedOn: Date? = nil, mainBranch: String? = nil, forkPolicy: String? = nil,
        hasIssues: Bool? = nil, hasWiki: Bool? = nil, projectKey: String? = nil, projectName: String? = nil,
        parentFullName: String? = nil, parentUUID: String? = nil, cloneHTTPS: String? = nil, cloneSSH: String? = nil,
        webURL: String? = nil, website: String? = nil
    ) {
        storage = Storage(
            Fields(
                uuid: uuid, name: name, slug: slug == name ? name : slug,
                fullName: Repository.storedFullName(fullName, workspaceSlug: workspaceSlug, slug: slug),
                workspaceSlug: Repository.intern(workspaceSlug), workspaceName: workspaceName.map(Repository.intern),
                description: description, isPrivate: isPrivate, language: Repository.intern(language), size: size,
                createdOn: createdOn, updatedOn: updatedOn,
                mainBranch: mainBranch.map(Repository.intern), forkPolicy: forkPolicy.map(Repository.intern),
                hasIssues: hasIssues, hasWiki: hasWiki, projectKey: projectKey.map(Repository.intern),
                projectName: projectName.map(Repository.intern), parentFullName: parentFullName, parentUUID: parentUUID,
                links: Links(cloneHTTPS: cloneHTTPS, cloneSSH: cloneSSH, webURL: webURL, fullName: fullName),
                website: website
            ))
    }

    /// A repository from fields already in their stored form (the page parser builds them).
    init(fields: Fields) {
        storage = Storage(fields)
    }

    /// What to store for a full name: nothing when it is `workspaceSlug/slug`.
    static func storedFullName(_ fullName: String, workspaceSlug: String, slug: String) -> String? {
        let workspace = workspaceSlug.utf8
        let repository = slug.utf8
        let name = fullName.utf8
        guard name.count == workspace.count + 1 + repository.count, name.starts(with: workspace),
            name.dropFirst(workspace.count).first == UInt8(ascii: "/"),
            name.dropFirst(workspace.count + 1).elementsEqual(repository)
        else { return fullName }
        return nil
    }

    /// One shared copy of each string that repeats across repositories (workspace, language,
    /// project, branch): long ones are stored once, not once per repository.
    static func intern(_ text: String) -> String {
        guard text.utf8.count > 15 else { return text } // Short strings live inline anyway.
        return interned.withLock { table in
            if let shared = table[text] { return shared }
            if table.count < 4_096 { table[text] = text }
            return text
        }
    }

    private static let interned = Mutex<[String: String]>([:])

    public static func == (lhs: Repository, rhs: Repository) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public init(from decoder: any Decoder) throws {
        storage = Storage(try Fields(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try storage.fields.encode(to: encoder)
    }
}

/// Repositories as they arrive, with how far along the listing is.
public struct RepositoryBatch: Sendable, Equatable {
    /// New repositories (never one seen before in this listing).
    public var repositories: [Repository]
    /// Repositories delivered so far, this batch included.
    public var loaded: Int
    /// The expected total, once every workspace's first page has said its size.
    public var expectedTotal: Int?
    /// Workspaces whose listing failed, with the error (the others go on).
    public var failures: [String: APIError]
    /// `repositories` is the whole listing: it replaces everything delivered before.
    public var isSnapshot: Bool
    /// Workspaces whose count still disagrees with Bitbucket's `size` after every check
    /// (only in the final batch).
    public var mismatches: [String: CountMismatch]
    /// The listing's last batch.
    public var isFinal: Bool
    /// In the last batch: each workspace's first-page ETag, for the snapshot a refresh starts from.
    public var etags: [String: String]

    public init(
        repositories: [Repository], loaded: Int, expectedTotal: Int?, failures: [String: APIError],
        isSnapshot: Bool = false, mismatches: [String: CountMismatch] = [:], isFinal: Bool = false,
        etags: [String: String] = [:]
    ) {
        self.etags = etags
        self.repositories = repositories
        self.loaded = loaded
        self.expectedTotal = expectedTotal
        self.failures = failures
        self.isSnapshot = isSnapshot
        self.mismatches = mismatches
        self.isFinal = isFinal
    }

    /// Something is missing: a workspace failed or its count disagrees.
    public var isIncomplete: Bool { !failures.isEmpty || !mismatches.isEmpty }
}

/// A complete listing as it is cached: the workspaces it covers wholly, and their repositories.
/// A refresh starts from it and asks Bitbucket only for what changed.
public struct RepositorySnapshot: Sendable, Equatable {
    // Coded as a compact blob: see RepositorySnapshot+Binary.swift.
    /// Slugs of the workspaces whose every repository is in `repositories`.
    public var workspaces: [String]
    public var repositories: [Repository]
    /// The ETag of each workspace's first page when the listing was taken (when the server sent
    /// one): a refresh asks with `If-None-Match` whether it changed.
    public var etags: [String: String]

    public init(workspaces: [String], repositories: [Repository], etags: [String: String] = [:]) {
        self.workspaces = workspaces
        self.repositories = repositories
        self.etags = etags
    }

    /// What a listing that ended incomplete (the hour's requests ran out, a workspace failed)
    /// still got whole: the workspaces without a failure or a count that disagrees, with their
    /// repositories. Kept apart from the last complete listing, it lets the next listing refresh
    /// them (one request each) and spend the hour on the rest: an account too large for one
    /// hour's requests is listed whole over several. Nil when no workspace is whole.
    public static func progress(
        of workspaces: [String], repositories: [Repository], failures: [String: APIError],
        mismatches: [String: CountMismatch], etags: [String: String]
    ) -> RepositorySnapshot? {
        let whole = workspaces.filter { failures[$0] == nil && mismatches[$0] == nil }
        guard !whole.isEmpty else { return nil }
        let wanted = Set(whole)
        return RepositorySnapshot(
            workspaces: whole, repositories: repositories.filter { wanted.contains($0.workspaceSlug) },
            etags: etags.filter { wanted.contains($0.key) }
        )
    }

    /// The listing a refresh starts from: the last complete one, with the workspaces a later,
    /// incomplete listing got whole in place of theirs.
    public static func start(complete: RepositorySnapshot?, progress: RepositorySnapshot?) -> RepositorySnapshot? {
        guard let progress else { return complete }
        guard let complete else { return progress }
        let newer = Set(progress.workspaces)
        return RepositorySnapshot(
            workspaces: complete.workspaces.filter { !newer.contains($0) } + progress.workspaces,
            repositories: complete.repositories.filter { !newer.contains($0.workspaceSlug) } + progress.repositories,
            etags: complete.etags.filter { !newer.contains($0.key) }.merging(progress.etags) { _, new in new }
        )
    }
}

/// A workspace whose repository count still disagreed with Bitbucket's `size` after every check.
public struct CountMismatch: Sendable, Equatable {
    /// Repositories listed for the workspace.
    public var listed: Int
    /// What Bitbucket said the workspace holds.
    public var reported: Int
    /// True when the workspace kept changing while it was listed (the reason for the difference).
    public var keptChanging: Bool

    public init(listed: Int, reported: Int, keptChanging: Bool) {
        self.listed = listed
        self.reported = reported
        self.keptChanging = keptChanging
    }
}
