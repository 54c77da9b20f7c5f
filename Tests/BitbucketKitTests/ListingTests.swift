import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

/// Listings that must come out whole and exact while the account changes under them, and
/// refreshes that cost what changed.
@Suite(.stopsEmulators) struct ListingTests {
    struct Truth: Decodable {
        struct Row: Decodable, Hashable {
            var uuid: String
            var full_name: String
        }
        var size: Int
        var values: [Row]
    }

    /// What the emulator holds right now (its control endpoint, not the API).
    func truth(_ h: KitHarness) async throws -> Set<Truth.Row> {
        let response = try await sharedTransport.send(
            HTTPRequest(url: URL(string: h.endpoints.baseURL + "/_emulator/repositories")!))
        let truth = try JSONDecoder().decode(Truth.self, from: Data(response.body))
        #expect(truth.size == truth.values.count)
        return Set(truth.values)
    }

    /// Changes the account now: N changes in the cycle create, delete, rename, update, move.
    func churn(_ h: KitHarness, now: Int = 0, during: Int = 0) async throws {
        let response = try await sharedTransport.send(
            HTTPRequest(
                method: "POST", url: URL(string: h.endpoints.baseURL + "/_emulator/churn?now=\(now)&during=\(during)")!)
        )
        #expect(response.status == 200)
    }

    func loggedIn(_ h: KitHarness) async throws -> BitbucketClient {
        let request = AuthorizationRequest.make(configuration: h.configuration)
        let code = try PastedAuthorization.code(from: try await h.approve(request), expectedState: request.state).get()
        let token = try await h.tokenClient().exchange(code: code, for: request)
        return h.client(tokens: StaticTokenSource(token))
    }

    /// Runs a listing the way the app and `repos` do: folded by `RepositoryListing`.
    func list(
        _ client: BitbucketClient, _ workspaces: [Workspace], previous: RepositorySnapshot? = nil
    ) async throws -> (repositories: [Repository], final: RepositoryBatch) {
        var listing = RepositoryListing()
        var last: RepositoryBatch?
        for try await batch in client.repositories(in: workspaces, previous: previous) {
            listing.absorb(batch)
            last = batch
        }
        let final = try #require(last)
        #expect(final.isFinal)
        return (listing.repositories, final)
    }

    func rows(_ repositories: [Repository]) -> Set<Truth.Row> {
        Set(repositories.map { Truth.Row(uuid: $0.uuid, full_name: $0.fullName) })
    }

    var requests: (KitHarness) -> Int { { $0.stats.requests["GET /2.0/repositories/{workspace}"] ?? 0 } }

    /// Changes land during the first walk (one per request, fewer than its 16 requests): the
    /// checks after the walk see them, and the listing comes out as the account is at its end.
    @Test(arguments: [(UInt64(1), 10), (2, 5), (3, 15), (4, 12), (5, 15), (6, 8)])
    func aListingWhileRepositoriesAreCreatedDeletedRenamedAndMovedIsExact(seed: UInt64, changes: Int) async throws {
        let h = try await KitHarness.start {
            $0.seed = seed
            $0.repositoryCount = 1_200
            $0.workspaceCount = 4
            $0.churn = changes
        }
        let client = try await loggedIn(h)
        let workspaces = try await client.workspaces()
        let (repositories, final) = try await list(client, workspaces)
        #expect(repositories.count == Set(repositories.map(\.uuid)).count, "no repository twice")
        #expect(final.mismatches.isEmpty)
        #expect(final.failures.isEmpty)
        #expect(rows(repositories) == (try await truth(h)), "nothing lost, nothing stale")
        #expect(final.expectedTotal == repositories.count)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func churnThatNeverStopsIsReportedNotHidden(seed: UInt64) async throws {
        // Every request changes the account, the listing's own checks included. No listing can
        // be exact then (it is exact as of its last check, and the last request changed the
        // account again); what it must do is end, list nothing twice, and say which workspaces
        // kept changing.
        let h = try await KitHarness.start {
            $0.seed = seed
            $0.repositoryCount = 600
            $0.workspaceCount = 2
            $0.churn = 10_000
        }
        let client = try await loggedIn(h)
        let workspaces = try await client.workspaces()
        let before = requests(h)
        let (repositories, final) = try await list(client, workspaces)
        #expect(repositories.count == Set(repositories.map(\.uuid)).count)
        #expect(!final.mismatches.isEmpty, "a listing that changed on every request says so")
        #expect(final.mismatches.values.allSatisfy { $0.keptChanging })
        #expect(final.isIncomplete)
        // Bounded, not a loop: at most three rounds, each walking a workspace (7 pages and a
        // check here) at most three times, plus a look at each first page: under 150 requests.
        #expect(requests(h) - before < 150)
    }

