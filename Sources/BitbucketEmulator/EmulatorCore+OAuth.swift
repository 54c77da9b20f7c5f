import Crypto
import Foundation

extension EmulatorCore {
    // MARK: - GET /site/oauth2/authorize

    /// Acts as a person who is logged in and approves (or, with `--deny`, denies) at once.
    func authorize(_ request: EmulatorRequest) -> EmulatorResponse {
        let clientID = request.queryValue("client_id")
        guard clientID == configuration.clientID else {
            return htmlPage(
                400, title: "Invalid client_id",
                message: "Invalid client_id. This integration is misconfigured. Contact the vendor for assistance.")
        }
        let redirect = request.queryValue("redirect_uri")
        if let redirect, !redirect.hasPrefix(configuration.redirectURI) {
            return htmlPage(
                400, title: "Invalid redirect_uri",
                message: "Invalid redirect_uri. This integration is misconfigured. Contact the vendor for assistance.")
        }
        let target = redirect ?? configuration.redirectURI
        let separator = target.contains("?") ? "&" : "?"
        var items: [(String, String)]
        if request.queryValue("response_type") != "code" {
            items = [
                ("error", "unsupported_response_type"), ("error_description", "Only response_type=code is supported"),
            ]
        } else if configuration.deniesAuthorization {
            items = [("error", "access_denied"), ("error_description", "The user denied access to the application.")]
        } else {
            let code = issueCode(
                redirectURI: redirect,
                challenge: request.queryValue("code_challenge"),
                method: request.queryValue("code_challenge_method")
            )
            items = [("code", code)]
        }
        if let state = request.queryValue("state") { items.append(("state", state)) }
        let location = target + separator + FormEncoding.encode(items)
        return EmulatorResponse(
            status: 302, headers: [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
            body: "<html><body>Redirecting to <a href=\"\(location)\">the application</a>.</body></html>")
    }

    func issueCode(redirectURI: String?, challenge: String?, method: String?) -> String {
        state.withLock { state in
            let code = state.random.token(length: 18)
            state.codes[code] = CodeRecord(
                redirectURI: redirectURI, challenge: challenge, challengeMethod: method, issuedAt: clock.now)
            return code
        }
    }

    private func htmlPage(_ status: Int, title: String, message: String) -> EmulatorResponse {
        .text(
            status,
            "<!DOCTYPE html><html><head><title>\(title) — Bitbucket</title></head><body><h1>\(title)</h1><p>\(message)</p></body></html>",
            type: "text/html; charset=utf-8")
    }

    // MARK: - POST /site/oauth2/access_token

    func token(_ request: EmulatorRequest) -> EmulatorResponse {
        let contentType = request.headers["content-type"]?.lowercased() ?? ""
        let form =
            contentType.hasPrefix("application/x-www-form-urlencoded")
            ? FormEncoding.decode(String(decoding: request.body, as: UTF8.self))
            : []
        func field(_ name: String) -> String? { form.first { $0.0 == name }?.1 }

        // Client authentication: HTTP Basic, or client_id and client_secret in the body.
        var credentials: (String, String)?
        if let header = request.headers["authorization"], header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: " ")),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            credentials = (String(text[..<colon]), String(text[text.index(after: colon)...]))
        } else if let id = field("client_id"), let secret = field("client_secret") {
            credentials = (id, secret)
        }
        guard let credentials else {
            return .oauthError("unauthorized_client", "Requests must be authenticated using OAuth client credentials")
        }
        guard credentials == (configuration.clientID, configuration.clientSecret) else {
            return .oauthError("unauthorized_client", "Invalid OAuth client credentials")
        }
        if field("access_token") != nil || request.queryValue("access_token") != nil {
            return .oauthError("invalid_request", "Access tokens are only accepted in the Authorization header.")
        }
        switch field("grant_type") {
        case "authorization_code":
            return exchangeCode(
                code: field("code"), redirectURI: field("redirect_uri"), verifier: field("code_verifier"))
        case "refresh_token":
            return refresh(field("refresh_token"))
        case let other:
            return .oauthError("invalid_grant", "Unsupported grant type: \(other ?? "None")")
        }
    }

    private func exchangeCode(code: String?, redirectURI: String?, verifier: String?) -> EmulatorResponse {
        let outcome: Result<Void, EmulatorResponse> = state.withLock { state in
            guard let code, var record = state.codes[code], !record.isUsed else {
                return .failure(.oauthError("invalid_grant", "The specified code is not valid."))
            }
            record.isUsed = true
            state.codes[code] = record
            if clock.now - record.issuedAt > configuration.codeLifetime {
                return .failure(.oauthError("invalid_grant", "The specified code is not valid."))
            }
            if record.redirectURI != redirectURI {
                return .failure(
                    .oauthError(
                        "invalid_grant", "The redirect_uri does not match the one sent to the authorization endpoint."))
            }
            if let challenge = record.challenge {
                guard let verifier, EmulatorCore.challenge(for: verifier, method: record.challengeMethod) == challenge
                else {
                    return .failure(
                        .oauthError("invalid_grant", "The code_verifier does not match the code_challenge."))
                }
            }
            return .success(())
        }
        if case .failure(let response) = outcome { return response }
        return issueTokens(grant: "authorization_code")
    }

    private func refresh(_ token: String?) -> EmulatorResponse {
        let outcome: EmulatorResponse? = state.withLock { state in
            guard let token, var record = state.refreshTokens[token] else {
                return .oauthError("invalid_grant", "Invalid refresh_token")
            }
            let now = clock.now
            // An unused refresh token dies after about three months.
            if now - record.issuedAt > .seconds(90 * 86_400) {
                state.refreshTokens[token] = nil
                return .oauthError("invalid_grant", "Invalid refresh_token")
            }
            if let rotated = record.rotatedAt {
                if configuration.refreshGrace == .zero || now - rotated > configuration.refreshGrace {
                    state.refreshTokens[token] = nil
                    return .oauthError("invalid_grant", "Invalid refresh_token")
                }
                state.stats.refreshTokenReuses += 1
            } else {
                record.rotatedAt = now
                state.refreshTokens[token] = record
            }
            return nil
        }
        return outcome ?? issueTokens(grant: "refresh_token")
    }

    private func issueTokens(grant: String) -> EmulatorResponse {
        let (access, refresh) = state.withLock { state -> (String, String) in
            let access = state.random.token(length: max(1, configuration.tokenLength - 1)) + "="
            let refresh = state.random.token(length: max(1, configuration.tokenLength))
            let now = clock.now
            state.accessTokens[access] = AccessRecord(
                expiresAt: now + .seconds(configuration.tokenLifetime), scopes: configuration.scopes)
            state.refreshTokens[refresh] = RefreshRecord(issuedAt: now)
            state.stats.grants[grant, default: 0] += 1
            return (access, refresh)
        }
        let scopesKey = configuration.usesLegacyScopesField ? "scopes" : "scope"
        return .json(
            200,
            .object([
                (scopesKey, .string(configuration.scopes.joined(separator: " "))),
                ("access_token", .string(access)),
                ("expires_in", .int(configuration.tokenLifetime)),
                ("token_type", .string("bearer")),
                ("state", .string(grant)),
                ("refresh_token", .string(refresh)),
            ]))
    }

    /// The PKCE challenge for a verifier: base64url(SHA-256) for S256, the verifier for plain.
    static func challenge(for verifier: String, method: String?) -> String {
        guard method?.uppercased() != "PLAIN" else { return verifier }
        let digest = SHA256.hash(data: Array(verifier.utf8))
        return digest.withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    // MARK: - Bearer tokens

    /// Checks the request's credentials. Returns the token's scopes, or the error response.
    func authenticate(_ request: EmulatorRequest) -> Result<[String], EmulatorResponse> {
        if request.queryValue("access_token") != nil {
            return .failure(
                .apiError(
                    401,
                    "Access tokens in the query string are no longer accepted (CHANGE-2770 era). Send the header Authorization: Bearer <token>."
                ))
        }
        if request.headers["content-type"]?.hasPrefix("application/x-www-form-urlencoded") == true,
            FormEncoding.decode(String(decoding: request.body, as: UTF8.self)).contains(where: {
                $0.0 == "access_token"
            })
        {
            return .failure(
                .apiError(
                    401,
                    "Access tokens in the request body are no longer accepted. Send the header Authorization: Bearer <token>."
                ))
        }
        guard let header = request.headers["authorization"] else {
            return .failure(.apiError(401, "Authentication required: this endpoint needs an OAuth access token."))
        }
        if header.lowercased().hasPrefix("basic ") {
            // An API token: the account's email and the token. (App passwords, the other thing
            // once sent this way, were removed on 2026-07-28.)
            if let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: " ")),
                let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":"),
                pair[..<colon] == configuration.apiTokenEmail,
                pair[pair.index(after: colon)...] == configuration.apiToken,
                !state.withLock({ $0.apiTokenRevoked })
            {
                return .success(configuration.apiTokenScopes)
            }
            return .failure(
                EmulatorResponse(
                    status: 401,
                    headers: [
                        ("Content-Type", "text/plain"), ("WWW-Authenticate", "Basic realm=\"Bitbucket.org HTTP\""),
                    ], body: "Unauthorized"))
        }
        guard header.lowercased().hasPrefix("bearer ") else {
            return .failure(.apiError(401, "Unsupported authorization scheme."))
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: " ")
        let record = state.withLock { $0.accessTokens[token] }
        guard let record else {
            return .failure(
                .apiError(401, "Access token expired. Use your refresh token to obtain a new access token."))
        }
        guard clock.now < record.expiresAt else {
            return .failure(
                .apiError(401, "Access token expired. Use your refresh token to obtain a new access token."))
        }
        return .success(record.scopes)
    }
}
