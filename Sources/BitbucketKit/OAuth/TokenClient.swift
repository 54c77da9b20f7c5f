import Foundation

/// Talks to the token endpoint: exchanges a code, refreshes a token.
///
/// Bodies are form-encoded (Bitbucket rejects JSON with "Unsupported grant type: None"), the
/// client authenticates with HTTP Basic, and the request is never retried blindly: a code is
/// single-use and a refresh token rotates, so a second send could spend what the first one got.
public struct TokenClient: Sendable {
    private let configuration: OAuthConfiguration
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date

    /// Creates a client.
    public init(
        configuration: OAuthConfiguration, transport: any HTTPTransport, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configuration = configuration
        self.transport = transport
        self.now = now
    }

    /// Exchanges an authorization code for tokens.
    public func exchange(code: String, for request: AuthorizationRequest) async throws(OAuthError) -> Token {
        var form = [("grant_type", "authorization_code"), ("code", code)]
        if let redirect = request.redirectURI { form.append(("redirect_uri", redirect.absoluteString)) }
        form.append(("code_verifier", request.codeVerifier))
        do {
            return try await post(form)
        } catch .invalidGrant(let detail) {
            throw .codeRejected(detail)
        }
    }

    /// Trades a refresh token for a new pair (the old refresh token dies soon after).
    public func refresh(_ refreshToken: String) async throws(OAuthError) -> Token {
        try await post([("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
    }

    /// What Bitbucket says of this consumer's Key and Secret.
    public enum ConsumerCheck: Sendable, Equatable {
        /// The pair is right.
        case accepted
        /// Bitbucket refused the pair (its words).
        case refused(String)
        /// No answer that tells: the network, a proxy's page, a server error.
        case failed(OAuthError)
    }

    /// Checks the Key and Secret with no user and no side effect: a token request with a
    /// made-up code answers `invalid_grant` for a right pair and `unauthorized_client` for a
    /// wrong one (`client_credentials` would work only for private consumers, and would
    /// return a token).
    public func checkConsumer() async -> ConsumerCheck {
        do {
            _ = try await post([("grant_type", "authorization_code"), ("code", "bbtui-consumer-check")])
            return .failed(.malformedResponse("the token endpoint gave a token for a made-up code"))
        } catch .invalidGrant {
            return .accepted
        } catch .clientMisconfigured(let detail) {
            return .refused(detail)
        } catch {
            return .failed(error)
        }
    }

    private func post(_ form: [(String, String)]) async throws(OAuthError) -> Token {
        let credentials = Data("\(configuration.clientID):\(configuration.clientSecret)".utf8).base64EncodedString()
        let request = HTTPRequest(
            method: "POST",
            url: configuration.tokenURL,
            headers: [
                ("Authorization", "Basic \(credentials)"), ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json"),
            ],
            body: FormEncoder.body(form)
        )
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw .network(error)
        } catch {
            throw .network(TransportError(.other, host: configuration.tokenURL.host ?? "", detail: "\(error)"))
        }
        return try TokenClient.interpret(response, now: now())
    }

    /// Maps a token endpoint response to a token or an error.
    static func interpret(_ response: HTTPResponse, now: Date) throws(OAuthError) -> Token {
        if response.status == 200 {
            do {
                return try JSONDecoder().decode(TokenResponse.self, from: Data(response.body)).token(now: now)
            } catch {
                throw .malformedResponse(response.isJSON ? "missing access_token" : "not JSON")
            }
        }
        if let body = try? JSONDecoder().decode(OAuthErrorBody.self, from: Data(response.body)), let code = body.error {
            let detail = body.errorDescription ?? code
            switch code {
            case "invalid_grant": throw .invalidGrant(detail)
            case "unauthorized_client", "invalid_client": throw .clientMisconfigured(detail)
            case "access_denied": throw .accessDenied
            case "invalid_request", "unsupported_grant_type", "invalid_scope": throw .clientMisconfigured(detail)
            default: break
            }
        }
        if response.status == 401 { throw .clientMisconfigured("HTTP 401") }
        let kind = response.headers["content-type"]?.contains("html") == true ? "an HTML page" : "an unexpected body"
        throw .server(response.status, kind)
    }
}
