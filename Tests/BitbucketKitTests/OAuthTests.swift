import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

@Suite(.stopsEmulators) struct PasteParserTests {
    static let state = "st4te"

    @Test(arguments: [
        ("AbCdEf0123456789xy", "AbCdEf0123456789xy"),
        ("  AbCdEf0123456789xy \n", "AbCdEf0123456789xy"),
        ("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=st4te", "AbCdEf0123456789xy"),
        ("\"http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=st4te\"", "AbCdEf0123456789xy"),
        ("http://127.0.0.1:8976/call\nback?code=AbCdEf01234\n  56789xy&state=st4te", "AbCdEf0123456789xy"),
        ("code=AbCdEf0123456789xy&state=st4te", "AbCdEf0123456789xy"),
        ("<http://127.0.0.1:8976/callback?code=Q1w2E3r4T5y6&state=st4te#frag>", "Q1w2E3r4T5y6"),
    ])
    func acceptsCodesAndRedirects(pasted: String, code: String) {
        #expect(PastedAuthorization.code(from: pasted, expectedState: Self.state) == .success(code))
    }

    @Test(arguments: [
        ("", PastedAuthorization.Problem.empty),
        ("   \n ", .empty),
        ("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=other", .stateMismatch),
        (
            "http://127.0.0.1:8976/callback?error=access_denied&error_description=The+user+denied&state=st4te",
            .denied("The user denied")
        ),
        ("http://127.0.0.1:8976/callback?error=server_error&state=st4te", .providerError("server_error", nil)),
        ("http://127.0.0.1:8976/callback?state=st4te", .missingCode),
        ("https://bitbucket.org/site/oauth2/authorize", .missingCode),
        ("hello, world!", .hasSpaces),
        // Junk from a clipboard is not squashed into a code (issue 24): spaces inside a line.
        ("hello this is junk from my clipboard", .hasSpaces),
        ("\"AbCdEf01 23456789xy\"", .hasSpaces),
        // A redirect without its state was cut off: nothing is sent (issue 24).
        ("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy", .cutOff),
        ("http://127.0.0.1:8976/callback?code=ZZ2B00GbRFCnCc", .cutOff),
        ("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=st4", .cutOff),
        ("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&sta", .cutOff),
        ("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state", .cutOff),
        ("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=", .cutOff),
        ("code=AbCdEf0123456789xy", .cutOff),
        ("'https://example.com/cb?state=st4te&code=Zz9'", .truncated(length: 3)),
        ("http://127.0.0.1:8976/callback?code=AbCdEf01&state=st4te", .truncated(length: 8)),
        ("AbCdEf0123", .truncated(length: 10)),
        ("\u{1B}[31mcode", .unrecognized),
        (String(repeating: "garbage ", count: 5000), .unrecognized),
    ])
    func rejectsWithAReason(pasted: String, problem: PastedAuthorization.Problem) {
        #expect(PastedAuthorization.code(from: pasted, expectedState: Self.state) == .failure(problem))
        #expect(!problem.description.isEmpty)
    }
}

@Suite(.stopsEmulators) struct AuthorizationRequestTests {
    @Test func urlCarriesEverythingButScope() throws {
        var configuration = OAuthConfiguration(clientID: "key", clientSecret: "secret")
        let request = AuthorizationRequest.make(
            configuration: configuration, state: "s", verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wW1gFWFOEjXk")
        #expect(
            request.url.absoluteString
                == "https://bitbucket.org/site/oauth2/authorize?client_id=key&response_type=code&state=s&code_challenge=bwWFMyPfdG9qreDhH2lmftFx_dFeLDalzcT1gb_j68g&code_challenge_method=S256"
        )
        configuration.redirectURI = URL(string: "http://127.0.0.1:8976/callback")
        let withRedirect = AuthorizationRequest.make(configuration: configuration, state: "s", verifier: "v")
        #expect(withRedirect.url.absoluteString.contains("&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback&"))
    }

    @Test func freshRandomValuesEachTime() {
        let configuration = OAuthConfiguration(clientID: "key", clientSecret: "secret")
        let a = AuthorizationRequest.make(configuration: configuration)
        let b = AuthorizationRequest.make(configuration: configuration)
        #expect(a.state != b.state)
        #expect(a.state.count >= 22) // 24 random bytes, base64url: 192 bits.
        #expect(a.codeVerifier.count >= 43)
    }
}

@Suite(.stopsEmulators) struct TokenDecodingTests {
    let now = Date(timeIntervalSince1970: 1_000_000)

