import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

/// The loopback listener takes only the current attempt's redirect, and its browser page tells
/// the truth about how the login ended.
@Suite(.stopsEmulators) struct ListenerTests {
    private func start(state: String = "the-state") async throws -> (LoopbackRedirectListener, String) {
        let listener = try await LoopbackRedirectListener.start(
            redirectURI: URL(string: "http://127.0.0.1:8976/callback")!, expectedState: state, portOverride: 0)
        return (listener, "http://127.0.0.1:\(listener.port)")
    }

    private func get(_ url: String) async throws -> HTTPResponse {
        try await sharedTransport.send(HTTPRequest(url: URL(string: url)!))
    }

    @Test(arguments: [
        ("/callback?code=Abc123Def456Ghi789", 400, "no state"),
        ("/callback?code=Abc123Def456Ghi789&state=", 400, "no state"),
        ("/callback?code=Abc123Def456Ghi789&state=another-attempt", 400, "different login"),
        ("/callback?code=Abc123Def456Ghi789&state=the-statX", 400, "different login"),
        ("/callback?error=access_denied", 400, "no state"),
        ("/callback?error=access_denied&state=old", 400, "different login"),
        ("/callback?xcode=1", 400, "no state"),
        ("/callback?state=the-state", 400, "no code"),
        ("/callback?state=the-state&code=%3Cscript%3E", 400, "no code"),
        ("/elsewhere?code=Abc123Def456Ghi789&state=the-state", 404, "Nothing here"),
        ("/", 404, "Nothing here"),
    ])
    func forgedOrStrayRequestsAreExplainedAndNeverDelivered(path: String, status: Int, words: String) async throws {
        let (listener, base) = try await start()
        let page = try await get(base + path)
        #expect(page.status == status)
        #expect(page.text.contains(words))
        #expect(!page.text.contains("<script>"))
        // Nothing was delivered: the real redirect is still the first thing the login sees.
        let real = try await Task {
            async let page = get(base + "/callback?code=Real0123456789abcd&state=the-state")
            let query = try await listener.nextRedirect()
            listener.finish(code: "Real0123456789abcd", .loggedIn("Zoë"))
            return (query, try await page)
        }.value
        #expect(real.0 == "code=Real0123456789abcd&state=the-state")
        #expect(real.1.status == 200)
        await listener.stop()
    }

    @Test func thePageWaitsForTheOutcomeAndSaysIt() async throws {
        let (listener, base) = try await start()
        async let page = get(base + "/callback?code=Code0123456789abcd&state=the-state")
        #expect(try await listener.nextRedirect() == "code=Code0123456789abcd&state=the-state")
        listener.finish(code: "Code0123456789abcd", .loggedIn("Zoë <Ångström>"))
        let answer = try await page
        #expect(answer.status == 200)
        #expect(answer.text.contains("<h1>Logged in</h1>"))
        #expect(answer.text.contains("logged in as Zoë &lt;Ångström&gt;."))
        await listener.stop()
    }

    @Test func aFailedExchangeIsShownEscapedWithTheNextStep() async throws {
        let (listener, base) = try await start()
        async let page = get(base + "/callback?code=Code0123456789abcd&state=the-state")
        _ = try await listener.nextRedirect()
        listener.finish(code: "Code0123456789abcd", .failed("Bitbucket did not accept the code (<b>bad</b>\u{1B}[2J)."))
        let answer = try await page
        #expect(answer.text.contains("<h1>The login did not finish</h1>"))
        #expect(answer.text.contains("&lt;b&gt;bad&lt;/b&gt;&#27;[2J"))
        #expect(answer.text.contains("Go back to the terminal"))
        #expect(!answer.text.contains("Logged in"))
        await listener.stop()
    }

    @Test func aReloadDoesNotDeliverTheCodeTwiceAndGetsTheSameAnswer() async throws {
        let (listener, base) = try await start()
        let url = base + "/callback?code=Code0123456789abcd&state=the-state"
        async let first = get(url)
        _ = try await listener.nextRedirect()
        listener.finish(code: "Code0123456789abcd", .loggedIn("Zoë"))
        #expect(try await first.text.contains("Logged in"))
        let second = try await get(url)
        #expect(second.text.contains("Logged in"))
        await listener.stop()
    }

