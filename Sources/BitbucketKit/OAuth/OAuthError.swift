/// A login or refresh failure, mapped to what the person should do.
public enum OAuthError: Error, Equatable, CustomStringConvertible {
    /// The code expired, was used already, or the refresh token is dead: log in again.
    case invalidGrant(String)
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

    public var description: String {
        switch self {
        case .invalidGrant(let detail):
            return "Bitbucket did not accept the grant (\(detail)). Codes expire within a minute and work once; refresh tokens die when unused for three months or revoked. Log in again."
        case .clientMisconfigured(let detail):
            return "The OAuth consumer was refused (\(detail)). Check BITBUCKET_CLIENT_ID (the consumer's Key), BITBUCKET_CLIENT_SECRET (its Secret), and that its callback URL matches BBTUI_REDIRECT_URI."
        case .accessDenied:
            return "Access was denied in the browser. Log in again and choose Grant access."
        case .malformedResponse(let detail):
            return "The token endpoint answered with something that is not a token (\(detail)). Check BBTUI_TOKEN_URL; a proxy may be in the way."
        case .server(let status, let detail):
            return "The token endpoint failed with HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)"). Bitbucket may be having trouble; try again in a minute."
        case .network(let error):
            return error.description
        case .loginRequired(let reason):
            return "\(reason) Log in again (bbtui login)."
        }
    }

    /// True when only a new login can fix this.
    public var needsLogin: Bool {
        switch self {
        case .invalidGrant, .accessDenied, .loginRequired: return true
        default: return false
        }
    }
}
