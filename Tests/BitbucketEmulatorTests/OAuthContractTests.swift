import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@Suite(.stopsEmulators) struct OAuthContractTests {
    @Test func authorizeRedirectsWithCodeAndState() async throws {
        let h = try await EmulatorHarness.start()
        let items = try await h.authorize()
        #expect(items["state"] == "s1")
        let code = try #require(items["code"])
        #expect(code.count == 18 && code.allSatisfy { $0.isLetter || $0.isNumber })
    }

    @Test func authorizeRejectsBadClientAndRedirect() async throws {
        let h = try await EmulatorHarness.start()
        let badClient = try await h.request(.GET, h.endpoints.authorizeURL + "?client_id=nope&response_type=code")
        #expect(badClient.status == 400)
        #expect(badClient.headers["content-type"]?.hasPrefix("text/html") == true)
        let badRedirect = try await h.request(
            .GET,
            h.endpoints.authorizeURL
                + "?client_id=\(h.endpoints.clientID)&response_type=code&redirect_uri=http%3A%2F%2Fevil.example%2Fcb")
        #expect(badRedirect.status == 400)
        #expect(badRedirect.body.contains("Invalid redirect_uri. This integration is misconfigured"))
        // A redirect_uri that extends the registered one is accepted.
        let extended = try await h.authorize(extra: "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback%2Fdeeper")
        #expect(extended["code"] != nil)
    }

    @Test func denyRedirectsWithAccessDenied() async throws {
        let h = try await EmulatorHarness.start { $0.deniesAuthorization = true }
        let items = try await h.authorize()
        #expect(items["error"] == "access_denied")
        #expect(items["state"] == "s1")
        #expect(items["code"] == nil)
    }

    @Test func tokenResponseHasTheRealShape() async throws {
        let h = try await EmulatorHarness.start { $0.tokenLifetime = 1234 }
        let code = try #require(try await h.authorize()["code"])
        let result = try await h.postToken("grant_type=authorization_code&code=\(code)")
        #expect(result.status == 200)
        let keys = result.body.matches(of: #/"([a-z_]+)":\s/#).map { String($0.output.1) }
        #expect(keys == ["scope", "access_token", "expires_in", "token_type", "state", "refresh_token"])
        #expect(result.object["scope"] as? String == "account email repository")
        #expect(result.object["token_type"] as? String == "bearer")
        #expect(result.object["state"] as? String == "authorization_code")
        #expect(result.object["expires_in"] as? Int == 1234)
    }

    @Test func legacyScopesField() async throws {
        let h = try await EmulatorHarness.start { $0.usesLegacyScopesField = true }
        let tokens = try await h.login()
        #expect(tokens["scopes"] as? String == "account email repository")
        #expect(tokens["scope"] == nil)
    }

    @Test func tokenEndpointErrorsAreTheRealOnes() async throws {
        let h = try await EmulatorHarness.start()
        let code = try #require(try await h.authorize()["code"])
        let json = try await h.postToken(
            "{\"grant_type\": \"authorization_code\", \"code\": \"\(code)\"}", contentType: "application/json")
        #expect(json.status == 400)
        #expect(json.body == #"{"error_description": "Unsupported grant type: None", "error": "invalid_grant"}"#)
        let noAuth = try await h.postToken("grant_type=authorization_code&code=\(code)", auth: false)
        #expect(
            noAuth.body
                == #"{"error_description": "Requests must be authenticated using OAuth client credentials", "error": "unauthorized_client"}"#
        )
        let wrong = try await h.request(
            .POST, h.endpoints.tokenURL,
            headers: [
                ("Authorization", "Basic " + Data("\(h.endpoints.clientID):wrong".utf8).base64EncodedString()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ], body: "grant_type=authorization_code&code=\(code)")
        #expect(wrong.status == 400)
        #expect(
            wrong.body == #"{"error_description": "Invalid OAuth client credentials", "error": "unauthorized_client"}"#)
        // Credentials in the body work too.
        let inBody = try await h.postToken(
            "grant_type=authorization_code&code=\(code)&client_id=\(h.endpoints.clientID)&client_secret=\(h.endpoints.clientSecret)",
            auth: false)
        #expect(inBody.status == 200)
    }

    @Test func codesAreSingleUse() async throws {
        let h = try await EmulatorHarness.start()
        let code = try #require(try await h.authorize()["code"])
        #expect(try await h.postToken("grant_type=authorization_code&code=\(code)").status == 200)
        let again = try await h.postToken("grant_type=authorization_code&code=\(code)")
        #expect(again.status == 400)
        #expect(again.object["error"] as? String == "invalid_grant")
    }

    @Test func codesExpire() async throws {
        let h = try await EmulatorHarness.start { $0.codeLifetime = .zero }
        let code = try #require(try await h.authorize()["code"])
        let result = try await h.postToken("grant_type=authorization_code&code=\(code)")
        #expect(result.status == 400)
        #expect(result.object["error"] as? String == "invalid_grant")
    }

    @Test func redirectURIMustMatchWhenSent() async throws {
        let h = try await EmulatorHarness.start()
        let redirect = "http%3A%2F%2F127.0.0.1%3A8976%2Fcallback"
        let code = try #require(try await h.authorize(extra: "&redirect_uri=\(redirect)")["code"])
        let missing = try await h.postToken("grant_type=authorization_code&code=\(code)")
        #expect(missing.object["error"] as? String == "invalid_grant")
        let code2 = try #require(try await h.authorize(extra: "&redirect_uri=\(redirect)")["code"])
        #expect(
            try await h.postToken("grant_type=authorization_code&code=\(code2)&redirect_uri=\(redirect)").status == 200)
    }

    @Test func pkceIsChecked() async throws {
        let h = try await EmulatorHarness.start()
        // base64url(SHA-256(verifier)), computed independently with Python's hashlib.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wW1gFWFOEjXk"
        let challenge = "bwWFMyPfdG9qreDhH2lmftFx_dFeLDalzcT1gb_j68g"
        let code = try #require(
            try await h.authorize(extra: "&code_challenge=\(challenge)&code_challenge_method=S256")["code"])
        let wrong = try await h.postToken("grant_type=authorization_code&code=\(code)&code_verifier=wrong")
        #expect(wrong.object["error"] as? String == "invalid_grant")
        let code2 = try #require(
            try await h.authorize(extra: "&code_challenge=\(challenge)&code_challenge_method=S256")["code"])
        #expect(
            try await h.postToken("grant_type=authorization_code&code=\(code2)&code_verifier=\(verifier)").status == 200
        )
    }

    @Test func refreshTokensRotate() async throws {
        let h = try await EmulatorHarness.start { $0.refreshGrace = .seconds(30) }
        let first = try await h.login()
        let refresh1 = try #require(first["refresh_token"] as? String)
        let second = try await h.postToken("grant_type=refresh_token&refresh_token=\(refresh1)")
        #expect(second.status == 200)
        #expect(second.object["state"] as? String == "refresh_token")
        let refresh2 = try #require(second.object["refresh_token"] as? String)
        #expect(refresh2 != refresh1)
        // Within the grace the old one still works, and the reuse is counted.
        #expect(try await h.postToken("grant_type=refresh_token&refresh_token=\(refresh1)").status == 200)
        #expect(h.emulator.core.stats.refreshTokenReuses == 1)
        #expect(h.emulator.core.stats.grants == ["authorization_code": 1, "refresh_token": 2])
    }

    @Test func rotatedRefreshTokenDiesAfterTheGrace() async throws {
        let h = try await EmulatorHarness.start { $0.refreshGrace = .zero }
        let refresh1 = try #require(try await h.login()["refresh_token"] as? String)
        #expect(try await h.postToken("grant_type=refresh_token&refresh_token=\(refresh1)").status == 200)
        let reused = try await h.postToken("grant_type=refresh_token&refresh_token=\(refresh1)")
        #expect(reused.status == 400)
        #expect(reused.body == #"{"error_description": "Invalid refresh_token", "error": "invalid_grant"}"#)
    }

    @Test func revokeKillsEveryToken() async throws {
        let h = try await EmulatorHarness.start()
        let tokens = try await h.login()
        let access = try #require(tokens["access_token"] as? String)
        let refresh = try #require(tokens["refresh_token"] as? String)
        #expect(try await h.request(.POST, "/_emulator/revoke").status == 200)
        #expect(try await h.get("/2.0/user", token: access).status == 401)
        #expect(
            try await h.postToken("grant_type=refresh_token&refresh_token=\(refresh)").object["error"] as? String
                == "invalid_grant")
    }
}
