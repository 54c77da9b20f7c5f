import Foundation

/// A workspace with what the Workspaces pane and `bbtui workspaces` show about it.
public struct WorkspaceDetail: Sendable, Equatable, Codable {
    public var workspace: Workspace
    /// Project names, as `/workspaces/{slug}/projects` lists them.
    public var projects: [String]?
    /// How many repositories it holds (Bitbucket's `size`), when asked.
    public var repositoryCount: Int?
    /// What could not be read about it.
    public var problem: String?

    public init(workspace: Workspace, projects: [String]? = nil, repositoryCount: Int? = nil, problem: String? = nil) {
        self.workspace = workspace
        self.projects = projects
        self.repositoryCount = repositoryCount
        self.problem = problem
    }

    /// "administrator" or "member".
    public var role: String { workspace.isAdministrator ? "administrator" : "member" }
}

struct RawSSHKey: Decodable {
    var uuid: String?
    var key: String
    var label: String?
    var comment: String?
    var created_on: String?
    var last_used: String?
    var expires_on: String?

    var model: SSHKey {
        SSHKey(
            uuid: uuid ?? "", key: key, label: label ?? "", comment: comment ?? "",
            createdOn: created_on.flatMap(BitbucketDate.parse), lastUsed: last_used.flatMap(BitbucketDate.parse),
            expiresOn: expires_on.flatMap(BitbucketDate.parse)
        )
    }
}

struct RawProject: Decodable {
    var key: String?
    var name: String?
}

extension BitbucketClient {
    /// The account's SSH keys (`GET /users/{selected_user}/ssh-keys`, every page; scope `account`).
    public func sshKeys(user: String) async throws(APIError) -> [SSHKey] {
        try await allPages(url("/users/\(user)/ssh-keys", [("pagelen", "100")]), RawSSHKey.self, context: "SSH keys")
            .map(\.model)
    }

    /// Each workspace's name, projects and (with `counts`) repository count, concurrently; a
    /// workspace that cannot be read says so in its `problem`, the others go on.
    public func workspaceDetails(_ workspaces: [Workspace], counts: Bool) async throws(APIError) -> [WorkspaceDetail] {
        let results = await withTaskGroup(of: (Int, Result<WorkspaceDetail, APIError>).self) { group in
            for (index, workspace) in workspaces.enumerated() {
                group.addTask { (index, await self.detail(of: workspace, counts: counts)) }
            }
            var results: [Int: Result<WorkspaceDetail, APIError>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        var details: [WorkspaceDetail] = []
        for index in workspaces.indices {
            switch results[index] {
            case .success(let detail)?: details.append(detail)
            case .failure(let error)?:
                // Nothing about any workspace can be read without a login or the scope.
                if error.needsLogin { throw error }
                if case .missingScopes = error { throw error }
                details.append(WorkspaceDetail(workspace: workspaces[index], problem: error.description))
            case nil: break
            }
        }
        return details
    }

    private func detail(of workspace: Workspace, counts: Bool) async -> Result<WorkspaceDetail, APIError> {
        do {
            var detail = WorkspaceDetail(workspace: workspace)
            let slug = workspace.slug
            if workspace.name == nil {
                detail.workspace.name = try decode(
                    RawWorkspace.self, try await get(url("/workspaces/\(slug)"), context: "workspace \(slug)"),
                    context: "workspace \(slug)"
                ).name
            }
            let projects = try await allPages(
                url("/workspaces/\(slug)/projects", [("pagelen", "100")]), RawProject.self,
                context: "projects of \(slug)")
            detail.projects = projects.map { $0.name ?? $0.key ?? "" }
            if counts {
                struct Size: Decodable { var size: Int? }
                let page = try decode(
                    Size.self,
                    try await get(
                        url("/repositories/\(slug)", [("pagelen", "1"), ("fields", "size")]),
                        context: "repositories of \(slug)"), context: "repositories of \(slug)")
                detail.repositoryCount = page.size
            }
            return .success(detail)
        } catch {
            return .failure(error)
        }
    }
}
