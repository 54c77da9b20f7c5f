import Crypto
import Foundation

/// One login attempt: a fresh `state` and PKCE pair, and the URL the person opens.
public struct AuthorizationRequest: Sendable, Equatable {
    /// 128+ random bits, checked when the redirect comes back.
    public var state: String
    /// The PKCE verifier, sent at the exchange (defence in depth; Bitbucket still wants the secret).
    public var codeVerifier: String
    public var codeChallenge: String
    /// The redirect URI sent, if any; then it must be sent again at the exchange.
    public var redirectURI: URL?
    /// What the person opens in a browser.
    public var url: URL

    /// Makes a new request with fresh random values.
    public static func make(configuration: OAuthConfiguration) -> AuthorizationRequest {
        make(configuration: configuration, state: randomURLSafe(bytes: 24), verifier: randomURLSafe(bytes: 32))
    }

    /// Makes a request with given values (tests).
    public static func make(configuration: OAuthConfiguration, state: String, verifier: String) -> AuthorizationRequest
    {
        let challenge = pkceChallenge(for: verifier)
        var components = URLComponents(url: configuration.authorizeURL, resolvingAgainstBaseURL: false)!
        var items = components.queryItems ?? []
        items.append(URLQueryItem(name: "client_id", value: configuration.clientID))
        items.append(URLQueryItem(name: "response_type", value: "code"))
        items.append(URLQueryItem(name: "state", value: state))
        if let redirect = configuration.redirectURI {
            items.append(URLQueryItem(name: "redirect_uri", value: redirect.absoluteString))
        }
        items.append(URLQueryItem(name: "code_challenge", value: challenge))
        items.append(URLQueryItem(name: "code_challenge_method", value: "S256"))
        components.percentEncodedQuery = items.map {
            FormEncoder.encode($0.name) + "=" + FormEncoder.encode($0.value ?? "")
        }.joined(separator: "&")
        return AuthorizationRequest(
            state: state, codeVerifier: verifier, codeChallenge: challenge, redirectURI: configuration.redirectURI,
            url: components.url!)
    }

    /// base64url(SHA-256(verifier)), RFC 7636.
    public static func pkceChallenge(for verifier: String) -> String {
        let digest = SHA256.hash(data: Array(verifier.utf8))
        return base64URL(digest.withUnsafeBytes { Data($0) })
    }

    static func randomURLSafe(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(Data(bytes))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// `application/x-www-form-urlencoded` encoding (RFC 3986 unreserved characters kept).
enum FormEncoder {
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static func body(_ items: [(String, String)]) -> [UInt8] {
        Array(items.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&").utf8)
    }
}
