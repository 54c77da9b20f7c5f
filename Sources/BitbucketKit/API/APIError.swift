import Foundation

/// Why an API call failed, each with what to do about it.
public enum APIError: Error, Equatable, CustomStringConvertible {
    /// The token was refused and could not be refreshed: log in again.
    case unauthorized(String)
    /// The consumer lacks a permission the endpoint needs.
    case missingScopes(required: [String], granted: [String])
    /// 429: Bitbucket's rolling-hour limit (no Retry-After is sent).
    case rateLimited
    /// bbtui's own stop short of the rate limit: it will not send more this hour.
    case budgetSpent(used: Int, limit: Int, freesAt: Date)
    /// 410: the endpoint was removed (CHANGE-2770).
    case gone(change: String, message: String)
    case notFound(String)
    /// 5xx, or a proxy's error page.
    case server(Int, String)
    /// Any other HTTP error.
    case http(Int, String)
    case network(TransportError)
    /// The body did not have the expected shape; `context` says where.
    case decoding(String)

    public var description: String {
        switch self {
        case .unauthorized(let message):
            return "Not authorised: \(message)"
        case .missingScopes(let required, let granted) where required.contains(where: { $0.contains(":") }):
            return
                "The API token lacks the \(required.joined(separator: ", ")) scope (granted: \(granted.isEmpty ? "none" : granted.joined(separator: ", "))). API tokens keep the scopes chosen when they were made: make a new one with it at \(OAuthError.apiTokenPage), then run `bbtui login --api-token`."
        case .missingScopes(let required, let granted):
            let boxes = required.map(APIError.permissionName).joined(separator: ", ")
            return
                "The OAuth consumer lacks the \(required.joined(separator: ", ")) scope (granted: \(granted.isEmpty ? "none" : granted.joined(separator: ", "))). In Bitbucket, edit the consumer and tick \(boxes), then log in again."
        case .rateLimited:
            return
                "Bitbucket's rate limit was reached (1,000 requests an hour for repositories) and did not lift while bbtui backed off and retried. What was loaded is kept."
        case .budgetSpent(let used, let limit, let freesAt):
            let minutes = max(1, Int((freesAt.timeIntervalSinceNow / 60).rounded(.up)))
            return
                "bbtui has sent \(used) of Bitbucket's \(limit) repository requests this hour and stops here rather than run into the limit; more are allowed in \(minutes) min. What was loaded is kept."
        case .gone(let change, let message):
            return "Bitbucket removed this endpoint (\(change)): \(message)."
        case .notFound(let message):
            return "Not found: \(message)"
        case .server(let status, let detail):
            return "Bitbucket failed with HTTP \(status)\(detail.isEmpty ? "" : " (\(detail))")."
        case .http(let status, let message):
            return "Bitbucket answered HTTP \(status)" + (message.isEmpty ? " with no explanation." : ": \(message)")
        case .network(let error):
            return error.description
        case .decoding(let context):
            return "Bitbucket's answer could not be read (\(context))."
        }
    }

    /// The consumer permission box for a scope.
    static func permissionName(_ scope: String) -> String {
        switch scope {
        case "account": return "Account: Read"
        case "email": return "Account: Email"
        case "repository": return "Repositories: Read"
        case "team": return "Workspace membership: Read"
        default: return scope
        }
    }

    /// True when the same request may well work a little later (network, 5xx, 429, a garbled
    /// answer): front ends offer to retry.
    public var isTransient: Bool {
        switch self {
        case .rateLimited, .budgetSpent, .server, .network, .decoding: return true
        default: return false
        }
    }

    /// True when only a new login helps.
    public var needsLogin: Bool {
        if case .unauthorized = self { return true }
        return false
    }
}
