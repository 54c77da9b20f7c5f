import Foundation

/// A login or refresh failure, mapped to what the person should do.
public enum OAuthError: Error, Equatable, CustomStringConvertible {
    /// The refresh token is dead (revoked, unused for three months, or already rotated away):
    /// log in again.
    case invalidGrant(String)
    /// The authorization code was refused at the exchange: expired (codes live about a minute),
    /// already used, or made for another consumer or redirect URI.
    case codeRejected(String)
    /// Wrong Key or Secret, or a callback URL that does not match: fix the consumer setup.
    case clientMisconfigured(String)
    /// The person denied access in the browser.
    case accessDenied
    /// The token endpoint answered something that is not a token.
    case malformedResponse(String)
    /// The token endpoint failed (5xx, proxy page).
    case server(Int, String)
    /// No answer at all.
    case network(TransportError)
    /// The stored account has no refresh token and its access token expired.
    case loginRequired(String)
    /// The refresh token is dead because an earlier refresh, started at the given time, was
    /// answered by Bitbucket (which then replaced the token) but its answer never reached the
    /// store: that process was killed in between.
    case refreshInterrupted(at: Date, detail: String)

    /// Where a person makes an Atlassian API token.
    public static let apiTokenPage = "https://id.atlassian.com/manage-profile/security/api-tokens"

    public var description: String {
        switch self {
        case .invalidGrant(let detail):
            return
                "Bitbucket did not accept the refresh token (\(detail)): it was revoked, unused for three months, or already replaced. Log in again."
        case .codeRejected(let detail):
            return
                "Bitbucket did not accept the code (\(detail)): codes expire about a minute after approval and work once."
        case .clientMisconfigured(let detail):
            return
                "The OAuth consumer was refused (\(detail)). Check BITBUCKET_CLIENT_ID (the consumer's Key), BITBUCKET_CLIENT_SECRET (its Secret), and that its callback URL matches BBTUI_REDIRECT_URI."
        case .accessDenied:
            return "Access was denied in the browser. To log in, open the URL again and choose Grant access."
        case .malformedResponse(let detail):
            return
                "The token endpoint answered with something that is not a token (\(detail)). Check BBTUI_TOKEN_URL; a proxy may be in the way."
        case .server(let status, let detail):
            return "The token endpoint failed with HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")."
        case .network(let error):
            return error.description
        case .loginRequired(let reason):
            // A reason that names its login command already says what to do.
            return reason.contains("`bbtui login") ? reason : "\(reason) Log in again."
        case .refreshInterrupted(let startedAt, let detail):
            return
                "A token refresh started at \(Format.timestamp(startedAt)) was interrupted: bbtui was stopped after "
                + "asking Bitbucket for new tokens and before it could store them, and Bitbucket has since replaced "
                + "the refresh token (a replaced one keeps working for about 10 minutes; \(detail)). Log in again."
        }
    }

    /// True when the request may have reached Bitbucket and been acted on (no answer, a failing
    /// server, or an answer that is not a token): a refresh token may have been replaced.
    public var mayHaveReachedServer: Bool {
        switch self {
        case .network, .server, .malformedResponse: return true
        default: return false
        }
    }

    /// True when the same request may work a little later (network trouble, a failing server).
    public var isTransient: Bool {
        switch self {
        case .server, .network: return true
        default: return false
        }
    }

    /// True when only a new login can fix this.
    public var needsLogin: Bool {
        switch self {
        case .invalidGrant, .accessDenied, .loginRequired, .refreshInterrupted: return true
        default: return false
        }
    }
}

/// `{"error_description": "…", "error": "…"}`.
struct OAuthErrorBody: Decodable {
    var error: String?
    var errorDescription: String?

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }
}