    /// With the first pages' ETags kept, each of those requests is answered 304, without a
    /// page; without them (a server that sends none), the page itself shows nothing changed.
    @Test(arguments: [true, false])
    func aRefreshOfAnUnchangedAccountCostsOneRequestPerWorkspace(keepsETags: Bool) async throws {
        let h = try await KitHarness.start {
            $0.repositoryCount = 3_000
            $0.workspaceCount = 5
        }
        let client = try await loggedIn(h)
        let workspaces = try await client.workspaces()
        let first = try await list(client, workspaces)
        #expect(first.final.etags.keys.sorted() == workspaces.map(\.slug).sorted())
        let before = requests(h)
        let notModifiedBefore = h.stats.notModified
        let snapshot = RepositorySnapshot(
            workspaces: workspaces.map(\.slug), repositories: first.repositories,
            etags: keepsETags ? first.final.etags : [:])
        let refreshed = try await list(client, workspaces, previous: snapshot)
        #expect(requests(h) - before == workspaces.count, "today: 1 per 100 repositories")
        #expect(h.stats.notModified - notModifiedBefore == (keepsETags ? workspaces.count : 0))
        #expect(refreshed.final.etags == first.final.etags)
        #expect(Set(refreshed.repositories.map(\.uuid)) == Set(first.repositories.map(\.uuid)))
        #expect(
            Dictionary(uniqueKeysWithValues: refreshed.repositories.map { ($0.uuid, $0) })
                == Dictionary(uniqueKeysWithValues: first.repositories.map { ($0.uuid, $0) }))
        #expect(refreshed.final.isSnapshot)
        #expect(refreshed.final.mismatches.isEmpty)
    }

    @Test(arguments: [1, 5, 12, 60, 250])
    func aRefreshAfterChangesEqualsAFullListing(changes: Int) async throws {
        let h = try await KitHarness.start {
            $0.seed = UInt64(changes)
            $0.repositoryCount = 2_000
            $0.workspaceCount = 4
        }
        let client = try await loggedIn(h)
        let workspaces = try await client.workspaces()
        let first = try await list(client, workspaces)
        try await churn(h, now: changes)
        let snapshot = RepositorySnapshot(
            workspaces: workspaces.map(\.slug), repositories: first.repositories, etags: first.final.etags)
        let refreshed = try await list(client, workspaces, previous: snapshot)
        let full = try await list(client, workspaces)
        #expect(rows(refreshed.repositories) == (try await truth(h)))
        let differing = refreshed.repositories.filter { repository in
            full.repositories.first { $0.uuid == repository.uuid } != repository
        }.map(\.fullName)
        #expect(differing.isEmpty, "every field as a full listing has it")
        #expect(refreshed.repositories.count == full.repositories.count)
        #expect(refreshed.final.mismatches.isEmpty)
    }

    @Test func onlyUpdatesCostOnlyTheChangesEvenBeyondOnePage() async throws {
        // 150 updates (no creation, deletion or move): the counts agree, so no workspace is
        // listed again; more than a page changed, so the rest is asked with q=updated_on>….
        let h = try await KitHarness.start {
            $0.repositoryCount = 3_000
            $0.workspaceCount = 2
        }
        let client = try await loggedIn(h)
        let workspaces = try await client.workspaces()
        let first = try await list(client, workspaces)
        var changed = first.repositories
        let newest = changed.compactMap(\.updatedOn).max()!
        // Pretend the cached copy is older: the 150 newest look updated since.
        let stale = Set(changed.sorted { $0.updatedOn! > $1.updatedOn! }.prefix(150).map(\.uuid))
        for index in changed.indices where stale.contains(changed[index].uuid) {
            changed[index].updatedOn = newest.addingTimeInterval(-400_000_000)
            changed[index].description = "old"
        }
        let before = requests(h)
        let refreshed = try await list(
            client, workspaces, previous: RepositorySnapshot(workspaces: workspaces.map(\.slug), repositories: changed))
        #expect(
            Dictionary(uniqueKeysWithValues: refreshed.repositories.map { ($0.uuid, $0) })
                == Dictionary(uniqueKeysWithValues: first.repositories.map { ($0.uuid, $0) }))
        // One first page per workspace, plus the q= pages of the workspaces with more than a page of changes.
        #expect(requests(h) - before < 2 * workspaces.count + 6, "not a full pass of 30 pages")
    }

    @Test func aNewWorkspaceIsListedWholeAndAGoneOneDropped() async throws {
        let h = try await KitHarness.start {
            $0.repositoryCount = 500
            $0.workspaceCount = 3
        }
        let client = try await loggedIn(h)
        let workspaces = try await client.workspaces()
        let first = try await list(client, workspaces)
        // The previous listing knew one workspace fewer, and one that is gone.
        let known = Array(workspaces.dropFirst())
        var previous = first.repositories.filter { $0.workspaceSlug != workspaces[0].slug }
        previous.append(
            Repository(
                uuid: "{gone}", name: "gone", slug: "gone", fullName: "left-workspace/gone",
                workspaceSlug: "left-workspace"))
        let refreshed = try await list(
            client, workspaces,
            previous: RepositorySnapshot(workspaces: known.map(\.slug) + ["left-workspace"], repositories: previous))
        #expect(rows(refreshed.repositories) == (try await truth(h)))
    }
}

