import Foundation

/// Whether each pane's endpoint works with this login: one request per pane, in the order the
/// panes are shown. A pane whose permission is missing names it, with the box to tick.
public struct PermissionReport: Sendable, Equatable {
    /// One pane and what its endpoint answered.
    public struct Line: Sendable, Equatable {
        /// The pane ("Profile", "Emails", …).
        public var pane: String
        /// The request that was made.
        public var endpoint: String
        public var outcome: Outcome
    }

    public enum Outcome: Sendable, Equatable {
        case works
        /// The permission is missing (the scopes the endpoint needs, and those granted).
        case missing(required: [String], granted: [String])
        /// Something else went wrong; the check could not tell.
        case failed(String)
    }

    public var lines: [Line]

    /// True when every pane's endpoint works.
    public var allWork: Bool { lines.allSatisfy { $0.outcome == .works } }

    /// What a line says: "works", or the permission to tick and that a new login receives it.
    public static func describe(_ outcome: Outcome) -> String {
        switch outcome {
        case .works:
            return "works"
        case .missing(let required, _) where required.contains(where: { $0.contains(":") }):
            return
                "missing the \(required.joined(separator: ", ")) scope: make a new API token with it, then bbtui login --api-token (a token keeps the scopes it was made with)"
        case .missing(let required, _):
            let boxes = required.map(APIError.permissionName).joined(separator: ", ")
            return
                "missing the \(required.joined(separator: ", ")) permission: tick \(boxes) in the consumer, then log in again (only a new login receives new permissions)"
        case .failed(let message):
            return "could not check: \(message)"
        }
    }

    /// Asks each pane's endpoint once (user, emails, workspaces, one workspace's repositories,
    /// SSH keys) as `client`'s login. Without `readsRepositories`, the repositories are judged
    /// from `grantedScopes` instead of a request (a login should not spend one of the hour's
    /// repository requests); with no scopes known, that line is left out.
    public static func check(
        _ client: BitbucketClient, readsRepositories: Bool = true, grantedScopes: [String] = []
    ) async -> PermissionReport {
        func outcome(_ body: () async throws(APIError) -> Void) async -> Outcome {
            do {
                try await body()
                return .works
            } catch .missingScopes(let required, let granted) {
                return .missing(required: required, granted: granted)
            } catch {
                return .failed(error.description)
            }
        }
        var user: User?
        var workspaces: [Workspace] = []
        var lines: [Line] = []
        lines.append(
            Line(
                pane: "Profile", endpoint: "GET /user",
                outcome: await outcome { () throws(APIError) in user = try await client.currentUser() }))
        lines.append(
            Line(
                pane: "Emails", endpoint: "GET /user/emails",
                outcome: await outcome { () throws(APIError) in _ = try await client.emails() }))
        lines.append(
            Line(
                pane: "Workspaces", endpoint: "GET /user/workspaces",
                outcome: await outcome { () throws(APIError) in workspaces = try await client.workspaces(names: false) }
            ))
        if !readsRepositories {
            if !grantedScopes.isEmpty {
                lines.append(
                    Line(
                        pane: "Repositories", endpoint: "the token's scopes",
                        outcome: grantedScopes.contains("repository")
                            ? .works : .missing(required: ["repository"], granted: grantedScopes)))
            }
        } else if let first = workspaces.first {
            lines.append(
                Line(
                    pane: "Repositories", endpoint: "GET /repositories/\(first.slug)",
                    outcome: await outcome { () throws(APIError) in
                        _ = try await client.repositoryPage(
                            workspace: first.slug, page: 1, sort: "-updated_on", query: [],
                            roleFilterIsGone: RoleFilterFlag())
                    }))
        } else {
            let why = lines[2].outcome == .works ? "you belong to no workspace" : "the workspaces could not be read"
            lines.append(Line(pane: "Repositories", endpoint: "—", outcome: .failed("not checked: \(why)")))
        }
        if let user {
            lines.append(
                Line(
                    pane: "SSH keys", endpoint: "GET /users/{you}/ssh-keys",
                    outcome: await outcome { () throws(APIError) in _ = try await client.sshKeys(user: user.uuid) }))
        } else {
            lines.append(
                Line(pane: "SSH keys", endpoint: "—", outcome: .failed("not checked: the profile could not be read")))
        }
        return PermissionReport(lines: lines)
    }
}
