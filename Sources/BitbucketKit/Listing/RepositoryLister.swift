import Foundation
import Synchronization

/// One page of a repository listing.
struct RepositoryPage: Sendable {
    var repositories: [Repository]
    var size: Int?
    var pagelen: Int?
    var next: String?
    /// The response's `ETag`, when the server sent one.
    var etag: String?
    /// 304: the page is the one `etag` names (asked with `If-None-Match`); no content.
    var notModified = false

    /// Two fetches of a workspace's first page show the same page: the later one answered 304 to
    /// the earlier one's ETag, or both carry the same ETag, or (when the earlier one has content)
    /// the same repositories at the same versions and the same `size`.
    static func same(_ earlier: RepositoryPage, _ later: RepositoryPage) -> Bool {
        if later.notModified { return true }
        if let a = earlier.etag, let b = later.etag, a == b { return true }
        if earlier.notModified { return false }
        return earlier.size == later.size && RepositoryLister.same(earlier.repositories, later.repositories)
    }
}

/// One repository listing: every workspace's first page, the rest of its pages at once, then a
/// check that nothing changed during the walk, repeated for the workspaces that did change.
///
/// With a previous complete listing (a refresh), each workspace costs one request when nothing
/// changed: the newest-first first page carries both the changes (anything created, renamed,
/// updated or moved in is stamped with a newer `updated_on`) and `size`, which exposes
/// deletions and moves out. Only a workspace whose count then disagrees is listed again.
final class RepositoryLister: Sendable {
    typealias Page = RepositoryPage

    struct Outcome: Sendable {
        var repositories: [Repository] = []
        /// The latest `size` Bitbucket reported; nil for a listing without one.
        var size: Int?
        var failure: APIError?
        var keptChanging = false
        /// Walked again after increments went out (what was delivered needs correcting).
        var rewalked = false
        /// The first page (and `size`) the repositories were last verified against; nil when
        /// the workspace never settled (or has no `size`).
        var signature: Page?
    }

    struct State {
        /// The uuids increments delivered.
        var delivered = Set<String>()
        var failures: [String: APIError] = [:]
        var sizes: [String: Int] = [:]
        var firstPagesPending: Int
    }

    /// How many times a workspace that changed during its walk is walked again.
    static let attempts = 3

    let client: BitbucketClient
    let slugs: [String]
    let previous: [String: [Repository]]
    /// The ETag of each workspace's first page when the previous listing was taken: a refresh
    /// sends it as `If-None-Match`, and a 304 carries no page at all.
    let previousETags: [String: String]
    /// Each workspace's `size` from its first page: its pages' priority.
    let sizes = Mutex<[String: Int]>([:])
    let sort: String
    let limiter: RequestLimiter
    let roleFilterIsGone = RoleFilterFlag()
    let emit: @Sendable (RepositoryBatch) -> Void
    let state: Mutex<State>

    init(
        client: BitbucketClient, slugs: [String], previous: RepositorySnapshot?, sort: String, concurrency: Int,
        emit: @escaping @Sendable (RepositoryBatch) -> Void
    ) {
        self.client = client
        self.slugs = slugs
        var previousByWorkspace: [String: [Repository]] = [:]
        if let previous {
            let wanted = Set(slugs)
            for slug in previous.workspaces where wanted.contains(slug) { previousByWorkspace[slug] = [] }
            for repository in previous.repositories where previousByWorkspace[repository.workspaceSlug] != nil {
                previousByWorkspace[repository.workspaceSlug, default: []].append(repository)
            }
        }
        self.previous = previousByWorkspace
        previousETags = previous?.etags ?? [:]
        self.sort = sort
        limiter = RequestLimiter(limit: concurrency)
        self.emit = emit
        state = Mutex(State(firstPagesPending: slugs.count))
    }

    /// A refresh delivers only whole snapshots: increments would replace the rows shown.
    var isRefresh: Bool { !previous.isEmpty }

