import BitbucketEmulator
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BitbucketKit

@Suite(.stopsEmulators) struct TokenSourceTests {
    @Test func refreshesAheadOfExpiryAndStoresTheRotatedPair() async throws {
        // The emulator's tokens expire by the real clock, the client's by the manual one: a
        // lifetime of a minute keeps the refreshed token valid however slow the machine is.
        let h = try await KitHarness.start { $0.tokenLifetime = 60 }
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = ManualClock()
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store, now: { clock.now })
        let source = RefreshingTokenSource(
            account: account, store: store, client: h.tokenClient(now: { clock.now }), leeway: 1, now: { clock.now })
        #expect(try await source.token() == account.token)
        #expect(h.stats.grants["refresh_token"] == nil)
        clock.advance(59.5)
        let fresh = try await source.token()
        #expect(fresh.accessToken != account.token.accessToken)
        #expect(fresh.refreshToken != account.token.refreshToken)
        #expect(h.stats.grants["refresh_token"] == 1)
        // Stored before use.
        #expect(try store.account(id: account.id)?.token == fresh)
        // The new token works against the API.
        let user = try await h.client(tokens: source).currentUser()
        #expect(user.displayName == "Zoë Ångström-李")
        #expect(h.stats.refreshTokenReuses == 0)
    }

    @Test func tenConcurrentCallersShareOneRefresh() async throws {
        let h = try await KitHarness.start()
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = ManualClock()
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store, now: { clock.now })
        let source = RefreshingTokenSource(
            account: account, store: store, client: h.tokenClient(now: { clock.now }), now: { clock.now })
        clock.advance(7200)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try await source.token().accessToken } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens.count == 1)
        #expect(h.stats.grants["refresh_token"] == 1)
    }

    @Test func twoStoresLikeTwoProcessesRefreshOnce() async throws {
        let h = try await KitHarness.start { $0.refreshGrace = .zero }
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = ManualClock()
        let storeA = try TokenStore(paths: home.paths)
        let account = try await h.login(store: storeA, now: { clock.now })
        // A second store on the same files: its own connection and its own lock descriptor,
        // as a second process would have.
        let storeB = try TokenStore(paths: home.paths)
        let a = RefreshingTokenSource(
            account: account, store: storeA, client: h.tokenClient(now: { clock.now }), now: { clock.now })
        let b = RefreshingTokenSource(
            account: try #require(try storeB.activeAccount()), store: storeB, client: h.tokenClient(now: { clock.now }),
            now: { clock.now })
        clock.advance(7200)
        async let tokenA = a.token()
        async let tokenB = b.token()
        let (ta, tb) = try await (tokenA, tokenB)
        #expect(ta == tb)
        #expect(h.stats.grants["refresh_token"] == 1)
        // With no grace at all, a second spend of the old refresh token would have failed:
        // both keep working.
        #expect(try await h.client(tokens: a).currentUser().nickname == "zoe")
        #expect(try await h.client(tokens: b).currentUser().nickname == "zoe")
    }

    @Test func unauthorizedTriggersOneRefreshAndOneRetry() async throws {
        let h = try await KitHarness.start()
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store)
        let source = RefreshingTokenSource(account: account, store: store, client: h.tokenClient())
        let client = h.client(tokens: source)
        _ = try await client.currentUser()
        try await h.post("/_emulator/expire-tokens")
        let user = try await client.currentUser()
        #expect(user.nickname == "zoe")
        #expect(h.stats.grants["refresh_token"] == 1)
        #expect(h.stats.requests["GET /2.0/user"] == 3)
    }

    @Test func revokedAccessMeansLogInAgain() async throws {
        let h = try await KitHarness.start()
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store)
        let client = h.client(tokens: RefreshingTokenSource(account: account, store: store, client: h.tokenClient()))
        try await h.post("/_emulator/revoke")
        do {
            _ = try await client.currentUser()
            Issue.record("expected a failure")
        } catch {
            #expect(error.needsLogin)
            #expect(error.description.contains("Log in again"))
        }
        // Nothing crashed and the stored account is intact for a re-login.
        #expect(try store.activeAccount()?.id == account.id)
    }

    @Test func authorizedTransportNeverSendsTheTokenElsewhere() async throws {
        let source = StaticTokenSource(
            Token(accessToken: "t", refreshToken: nil, expiresAt: .distantFuture, scopes: []))
        let transport = AuthorizedTransport(
            base: sharedTransport, tokens: source, apiURL: URL(string: "http://127.0.0.1:1/2.0")!)
        await #expect(throws: TransportError.self) {
            _ = try await transport.send(HTTPRequest(url: URL(string: "http://127.0.0.2:1/2.0/user")!))
        }
    }
}
