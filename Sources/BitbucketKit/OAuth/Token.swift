import Foundation

/// An access token with its refresh token and what it may do.
public struct Token: Sendable, Equatable, Codable {
    public var accessToken: String
    public var refreshToken: String?
    /// When the access token stops working.
    public var expiresAt: Date
    /// Granted scopes, as the token response listed them.
    public var scopes: [String]
    public var tokenType: String
    /// An Atlassian API token's email (the HTTP Basic user name); nil for OAuth tokens.
    public var basicUser: String?

    /// The `tokenType` of an Atlassian API token: sent as HTTP Basic with `basicUser`, never
    /// refreshed (it works until its expiry or revocation, which Bitbucket does not tell).
    public static let apiTokenType = "api-token"

    /// True for an Atlassian API token.
    public var isAPIToken: Bool { tokenType == Token.apiTokenType }

    /// An API token for `email`.
    public static func apiToken(_ token: String, email: String) -> Token {
        var value = Token(
            accessToken: token, refreshToken: nil, expiresAt: .distantFuture, scopes: [], tokenType: apiTokenType)
        value.basicUser = email
        return value
    }

    /// The `Authorization` header value that carries this token.
    public var authorization: String {
        guard isAPIToken, let basicUser else { return "Bearer \(accessToken)" }
        return "Basic " + Data("\(basicUser):\(accessToken)".utf8).base64EncodedString()
    }

    /// Creates a token.
    public init(
        accessToken: String, refreshToken: String?, expiresAt: Date, scopes: [String], tokenType: String = "bearer"
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.scopes = scopes
        self.tokenType = tokenType
    }

    /// True when the token expires within `leeway` of `now` (so it is refreshed ahead of time).
    public func needsRefresh(at now: Date, leeway: TimeInterval = 60) -> Bool {
        expiresAt.timeIntervalSince(now) <= leeway
    }

    /// Redacted, so a token never ends up in a log by accident.
    public var redacted: String { "Token(…\(accessToken.suffix(4)), expires \(expiresAt))" }
}

extension Token: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { redacted }
    public var debugDescription: String { redacted }
}

/// The token endpoint's JSON, decoded tolerantly.
///
/// Since 2026-05-04 Bitbucket names the scopes `scope`; older responses say `scopes`. The
/// `token_type` is lower-case `bearer` but compared case-insensitively; `state` here is the grant
/// type, not the CSRF state, and is ignored.
struct TokenResponse: Decodable {
    var accessToken: String
    var refreshToken: String?
    var expiresIn: Double?
    var tokenType: String?
    var scope: String?
    var scopes: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresIn = "expires_in"
        case tokenType = "token_type"
        case scope, scopes
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accessToken = try container.decode(String.self, forKey: .accessToken)
        refreshToken = try container.decodeIfPresent(String.self, forKey: .refreshToken)
        if let number = try? container.decodeIfPresent(Double.self, forKey: .expiresIn) {
            expiresIn = number
        } else if let text = try? container.decodeIfPresent(String.self, forKey: .expiresIn) {
            expiresIn = Double(text)
        }
        tokenType = try container.decodeIfPresent(String.self, forKey: .tokenType)
        scope = try container.decodeIfPresent(String.self, forKey: .scope)
        scopes = try container.decodeIfPresent(String.self, forKey: .scopes)
    }

    func token(now: Date) -> Token {
        let list = (scope ?? scopes ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        // Without expires_in, assume Bitbucket's observed two hours.
        return Token(
            accessToken: accessToken, refreshToken: refreshToken, expiresAt: now.addingTimeInterval(expiresIn ?? 7200),
            scopes: list, tokenType: tokenType?.lowercased() ?? "bearer")
    }
}
