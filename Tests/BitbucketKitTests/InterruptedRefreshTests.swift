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

    /// An emulator (with `configure`), a private store, a logged-in account, and a token source
    /// on a manual clock two hours later (so the next `token()` refreshes).
    func refreshingLater(
        _ configure: (inout EmulatorConfiguration) -> Void = { _ in }
    ) async throws -> (
        KitHarness, TemporaryHome, TokenStore, StoredAccount, ManualClock
    ) {
        let h = try await KitHarness.start(configure)
        let home = TemporaryHome()
        let clock = ManualClock()
        let store = try TokenStore(paths: home.paths)
        let account = try await h.login(store: store, now: { clock.now })
        return (h, home, store, account, clock)
    }

    func source(
        _ h: KitHarness, _ store: TokenStore, _ account: StoredAccount, _ clock: ManualClock
    )
        -> RefreshingTokenSource
    {
        clock.advance(7200)
        return RefreshingTokenSource(
            account: account, store: store, client: h.tokenClient(now: { clock.now }), now: { clock.now })
    }

    @Test func withinTheGraceTheStoredTokenStillRefreshesAndTheRecordIsCleared() async throws {
        // The emulator's default grace is Bitbucket's: 10 minutes.
        let (h, home, store, account, clock) = try await refreshingLater()
        defer { home.remove() }
        try await interruptRefresh(h, store: store, account: account, at: Date(timeIntervalSince1970: 1_800_000_000))
        let source = source(h, store, account, clock)
        let fresh = try await source.token()
        #expect(fresh.refreshToken != account.token.refreshToken)
        #expect(h.stats.refreshTokenReuses == 1)
        let stored = try #require(try store.account(id: account.id))
        #expect(stored.token == fresh)
        #expect(stored.refreshStartedAt == nil)
    }

    @Test func pastTheGraceTheErrorSaysARefreshWasInterruptedAndWhen() async throws {
        let (h, home, store, account, clock) = try await refreshingLater { $0.refreshGrace = .zero }
        defer { home.remove() }
        let startedAt = Date(timeIntervalSince1970: 1_800_000_000) // 2027-01-15 08:00:00 UTC
        try await interruptRefresh(h, store: store, account: account, at: startedAt)
        let source = source(h, store, account, clock)
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
        let (h, home, store, account, clock) = try await refreshingLater { $0.refreshGrace = .zero }
        defer { home.remove() }
        // Spent elsewhere, with no record here: revoked, or replaced by another machine.
        _ = try await h.tokenClient().refresh(try #require(account.token.refreshToken))
        let source = source(h, store, account, clock)
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