    func run() async throws {
        var outcomes = await forEach(slugs) { slug in
            if let previous = self.previous[slug] {
                return await self.refresh(slug, previous: previous, etag: self.previousETags[slug])
            }
            return await self.fullPass(slug, streaming: true)
        }
        for slug in slugs {
            guard let error = outcomes[slug]?.failure else { continue }
            if error.needsLogin { throw error }
            if case .missingScopes = error { throw error }
        }
        var merged = RepositoryLister.merge(outcomes, order: slugs)
        var corrected = merged.replaced || slugs.contains { outcomes[$0]?.rewalked == true }
        // A workspace whose count disagrees (a move out, a deletion, a walk the server's pages
        // did not cover) is listed again, whole. And when anything moved during this listing,
        // a workspace that settled early may have changed since: every workspace's first page
        // is looked at once more (one request each, only then), and what changed is walked again.
        var unsettled = Set<String>()
        for round in 0..<RepositoryLister.attempts {
            var again = Set(
                slugs.filter { slug in
                    guard let outcome = outcomes[slug], outcome.failure == nil, let size = outcome.size else {
                        return false
                    }
                    return merged.counts[slug, default: 0] != size || outcome.signature == nil
                })
            if corrected {
                let signatures = outcomes.compactMapValues(\.signature)
                let verified = await forEach(slugs.filter { signatures[$0] != nil && !again.contains($0) }) { slug in
                    var outcome = Outcome()
                    outcome.signature = try? await self.fetch(slug, page: 1, ifNoneMatch: signatures[slug]?.etag)
                    return outcome
                }
                for (slug, check) in verified {
                    guard let signature = signatures[slug], let page = check.signature,
                        RepositoryPage.same(signature, page)
                    else {
                        again.insert(slug)
                        continue
                    }
                }
            }
            if again.isEmpty { break }
            if round == RepositoryLister.attempts - 1 {
                unsettled = again
                break
            }
            let relisted = await forEach(Array(again)) { await self.fullPass($0, streaming: false) }
            for (slug, outcome) in relisted { outcomes[slug] = outcome }
            merged = RepositoryLister.merge(outcomes, order: slugs)
            corrected = true
        }
        if followParents(&merged.repositories) { corrected = true }

        var mismatches: [String: CountMismatch] = [:]
        var failures: [String: APIError] = [:]
        for slug in slugs {
            guard let outcome = outcomes[slug] else { continue }
            if let failure = outcome.failure {
                failures[slug] = failure
                continue
            }
            if let size = outcome.size, merged.counts[slug, default: 0] != size || unsettled.contains(slug) {
                // A workspace whose own walk added up but whose merged count does not lost or
                // gained repositories to moves in other workspaces: it changed, too.
                let ownWalkAddsUp = Set(outcome.repositories.map(\.uuid)).count == size
                mismatches[slug] = CountMismatch(
                    listed: merged.counts[slug, default: 0], reported: size,
                    keptChanging: outcome.keptChanging || ownWalkAddsUp || unsettled.contains(slug))
            }
        }
        let total =
            slugs.allSatisfy({ outcomes[$0]?.size != nil }) ? slugs.reduce(0) { $0 + (outcomes[$1]?.size ?? 0) } : nil
        // Increments delivered exactly the final list unless something was corrected since.
        let isSnapshot = isRefresh || corrected || state.withLock { $0.delivered.count } != merged.repositories.count
        // Each workspace's first page as last verified: the next refresh asks whether it changed.
        var etags: [String: String] = [:]
        for slug in slugs where failures[slug] == nil && mismatches[slug] == nil {
            if let etag = outcomes[slug]?.signature?.etag { etags[slug] = etag }
        }
        emit(
            RepositoryBatch(
                repositories: isSnapshot ? merged.repositories : [], loaded: merged.repositories.count,
                expectedTotal: total,
                failures: failures, isSnapshot: isSnapshot, mismatches: mismatches, isFinal: true, etags: etags
            ))
        if !slugs.isEmpty, merged.repositories.isEmpty, failures.count == slugs.count,
            let first = failures.sorted(by: { $0.key < $1.key }).first?.value
        {
            throw first
        }
    }

    /// Every outcome's repositories, one per uuid (the most recently updated copy wins: a
    /// repository moved during the listing may have been seen in both workspaces).
    static func merge(
        _ outcomes: [String: Outcome], order: [String]
    ) -> (repositories: [Repository], counts: [String: Int], replaced: Bool) {
        var index: [String: Int] = [:]
        var repositories: [Repository] = []
        var replaced = false
        let total = order.reduce(0) { $0 + (outcomes[$1]?.repositories.count ?? 0) }
        index.reserveCapacity(total)
        repositories.reserveCapacity(total)
        for slug in order {
            for repository in outcomes[slug]?.repositories ?? [] {
                if let at = index[repository.uuid] {
                    if (repository.updatedOn ?? .distantPast) > (repositories[at].updatedOn ?? .distantPast) {
                        repositories[at] = repository
                        replaced = true
                    }
                } else {
                    index[repository.uuid] = repositories.count
                    repositories.append(repository)
                }
            }
        }
        var counts: [String: Int] = [:]
        for repository in repositories { counts[repository.workspaceSlug, default: 0] += 1 }
        return (repositories, counts, replaced)
    }