    @Test(arguments: [
        (
            #"{"scope": "account email", "access_token": "a", "expires_in": 7200, "token_type": "bearer", "state": "authorization_code", "refresh_token": "r"}"#,
            ["account", "email"], 7200.0
        ),
        (
            #"{"scopes": "repository account", "access_token": "a", "expires_in": 3600, "token_type": "Bearer", "refresh_token": "r"}"#,
            ["repository", "account"], 3600.0
        ),
        (#"{"access_token": "a", "expires_in": "60", "token_type": "BEARER"}"#, [], 60.0),
        (#"{"access_token": "a", "unknown": [1, 2]}"#, [], 7200.0),
    ])
    func tolerant(json: String, scopes: [String], lifetime: Double) throws {
        let token = try TokenClient.interpret(
            HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(json.utf8)), now: now)
        #expect(token.scopes == scopes)
        #expect(token.expiresAt == now.addingTimeInterval(lifetime))
        #expect(token.tokenType == "bearer")
        #expect(token.accessToken == "a")
    }

    @Test(arguments: [
        (
            400, #"{"error_description": "The specified code is not valid.", "error": "invalid_grant"}"#,
            OAuthError.invalidGrant("The specified code is not valid.")
        ),
        (
            400, #"{"error_description": "Invalid OAuth client credentials", "error": "unauthorized_client"}"#,
            .clientMisconfigured("Invalid OAuth client credentials")
        ),
        (401, #"{"error": "invalid_client"}"#, .clientMisconfigured("invalid_client")),
        (400, #"{"error": "access_denied"}"#, .accessDenied),
        (502, "<html>Bad Gateway</html>", .server(502, "an unexpected body")),
        (200, "<html>proxy login</html>", .malformedResponse("not JSON")),
    ])
    func errorsMapToActions(status: Int, body: String, expected: OAuthError) {
        #expect(throws: expected) {
            try TokenClient.interpret(HTTPResponse(status: status, body: Array(body.utf8)), now: now)
        }
    }

    @Test func tokensNeverPrintThemselves() {
        let token = Token(accessToken: "secret-access-1234", refreshToken: "secret-refresh", expiresAt: now, scopes: [])
        #expect(!"\(token)".contains("secret-access"))
        #expect(!String(reflecting: token).contains("secret-refresh"))
    }
}

@Suite(.stopsEmulators) struct LoginTests {
    @Test func loginByPastingTheRedirect() async throws {
        let h = try await KitHarness.start()
        let request = AuthorizationRequest.make(configuration: h.configuration)
        let location = try await h.approve(request)
        #expect(location.hasPrefix("http://127.0.0.1:8976/callback?code="))
        let code = try PastedAuthorization.code(from: location, expectedState: request.state).get()
        let token = try await h.tokenClient().exchange(code: code, for: request)
        #expect(token.scopes == ["account", "email", "repository"])
        #expect(token.refreshToken != nil)
        // The code is spent: a second exchange says to start again.
        await #expect(throws: OAuthError.codeRejected("The specified code is not valid.")) {
            try await h.tokenClient().exchange(code: code, for: request)
        }
    }

    @Test func wrongSecretSaysWhatToCheck() async throws {
        let h = try await KitHarness.start()
        var configuration = h.configuration
        configuration.clientSecret = "wrong"
        let request = AuthorizationRequest.make(configuration: configuration)
        let code = try PastedAuthorization.code(from: try await h.approve(request), expectedState: request.state).get()
        let client = TokenClient(configuration: configuration, transport: sharedTransport)
        await #expect(throws: OAuthError.clientMisconfigured("Invalid OAuth client credentials")) {
            try await client.exchange(code: code, for: request)
        }
    }

    @Test func listenerExplainsAPortInUse() async throws {
        let first = try await LoopbackRedirectListener.start(
            redirectURI: URL(string: "http://127.0.0.1:8976/callback")!, expectedState: "s", portOverride: 0)
        EmulatorScope.adopt { await first.stop() }
        await #expect(throws: LoopbackRedirectListener.ListenerError.portInUse(first.port)) {
            _ = try await LoopbackRedirectListener.start(
                redirectURI: URL(string: "http://127.0.0.1:8976/callback")!, expectedState: "s",
                portOverride: first.port)
        }
        await #expect(throws: LoopbackRedirectListener.ListenerError.notLoopback("https://example.com/cb")) {
            _ = try await LoopbackRedirectListener.start(
                redirectURI: URL(string: "https://example.com/cb")!, expectedState: "s")
        }
        await #expect(throws: LoopbackRedirectListener.ListenerError.notLoopback("http://127.evil.example:8976/cb")) {
            _ = try await LoopbackRedirectListener.start(
                redirectURI: URL(string: "http://127.evil.example:8976/cb")!, expectedState: "s")
        }
    }

    @Test func deniedInTheBrowser() async throws {
        let h = try await KitHarness.start { $0.deniesAuthorization = true }
        let request = AuthorizationRequest.make(configuration: h.configuration)
        let location = try await h.approve(request)
        #expect(
            PastedAuthorization.code(from: location, expectedState: request.state)
                == .failure(.denied("The user denied access to the application.")))
    }
}