    @Test func aRefusalWithTheRightStateIsDeliveredAndTheLoginKeepsWaiting() async throws {
        let (listener, base) = try await start()
        let refusal = try await get(base + "/callback?error=access_denied&error_description=no&state=the-state")
        #expect(refusal.text.contains("Access was not granted"))
        #expect(refusal.text.contains("still waiting"))
        #expect(try await listener.nextRedirect() == "error=access_denied&error_description=no&state=the-state")
        async let page = get(base + "/callback?code=Code0123456789abcd&state=the-state")
        #expect(try await listener.nextRedirect() == "code=Code0123456789abcd&state=the-state")
        listener.finish(code: "Code0123456789abcd", .loggedIn("Zoë"))
        #expect(try await page.status == 200)
        await listener.stop()
    }

    @Test func stoppingAnswersAWaitingPage() async throws {
        let (listener, base) = try await start()
        async let page = get(base + "/callback?code=Code0123456789abcd&state=the-state")
        _ = try await listener.nextRedirect()
        await listener.stop()
        #expect(try await page.text.contains("has not finished logging in yet"))
    }

    /// The whole login through the listener, against the emulator, with `LoginCompletion`.
    @Test func loginThroughTheLoopbackListener() async throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        let request0 = AuthorizationRequest.make(configuration: OAuthConfiguration(clientID: "x", clientSecret: "y"))
        let (listener, base) = try await start(state: request0.state)
        let redirect = base + "/callback"
        let h = try await KitHarness.start { $0.redirectURI = redirect }
        var configuration = h.configuration
        configuration.redirectURI = URL(string: redirect)
        let request = AuthorizationRequest.make(
            configuration: configuration, state: request0.state, verifier: request0.codeVerifier)
        let location = try await h.approve(request)
        async let page = get(location)
        let query = try await listener.nextRedirect()
        let code = try PastedAuthorization.code(from: "?" + query, expectedState: request.state).get()
        let login = try await LoginCompletion.complete(
            code: code, request: request, configuration: configuration, transport: sharedTransport, store: store)
        listener.finish(code: code, .loggedIn(login.user.displayName))
        #expect(try await page.text.contains("logged in as Zoë Ångström-李."))
        #expect(try store.activeAccount()?.id == login.user.uuid)
        await listener.stop()
    }
}

@Suite struct LoopbackHostTests {
    @Test(arguments: [
        ("http://127.0.0.1:8976/x", true), ("http://127.1.2.3/", true), ("http://localhost:1/", true),
        ("http://LOCALHOST/", true), ("http://[::1]:8976/", true), ("http://[0:0:0:0:0:0:0:1]/", true),
        ("http://[::ffff:127.0.0.1]/", true),
        ("http://127.evil.example/", false), ("http://127.0.0.1.evil.example/", false),
        ("http://localhost.example/", false),
        ("http://127.0.0/", false), ("http://127.0.0.256/", false), ("http://0x7f.0.0.1/", false),
        ("http://128.0.0.1/", false),
        ("http://[::2]/", false), ("http://example.com/", false), ("http://10.0.0.1/", false),
        ("http://127.0.0.01a/", false),
    ])
    func loopbackIsParsedNotPrefixed(url: String, expected: Bool) {
        #expect(URL(string: url)!.isLoopback == expected)
        #expect(URL(string: url)!.isSecureForCredentials == expected)
    }

    @Test func plainHTTPToAFakeLoopbackNameIsRefusedBeforeAnyByteIsSent() async throws {
        await #expect(throws: TransportError(.insecureURL, host: "127.evil.example")) {
            _ = try await sharedTransport.send(
                HTTPRequest(method: "POST", url: URL(string: "http://127.evil.example/site/oauth2/access_token")!))
        }
        var settings = Settings(
            values: [
                "BITBUCKET_CLIENT_ID": "k", "BITBUCKET_CLIENT_SECRET": "s",
                "BBTUI_TOKEN_URL": "http://127.evil.example/token",
            ], sources: [:], paths: TemporaryHome().paths)
        #expect(throws: ConfigurationError.insecure("BBTUI_TOKEN_URL", "http://127.evil.example/token")) {
            try settings.oauthConfiguration()
        }
        settings.values["BBTUI_TOKEN_URL"] = "http://127.0.0.1:9/token"
        #expect(throws: Never.self) { try settings.oauthConfiguration() }
    }
}