    /// A fork's `parent` is the parent's name, which changes without touching the fork's
    /// `updated_on`: take it from the parent itself when it is listed, and drop it when the
    /// parent was listed before and is gone now.
    /// True when any fork was changed.
    private func followParents(_ repositories: inout [Repository]) -> Bool {
        let forks = repositories.indices.filter { repositories[$0].parentUUID != nil }
        guard !forks.isEmpty else { return false }
        // Names only of the repositories that are someone's parent.
        let parents = Set(forks.compactMap { repositories[$0].parentUUID })
        var names: [String: String] = [:]
        for repository in repositories where parents.contains(repository.uuid) {
            names[repository.uuid] = repository.fullName
        }
        // Built only if a parent is missing from this listing.
        var previouslyListed: Set<String>?
        var changed = false
        for index in forks {
            guard let parent = repositories[index].parentUUID else { continue }
            if let name = names[parent] {
                if repositories[index].parentFullName != name {
                    repositories[index].parentFullName = name
                    changed = true
                }
            } else {
                let listed = previouslyListed ?? Set(previous.values.joined().map(\.uuid))
                previouslyListed = listed
                if listed.contains(parent) {
                    repositories[index].parentFullName = nil
                    repositories[index].parentUUID = nil
                    changed = true
                }
            }
        }
        return changed
    }

    private func forEach(
        _ slugs: [String], _ body: @escaping @Sendable (String) async -> Outcome
    ) async -> [String: Outcome] {
        await withTaskGroup(of: (String, Outcome).self) { group in
            for slug in slugs { group.addTask { (slug, await body(slug)) } }
            var outcomes: [String: Outcome] = [:]
            for await (slug, outcome) in group { outcomes[slug] = outcome }
            return outcomes
        }
    }

    // MARK: - One workspace

    /// Lists a workspace whole; when it changed during the walk (its first page or `size` moved),
    /// walks it again from the newer first page.
    func fullPass(_ slug: String, streaming: Bool) async -> Outcome {
        var firstPage: Page?
        var latest = Outcome()
        for attempt in 0..<RepositoryLister.attempts {
            let increments = streaming && attempt == 0 && !isRefresh
            let page1: Page
            do {
                if let firstPage { page1 = firstPage } else { page1 = try await fetch(slug, page: 1) }
            } catch {
                if increments { firstPageArrived(slug, nil, failure: error) }
                return Outcome(repositories: latest.repositories, size: latest.size, failure: error)
            }
            if increments { firstPageArrived(slug, page1, failure: nil) }
            let walk = await rest(slug, after: page1, query: [], deliver: increments)
            let items = RepositoryLister.unique(walk.repositories)
            if let failure = walk.failure {
                if increments { failed(slug, failure) }
                return Outcome(repositories: items, size: page1.size, failure: failure)
            }
            guard let size = page1.size else { return Outcome(repositories: items, size: nil, signature: page1) }
            latest = Outcome(repositories: items, size: size, keptChanging: attempt > 0, rewalked: attempt > 0)
            if page1.next == nil && items.count == size {
                latest.signature = page1
                return latest
            }
            let check: Page
            do { check = try await fetch(slug, page: 1, ifNoneMatch: page1.etag) } catch {
                return Outcome(repositories: items, size: size, failure: error)
            }
            if RepositoryPage.same(page1, check) {
                latest.signature = check
                if items.count == size { return latest }
                // Nothing changed, yet the numbered pages did not cover `size`: follow `next`.
                guard let walked = try? await followNext(slug, from: page1) else { return latest }
                return Outcome(
                    repositories: walked, size: size, keptChanging: attempt > 0, rewalked: true, signature: check)
            }
            firstPage = check
        }
        latest.keptChanging = true
        latest.rewalked = true
        return latest
    }