extension ListingTests {
    @Test func aWorkspaceThatShrinksBelowItsLastPageDuringTheWalkIsStillListedWhole() async throws {
        // 250 repositories in one workspace: pages 1–3. Deleting 60 between the first page and
        // the rest makes page 3 answer 404 "Invalid page"; that is a shrink, not a failure.
        let h = try await KitHarness.start {
            $0.repositoryCount = 250
            $0.workspaceCount = 1
        }
        let workspaces = try await loggedIn(h).workspaces()
        let shrinking = ShrinkAfterFirstPage(base: sharedTransport, h: h)
        let request = AuthorizationRequest.make(configuration: h.configuration)
        let code = try PastedAuthorization.code(from: try await h.approve(request), expectedState: request.state).get()
        let shrinkingClient = h.client(
            tokens: StaticTokenSource(try await h.tokenClient().exchange(code: code, for: request)), base: shrinking)
        let (repositories, final) = try await list(shrinkingClient, workspaces)
        #expect(shrinking.deleted > 0)
        #expect(final.failures.isEmpty, "\(final.failures)")
        #expect(final.mismatches.isEmpty)
        #expect(rows(repositories) == (try await truth(h)))
    }
}

/// Deletes 60 repositories right after the first page of a listing is served.
final class ShrinkAfterFirstPage: HTTPTransport, @unchecked Sendable {
    let base: any HTTPTransport
    let h: KitHarness
    private let lock = NSLock()
    private var done = false
    private(set) var deleted = 0

    init(base: any HTTPTransport, h: KitHarness) {
        self.base = base
        self.h = h
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await base.send(request)
        let first = lock.withLock { () -> Bool in
            guard !done, request.url.path.contains("/repositories/"), request.url.query?.contains("page=1") == true
            else { return false }
            done = true
            return true
        }
        if first {
            let churn = try await base.send(
                HTTPRequest(
                    method: "POST", url: URL(string: h.endpoints.baseURL + "/_emulator/churn?now=60&kind=delete")!))
            let object = try JSONSerialization.jsonObject(with: Data(churn.body)) as? [String: Any]
            deleted = ((object?["changes"] as? [String]) ?? []).filter { $0.hasPrefix("delete") }.count
        }
        return response
    }
}

