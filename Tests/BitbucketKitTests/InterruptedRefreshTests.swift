import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

/// A refresh whose answer never reached the store (the process was killed between the two):
/// recovered within Bitbucket's grace, explained past it.
@Suite(.stopsEmulators) struct InterruptedRefreshTests {
    /// Plays the killed process: records the refresh as started, spends the stored refresh
    /// token at the server, and never stores the answer.
    func interruptRefresh(_ h: KitHarness, store: TokenStore, account: StoredAccount, at date: Date) async throws {
        try store.markRefreshStarted(at: date, accountID: account.id)
        _ = try await h.tokenClient().refresh(try #require(account.token.refreshToken))
        #expect(try store.account(id: account.id)?.refreshStartedAt == date)
    }

    @Test func withinTheGraceTheStoredTokenStillRefreshesAndTheRecordIsCleared() async throws {
        let h = try await KitHarness.start() // Bitbucket's own grace: 10 minutes
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = ManualClock()
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store, now: { clock.now })
        try await interruptRefresh(h, store: store, account: account, at: Date(timeIntervalSince1970: 1_800_000_000))
        clock.advance(7200)
        let source = RefreshingTokenSource(
            account: account, store: store, client: h.tokenClient(now: { clock.now }), now: { clock.now })
        let fresh = try await source.token()
        #expect(fresh.refreshToken != account.token.refreshToken)
        #expect(h.stats.refreshTokenReuses == 1)
        let stored = try #require(try store.account(id: account.id))
        #expect(stored.token == fresh)
        #expect(stored.refreshStartedAt == nil)
    }

    @Test func pastTheGraceTheErrorSaysARefreshWasInterruptedAndWhen() async throws {
        let h = try await KitHarness.start { $0.refreshGrace = .zero }
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = ManualClock()
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store, now: { clock.now })
        let startedAt = Date(timeIntervalSince1970: 1_800_000_000) // 2027-01-15 08:00:00 UTC
        try await interruptRefresh(h, store: store, account: account, at: startedAt)
        clock.advance(7200)
        let source = RefreshingTokenSource(
            account: account, store: store, client: h.tokenClient(now: { clock.now }), now: { clock.now })
        let error = await #expect(throws: OAuthError.self) { try await source.token() }
        guard case .refreshInterrupted(let at, _) = error else {
            Issue.record("expected refreshInterrupted, got \(String(describing: error))")
            return
        }
        #expect(at == startedAt)
        #expect(error?.needsLogin == true)
        let text = try #require(error?.description)
        #expect(text.hasPrefix("A token refresh started at 2027-01-15 08:00:00 UTC was interrupted"))
        #expect(text.hasSuffix("Log in again."))
        // The record stays, so every later command explains the same.
        #expect(try store.account(id: account.id)?.refreshStartedAt == startedAt)
        let again = await #expect(throws: OAuthError.self) { try await source.token() }
        #expect(again == error)
    }

    @Test func aDeadTokenWithNoInterruptedRefreshIsTheGenericInvalidGrant() async throws {
        let h = try await KitHarness.start { $0.refreshGrace = .zero }
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = ManualClock()
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store, now: { clock.now })
        // Spent elsewhere, with no record here: revoked, or replaced by another machine.
        _ = try await h.tokenClient().refresh(try #require(account.token.refreshToken))
        clock.advance(7200)
        let source = RefreshingTokenSource(
            account: account, store: store, client: h.tokenClient(now: { clock.now }), now: { clock.now })
        let error = await #expect(throws: OAuthError.self) { try await source.token() }
        guard case .invalidGrant = error else {
            Issue.record("expected invalidGrant, got \(String(describing: error))")
            return
        }
        #expect(try store.account(id: account.id)?.refreshStartedAt == nil)
    }

    @Test func aNewLoginForgetsTheRecord() async throws {
        let h = try await KitHarness.start()
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store)
        try store.markRefreshStarted(at: Date(timeIntervalSince1970: 1), accountID: account.id)
        // An earlier record is kept by a later mark: the first unanswered refresh explains.
        try store.markRefreshStarted(at: Date(timeIntervalSince1970: 2), accountID: account.id)
        #expect(try store.account(id: account.id)?.refreshStartedAt == Date(timeIntervalSince1970: 1))
        try store.clearRefreshStarted(accountID: account.id, ifStartedAt: Date(timeIntervalSince1970: 2))
        #expect(try store.account(id: account.id)?.refreshStartedAt == Date(timeIntervalSince1970: 1))
        _ = try await h.login(store: store)
        #expect(try store.account(id: account.id)?.refreshStartedAt == nil)
    }

    @Test func tokensAsLongAsRealOnesRoundTripThroughTheStoreAndTheAPI() async throws {
        let h = try await KitHarness.start()
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store)
        #expect(account.token.accessToken.count == 2_600)
        #expect(try #require(account.token.refreshToken).count == 2_600)
        #expect(try store.account(id: account.id)?.token.accessToken == account.token.accessToken)
        #expect(try store.account(id: account.id)?.token.refreshToken == account.token.refreshToken)
        let source = RefreshingTokenSource(account: account, store: store, client: h.tokenClient())
        #expect(try await h.client(tokens: source).currentUser().nickname == "zoe")
    }
}