    /// One request when nothing changed: the newest-first page against the previous listing.
    func refresh(_ slug: String, previous: [Repository], etag: String?) async -> Outcome {
        let page1: Page
        do { page1 = try await fetch(slug, page: 1, ifNoneMatch: etag) } catch { return Outcome(failure: error) }
        // The same first page as when the previous listing was taken: nothing changed.
        if page1.notModified { return Outcome(repositories: previous, size: previous.count, signature: page1) }
        guard page1.size != nil else { return await fullPass(slug, streaming: false) }
        var byID = Dictionary(previous.map { ($0.uuid, $0) }, uniquingKeysWith: { a, _ in a })
        let lastChanged = page1.repositories.last.map { byID[$0.uuid] != $0 } ?? false
        for repository in page1.repositories { byID[repository.uuid] = repository }
        if page1.next != nil && lastChanged {
            // More changed than one page holds: ask only for what changed since the previous
            // listing's newest repository (a second early, so nothing on the boundary is lost).
            guard let highWater = previous.compactMap(\.updatedOn).max() else {
                return await fullPass(slug, streaming: false)
            }
            let query = [("q", "updated_on > \"\(RepositoryLister.format(highWater.addingTimeInterval(-1)))\"")]
            do {
                let first = try await fetch(slug, page: 1, query: query)
                let walk = await rest(slug, after: first, query: query, deliver: false)
                if let failure = walk.failure { throw failure }
                for repository in walk.repositories { byID[repository.uuid] = repository }
            } catch {
                return await fullPass(slug, streaming: false)
            }
        }
        let ordered = previous.map(\.uuid) + page1.repositories.map(\.uuid)
        var seen = Set<String>()
        let repositories =
            ordered.compactMap { seen.insert($0).inserted ? byID[$0] : nil }
            + byID.values.filter { !seen.contains($0.uuid) }
        return Outcome(repositories: repositories, size: page1.size, signature: page1)
    }

    /// The pages after `page1`, all at once (their number from `size` and the page length the
    /// server really served), `page1`'s repositories included.
    private func rest(
        _ slug: String, after page1: Page, query: [(String, String)], deliver: Bool
    ) async -> (repositories: [Repository], failure: APIError?) {
        guard let size = page1.size else {
            // No size: a cursor listing, which can only be followed one page at a time.
            do {
                return (try await followNext(slug, from: page1, deliver: deliver), nil)
            } catch {
                return (page1.repositories, error)
            }
        }
        let served = max(1, min(client.pageLength, page1.pagelen ?? max(1, page1.repositories.count)))
        let pages = (size + served - 1) / served
        guard pages > 1 else { return (page1.repositories, nil) }
        let query = query
        return await withTaskGroup(of: (Int, Result<Page, APIError>).self) { group in
            for number in 2...pages {
                group.addTask { (number, await self.result(slug, page: number, query: query)) }
            }
            var pagesByNumber: [Int: [Repository]] = [1: page1.repositories]
            var failure: APIError?
            for await (number, result) in group {
                switch result {
                case .success(let page):
                    pagesByNumber[number] = page.repositories
                    if deliver { delivered(page.repositories) }
                case .failure(.notFound):
                    // A page past the end: the workspace shrank during the walk (Bitbucket
                    // answers 404 "Invalid page"). Not a failure: the check after the walk sees
                    // the new size and walks again.
                    pagesByNumber[number] = []
                case .failure(let error):
                    if failure == nil { failure = error }
                }
            }
            // What arrived is kept even when a page failed: the failure is reported beside it.
            return ((1...pages).flatMap { pagesByNumber[$0] ?? [] }, failure)
        }
    }

    private func followNext(
        _ slug: String, from page1: Page, deliver: Bool = false
    ) async throws(APIError) -> [Repository] {
        var items = page1.repositories
        var next = page1.next
        var pages = 1
        while let link = next, let url = URL(string: link) {
            pages += 1
            guard pages <= 10_000 else {
                throw .decoding("repositories of \(slug): more than 10,000 pages; the next links loop")
            }
            let page = try await fetch(url, slug: slug, context: "repositories of \(slug), page \(pages)")
            if deliver { delivered(page.repositories) }
            items += page.repositories
            next = page.next
        }
        return RepositoryLister.unique(items)
    }

    // MARK: - Requests