/// An account too large for one hour's requests is listed whole over several hours: each
/// listing completes workspaces in order, keeps them, and the next spends its hour on the rest.
@Suite(.stopsEmulators) struct ListingAcrossHoursTests {
    @Test func anAccountLargerThanAnHoursRequestsIsListedWholeOverSeveral() async throws {
        let h = try await KitHarness.start {
            $0.repositoryCount = 1_500
            $0.workspaceCount = 4
        }
        let request = AuthorizationRequest.make(configuration: h.configuration)
        let code = try PastedAuthorization.code(from: try await h.approve(request), expectedState: request.state).get()
        let tokens = StaticTokenSource(try await h.tokenClient().exchange(code: code, for: request))
        let unlimited = h.client(tokens: tokens)
        let workspaces = try await unlimited.workspaces()
        let home = TemporaryHome()
        defer { home.remove() }
        // What a whole listing costs, without a budget.
        let before = ListingTests().requests(h)
        _ = try await ListingTests().list(unlimited, workspaces)
        let wholeCost = ListingTests().requests(h) - before
        // An hour's budget of about 60% of that; one request at a time, so the order is exact.
        let budget = wholeCost * 6 / 10
        func client(hour: Int) throws -> BitbucketClient {
            let ledger = RequestLedger(
                directory: home.path + "/hour-\(hour)", clientID: "c", limit: budget + RequestLedger.reserve)
            let budgeted = BudgetedTransport(sharedTransport, ledger: ledger, apiURL: h.configuration.apiURL)
            return BitbucketClient(
                transport: AuthorizedTransport(base: budgeted, tokens: tokens, apiURL: h.configuration.apiURL),
                apiURL: h.configuration.apiURL, pageConcurrency: 1)
        }
        let slugs = workspaces.map(\.slug)

        // The first hour: the first workspaces whole, the rest stopped by the budget.
        let first = try await ListingTests().list(try client(hour: 1), workspaces)
        let truth = try await ListingTests().truth(h)
        // Smallest first: as many workspaces whole as the hour allows.
        let bySize = slugs.sorted { a, b in
            let (x, y) = (
                truth.filter { $0.full_name.hasPrefix(a + "/") }.count,
                truth.filter { $0.full_name.hasPrefix(b + "/") }.count
            )
            return x != y ? x < y : a < b
        }
        let whole = slugs.filter { first.final.failures[$0] == nil && first.final.mismatches[$0] == nil }
        #expect(!whole.isEmpty && whole.count < slugs.count, "\(whole) of \(slugs)")
        #expect(Set(whole) == Set(bySize.prefix(whole.count)), "the smallest workspaces are completed first")
        for slug in slugs where !whole.contains(slug) {
            guard case .budgetSpent = first.final.failures[slug] else {
                Issue.record("\(slug): \(String(describing: first.final.failures[slug]))")
                continue
            }
        }
        let progress = try #require(
            RepositorySnapshot.progress(
                of: slugs, repositories: first.repositories, failures: first.final.failures,
                mismatches: first.final.mismatches, etags: first.final.etags
            ))
        #expect(progress.workspaces == whole)
        #expect(
            ListingTests().rows(progress.repositories)
                == truth.filter { row in whole.contains { row.full_name.hasPrefix($0 + "/") } })

        // Each next hour starts from what the last got whole and gets more whole, until the
        // listing is complete: exactly the account.
        var kept = progress
        for hour in 2...4 {
            let next = try await ListingTests().list(
                try client(hour: hour), workspaces, previous: RepositorySnapshot.start(complete: nil, progress: kept))
            if next.final.failures.isEmpty && next.final.mismatches.isEmpty {
                #expect(ListingTests().rows(next.repositories) == truth)
                return
            }
            let more = try #require(
                RepositorySnapshot.progress(
                    of: slugs, repositories: next.repositories, failures: next.final.failures,
                    mismatches: next.final.mismatches, etags: next.final.etags
                ))
            #expect(
                more.workspaces.count > kept.workspaces.count, "hour \(hour) got no further than \(kept.workspaces)")
            #expect(Set(more.workspaces) == Set(bySize.prefix(more.workspaces.count)))
            kept = more
        }
        Issue.record("still incomplete after four hours")
    }
}

/// When two fetches of a workspace's first page show the same page, and which ETags bbtui keeps.
@Suite struct FirstPageTests {
    let repository = Repository(
        uuid: "{1}", name: "r", slug: "r", fullName: "w/r", workspaceSlug: "w",
        updatedOn: Date(timeIntervalSince1970: 1))

    func page(_ repositories: [Repository], size: Int?, etag: String?, notModified: Bool = false) -> RepositoryPage {
        RepositoryPage(
            repositories: repositories, size: size, pagelen: 100, next: nil, etag: etag, notModified: notModified)
    }

    @Test func pagesAreTheSameByTheirAnswerTheirETagOrTheirContent() {
        let full = page([repository], size: 1, etag: "\"a\"")
        // 304 to the earlier page's ETag.
        #expect(RepositoryPage.same(full, page([], size: nil, etag: "\"a\"", notModified: true)))
        // The same ETag, whatever the content says.
        #expect(RepositoryPage.same(full, page([repository], size: 1, etag: "\"a\"")))
        // Another ETag, the same content (a weak or per-encoding ETag): the content decides.
        #expect(RepositoryPage.same(full, page([repository], size: 1, etag: "\"b\"")))
        #expect(!RepositoryPage.same(full, page([repository], size: 2, etag: "\"b\"")))
        var renamed = repository
        renamed.updatedOn = Date(timeIntervalSince1970: 2)
        #expect(!RepositoryPage.same(full, page([renamed], size: 1, etag: nil)))
        // No ETags at all: the content.
        #expect(RepositoryPage.same(page([repository], size: 1, etag: nil), page([repository], size: 1, etag: nil)))
        // An earlier 304 has no content to compare: another ETag means another page.
        let answered = page([], size: nil, etag: "\"a\"", notModified: true)
        #expect(RepositoryPage.same(answered, page([repository], size: 1, etag: "\"a\"")))
        #expect(!RepositoryPage.same(answered, page([repository], size: 1, etag: "\"c\"")))
        #expect(!RepositoryPage.same(answered, page([repository], size: 1, etag: nil)))
    }

    @Test(arguments: [
        ("\"gz[9f8e7d]\"", true), ("W/\"17\"", true), ("abc", true),
        ("", false), ("\"a\"\r\nSet-Cookie: x=1", false), ("\"a b\"", false), ("\"é\"", false), ("\u{1B}[2J", false),
        (String(repeating: "a", count: 257), false), (String(repeating: "a", count: 256), true),
    ])
    func onlyAnETagThatIsSafeToSendBackIsKept(_ value: String, _ kept: Bool) {
        #expect((BitbucketClient.usableETag(value) != nil) == kept)
    }
}
