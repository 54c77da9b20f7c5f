import Foundation

/// Any failure bbtui reports, comparable so the app's `update` can be tested: the service
/// layer's errors, and the configuration and store problems around them. Facts only; each front
/// end adds its own next step (the app's `screenText`, the command line's own wording).
public enum ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case api(APIError)
    case oauth(OAuthError)
    case configuration(String)
    case store(String)
    case other(String)

    /// Wraps any error.
    public init(_ error: any Error) {
        switch error {
        case let error as ServiceError: self = error
        case let error as APIError: self = .api(error)
        case let error as OAuthError: self = .oauth(error)
        case let error as ConfigurationError: self = .configuration(error.description)
        case let error as StoreError: self = .store(error.description)
        case let error as TransportError: self = .api(.network(error))
        default: self = .other(String(describing: error))
        }
    }

    public var description: String {
        switch self {
        case .api(let error): return error.description
        case .oauth(let error): return error.description
        case .configuration(let text), .store(let text), .other(let text): return text
        }
    }

    /// True when trying the same thing again a little later may well work.
    public var isTransient: Bool {
        switch self {
        case .api(let error): return error.isTransient
        case .oauth(let error): return error.isTransient
        default: return false
        }
    }

    /// True when a retry makes sense only after a while (Bitbucket's rolling-hour rate limit).
    public var isRetryableLater: Bool {
        switch self {
        case .api(.rateLimited), .api(.budgetSpent): return true
        default: return false
        }
    }

    /// True when only a new login can fix it (dead refresh token, revoked access).
    public var needsLogin: Bool {
        switch self {
        case .api(let error): return error.needsLogin
        case .oauth(let error): return error.needsLogin
        default: return false
        }
    }
}