    private func fetch(
        _ slug: String, page: Int, query: [(String, String)] = [], ifNoneMatch: String? = nil
    ) async throws(APIError) -> Page {
        await limiter.acquire(priority: priority(slug, firstPage: page == 1))
        defer { limiter.release() }
        let result = try await client.repositoryPage(
            workspace: slug, page: page, sort: sort, query: query, roleFilterIsGone: roleFilterIsGone,
            ifNoneMatch: ifNoneMatch)
        if page == 1, query.isEmpty, let size = result.size { sizes.withLock { $0[slug] = size } }
        return result
    }

    /// First pages (sizes, checks) go first, then the smallest workspaces' pages: when the
    /// hour's requests run out mid-listing, as many workspaces as possible are whole (and kept
    /// for the next listing), not every one half done.
    private func priority(_ slug: String, firstPage: Bool) -> Int {
        firstPage ? 0 : 1 + (sizes.withLock { $0[slug] } ?? Int(Int32.max))
    }

    /// One page as a value. (A `do throws(APIError)` written inside the task group's child
    /// closure was miscompiled by Swift 6.3 in release builds: every page's result was lost.)
    private func result(_ slug: String, page: Int, query: [(String, String)]) async -> Result<Page, APIError> {
        do {
            return .success(try await fetch(slug, page: page, query: query))
        } catch {
            return .failure(error)
        }
    }

    private func fetch(_ url: URL, slug: String, context: String) async throws(APIError) -> Page {
        await limiter.acquire(priority: priority(slug, firstPage: false))
        defer { limiter.release() }
        return try client.decodeRepositories(try await client.get(url, context: context), context: context)
    }

    // MARK: - Increments

    private func firstPageArrived(_ slug: String, _ page: Page?, failure: APIError?) {
        state.withLock { state in
            state.firstPagesPending -= 1
            if let size = page?.size {
                state.sizes[slug] = size
            } else if let page, page.next == nil {
                state.sizes[slug] = page.repositories.count
            }
            if let failure { state.failures[slug] = failure }
            emitIncrement(page?.repositories ?? [], &state)
        }
    }

    private func delivered(_ repositories: [Repository]) {
        state.withLock { emitIncrement(repositories, &$0) }
    }

    private func failed(_ slug: String, _ error: APIError) {
        state.withLock { state in
            state.failures[slug] = error
            emitIncrement([], &state)
        }
    }

    private func emitIncrement(_ repositories: [Repository], _ state: inout State) {
        let expected =
            state.firstPagesPending == 0 && state.sizes.count == slugs.count - state.failures.count
            ? state.sizes.values.reduce(0, +) : nil
        // Room for the whole listing at once, rather than growing (and rehashing) step by step.
        if let expected, state.delivered.capacity < expected { state.delivered.reserveCapacity(expected) }
        var fresh: [Repository] = []
        fresh.reserveCapacity(repositories.count)
        for repository in repositories where state.delivered.insert(repository.uuid).inserted {
            fresh.append(repository)
        }
        emit(
            RepositoryBatch(
                repositories: fresh, loaded: state.delivered.count, expectedTotal: expected, failures: state.failures))
    }

    // MARK: - Helpers

    static func unique(_ repositories: [Repository]) -> [Repository] {
        var seen = Set<String>(minimumCapacity: repositories.count)
        return repositories.filter { seen.insert($0.uuid).inserted }
    }

    /// The same repositories at the same versions, in the same order.
    static func same(_ a: [Repository], _ b: [Repository]) -> Bool {
        a.count == b.count
            && zip(a, b).allSatisfy { $0.uuid == $1.uuid && $0.updatedOn == $1.updatedOn && $0.fullName == $1.fullName }
    }

    /// `2026-11-17T10:00:00+00:00`, as `q` compares dates.
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date).replacingOccurrences(of: "Z", with: "+00:00")
    }
}

/// Bounds how many requests one listing has in flight.
final class RequestLimiter: Sendable {
    private struct Waiter {
        var priority: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var running = 0
        var waiting: [Waiter] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = max(1, limit) }

    /// Waits for a slot; when several wait, the lowest `priority` goes first (then the first
    /// to ask).
    func acquire(priority: Int = 0) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                guard state.running < limit else {
                    state.waiting.append(Waiter(priority: priority, continuation: continuation))
                    return false
                }
                state.running += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            var chosen = 0
            for index in state.waiting.indices where state.waiting[index].priority < state.waiting[chosen].priority {
                chosen = index
            }
            return state.waiting.remove(at: chosen).continuation
        }
        next?.resume()
    }
}
