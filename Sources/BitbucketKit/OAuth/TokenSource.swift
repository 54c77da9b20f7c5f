import Foundation

/// Hands out a valid access token.
public protocol TokenSource: Sendable {
    /// A token that is not about to expire, refreshed first if needed.
    func token() async throws -> Token
    /// Called after the API rejected `token` with 401: returns a fresh one (refreshing unless
    /// someone already did).
    func refresh(rejecting token: Token) async throws -> Token
}

/// A token that never changes (tests, or a token given on the command line).
public struct StaticTokenSource: TokenSource {
    public let value: Token
    /// Creates a source.
    public init(_ value: Token) { self.value = value }
    public func token() async throws -> Token { value }
    public func refresh(rejecting token: Token) async throws -> Token {
        throw OAuthError.loginRequired("The access token was rejected.")
    }
}
