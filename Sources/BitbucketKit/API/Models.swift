import Foundation

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
public struct Repository: Sendable, Equatable, Codable, Identifiable {
    public var uuid: String
    public var name: String
    public var slug: String
    public var fullName: String
    public var workspaceSlug: String
    public var workspaceName: String?
    public var description: String
    public var isPrivate: Bool
    public var language: String
    public var size: Int64?
    public var createdOn: Date?
    public var updatedOn: Date?
    public var mainBranch: String?
    public var forkPolicy: String?
    public var hasIssues: Bool?
    public var hasWiki: Bool?
    public var projectKey: String?
    public var projectName: String?
    public var parentFullName: String?
    /// The parent's uuid, so a refresh can follow a parent renamed, moved or deleted since.
    public var parentUUID: String?
    public var cloneHTTPS: String?
    public var cloneSSH: String?
    public var webURL: String?
    public var website: String?

    public var id: String { uuid }

    /// Creates a repository (tests, benchmarks, caches).
    public init(
        uuid: String, name: String, slug: String, fullName: String, workspaceSlug: String, workspaceName: String? = nil,
        description: String = "", isPrivate: Bool = true, language: String = "", size: Int64? = nil,
        createdOn: Date? = nil, updatedOn: Date? = nil, mainBranch: String? = nil, forkPolicy: String? = nil,
        hasIssues: Bool? = nil, hasWiki: Bool? = nil, projectKey: String? = nil, projectName: String? = nil,
        parentFullName: String? = nil, parentUUID: String? = nil, cloneHTTPS: String? = nil, cloneSSH: String? = nil, webURL: String? = nil, website: String? = nil
    ) {
        self.uuid = uuid
        self.name = name
        self.slug = slug
        self.fullName = fullName
        self.workspaceSlug = workspaceSlug
        self.workspaceName = workspaceName
        self.description = description
        self.isPrivate = isPrivate
        self.language = language
        self.size = size
        self.createdOn = createdOn
        self.updatedOn = updatedOn
        self.mainBranch = mainBranch
        self.forkPolicy = forkPolicy
        self.hasIssues = hasIssues
        self.hasWiki = hasWiki
        self.projectKey = projectKey
        self.projectName = projectName
        self.parentFullName = parentFullName
        self.parentUUID = parentUUID
        self.cloneHTTPS = cloneHTTPS
        self.cloneSSH = cloneSSH
        self.webURL = webURL
        self.website = website
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

    public init(repositories: [Repository], loaded: Int, expectedTotal: Int?, failures: [String: APIError], isSnapshot: Bool = false, mismatches: [String: CountMismatch] = [:], isFinal: Bool = false) {
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
