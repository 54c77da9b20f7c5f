import Foundation

/// Adds `Authorization` to API requests (Bearer for OAuth; Basic with the email for an API
/// token); on a 401, refreshes once and retries once.
///
/// The token goes only to the configured API origin: a request anywhere else (a `next` link
/// pointing off-site, say) is refused rather than leaking the token.
public struct AuthorizedTransport: HTTPTransport {
    private let base: any HTTPTransport
    private let tokens: any TokenSource
    private let apiURL: URL

    /// Creates the transport.
    public init(base: any HTTPTransport, tokens: any TokenSource, apiURL: URL) {
        self.base = base
        self.tokens = tokens
        self.apiURL = apiURL
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.url.scheme == apiURL.scheme, request.url.host == apiURL.host, request.url.port == apiURL.port
        else {
            throw TransportError(
                .other, host: request.url.host ?? "",
                detail: "refusing to send the access token outside \(apiURL.absoluteString)")
        }
        let token = try await tokens.token()
        let response = try await base.send(authorized(request, token))
        guard response.status == 401 else { return response }
        let fresh = try await tokens.refresh(rejecting: token)
        return try await base.send(authorized(request, fresh))
    }

    private func authorized(_ request: HTTPRequest, _ token: Token) -> HTTPRequest {
        var copy = request
        copy.setHeader("Authorization", token.authorization)
        return copy
    }
}
