import Foundation
import Testing

@testable import BitbucketKit

/// Errors carry facts, each naming its cause; next steps belong to the front ends.
@Suite struct WordingTests {
    static let samples: [any Error & CustomStringConvertible] = [
        APIError.unauthorized("x"), APIError.missingScopes(required: ["email"], granted: ["account"]),
        APIError.rateLimited,
        APIError.gone(change: "CHANGE-2770", message: "m"), APIError.notFound("n"),
        APIError.server(502, "an HTML error page"),
        APIError.http(418, ""), APIError.network(TransportError(.timedOut, host: "h")),
        APIError.network(TransportError(.connectionRefused, host: "h")),
        APIError.decoding("values[0].uuid: missing"), OAuthError.invalidGrant("d"), OAuthError.codeRejected("d"),
        OAuthError.accessDenied,
        OAuthError.server(500, ""), OAuthError.network(TransportError(.dnsFailure, host: "h")),
        PastedAuthorization.Problem.denied(nil),
        PastedAuthorization.Problem.providerError("invalid_scope", nil),
        StoreError.writeFailed(path: "/p", reason: "Input/output error"),
        LoopbackRedirectListener.ListenerError.portInUse(8976),
    ]

    @Test func noLayerBelowTheFrontEndsGivesKeyAdvice() {
        for error in Self.samples {
            let text = error.description
            #expect(!text.localizedCaseInsensitiveContains("press "), "\(text)")
            #expect(!text.contains("Esc"), "\(text)")
            #expect(!text.contains("`bbtui login`") && !text.contains("(bbtui login)"), "\(text)")
        }
    }

    @Test func aRedirectFromTheAPIIsNamedWithItsTarget() {
        #expect(
            throws: APIError.http(
                302,
                "a redirect to https://bitbucket.org/account/signin/, which bbtui does not follow for the API. Check BBTUI_API_URL (it should be https://api.bitbucket.org/2.0)"
            )
        ) {
            try BitbucketClient.check(
                HTTPResponse(status: 302, headers: ["Location": "https://bitbucket.org/account/signin/"]))
        }
        #expect(APIError.http(418, "").description == "Bitbucket answered HTTP 418 with no explanation.")
        #expect(throws: APIError.http(418, "an HTML error page")) {
            try BitbucketClient.check(
                HTTPResponse(status: 418, headers: ["Content-Type": "text/html"], body: Array("<p>teapot</p>".utf8)))
        }
        #expect(throws: APIError.http(418, "an unexpected application/octet-stream body")) {
            try BitbucketClient.check(
                HTTPResponse(
                    status: 418, headers: ["Content-Type": "application/octet-stream", "X-Padding": "x"],
                    body: [0, 1, 2]))
        }
    }

    @Test func aSymlinkedLockSaysSoNotThatTheDiskIsFull() async throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        #expect(symlink("/tmp/elsewhere-\(UUID().uuidString)", home.paths.lockFile) == 0)
        do {
            _ = try await store.withRefreshLock { 1 }
            Issue.record("a symlinked lock was used")
        } catch let error as StoreError {
            #expect(
                error
                    == .unusable(
                        path: home.paths.lockFile,
                        reason:
                            "it is a symbolic link, and bbtui does not follow links inside its store. Remove it (bbtui recreates it)"
                    ))
            #expect(!error.description.contains("space"))
        }
    }

    @Test(arguments: [
        ("No space left on device", " Free some space on that file system."),
        ("attempt to write a readonly database", " The file system is read-only."),
        ("Input/output error", ""),
    ])
    func aWriteFailureGivesTheHintThatFitsItsCause(reason: String, hint: String) {
        #expect(
            StoreError.writeFailed(path: "/p", reason: reason).description
                == "Could not write /p: \(reason). Nothing was changed." + hint)
    }
}

@Suite struct RefreshLockTests {
    @Test func aWaiterWakesWhenTheHolderLetsGoAndGivesUpAtItsDeadline() async throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let first = try TokenStore(paths: home.paths)
        let second = try TokenStore(paths: home.paths)
        let order = OrderLog()
        let (held, hold) = AsyncStream.makeStream(of: Void.self)
        let (release, letGo) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await first.withRefreshLock {
                order.append("first holds")
                hold.yield()
                for await _ in release { break }
                order.append("first lets go")
            }
        }
        for await _ in held { break }
        // While it is held, a short wait gives up with words that say why.
        await #expect(
            throws: StoreError.unusable(
                path: home.paths.lockFile,
                reason: "another bbtui process has held the refresh lock for over 0.2 seconds")
        ) {
            try await second.withRefreshLock(timeout: .milliseconds(200)) { order.append("second got it too early") }
        }
        let waiter = Task { try await second.withRefreshLock(timeout: .seconds(30)) { order.append("second holds") } }
        letGo.yield()
        try await holder.value
        try await waiter.value
        #expect(order.entries == ["first holds", "first lets go", "second holds"])
    }
}
