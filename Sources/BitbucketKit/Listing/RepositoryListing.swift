import Foundation

/// A listing folded together from its batches: the one value the TUI, `repos` and the tests
/// consume, so the rule "a snapshot replaces, an increment adds, the last batch says what is
/// missing" is written once.
public struct RepositoryListing: Sendable, Equatable {
    public var repositories: [Repository] = []
    /// Workspaces whose listing failed (in part or whole), with the error.
    public var failures: [String: APIError] = [:]
    /// What Bitbucket said the workspaces hold, once every first page arrived.
    public var expectedTotal: Int?
    /// Workspaces whose count still disagreed with Bitbucket's after every check.
    public var mismatches: [String: CountMismatch] = [:]
    /// Each workspace's first-page ETag (from the last batch), kept for the next refresh.
    public var etags: [String: String] = [:]
    /// The last batch has arrived.
    public var isFinal = false

    /// Creates an empty listing.
    public init() {}

    /// Nothing is missing: the last batch arrived, with no failure and no count that disagrees.
    public var isComplete: Bool { isFinal && failures.isEmpty && mismatches.isEmpty }

    /// Adds a batch: a snapshot replaces what came before, an increment adds to it; the rest
    /// is what the latest batch says.
    public mutating func absorb(_ batch: RepositoryBatch) {
        if batch.isSnapshot {
            repositories = batch.repositories
        } else {
            repositories.append(contentsOf: batch.repositories)
        }
        failures = batch.failures
        expectedTotal = batch.expectedTotal ?? expectedTotal
        mismatches = batch.mismatches
        if batch.isFinal {
            etags = batch.etags
            isFinal = true
        }
    }

    /// What to store in the cache once the listing is over, given the last complete listing and
    /// whether an incomplete one's progress was kept: a complete listing replaces (or, unchanged,
    /// only dates) the stored one and ends the kept progress; an incomplete one is never stored
    /// as the account's repositories (the next start would show it as whole), but the
    /// workspaces it got whole are kept apart for the next listing to start from.
    public func cacheWrites(
        workspaces: [String], complete: RepositorySnapshot?, hadProgress: Bool
    ) -> [CacheWrite] {
        if isComplete {
            let snapshot = RepositorySnapshot(workspaces: workspaces, repositories: repositories, etags: etags)
            return [snapshot == complete ? .touchComplete : .putComplete(snapshot)]
                + (hadProgress ? [.removeProgress] : [])
        }
        guard isFinal,
            let whole = RepositorySnapshot.progress(
                of: workspaces, repositories: repositories, failures: failures, mismatches: mismatches, etags: etags)
        else { return [] }
        return [.putProgress(whole)]
    }

    /// One change to the cached listings (keys `repositories` and `repositories-progress`).
    public enum CacheWrite: Sendable, Equatable {
        /// The stored complete listing is still exact: only its date changes.
        case touchComplete
        /// A new complete listing.
        case putComplete(RepositorySnapshot)
        /// What an incomplete listing got whole.
        case putProgress(RepositorySnapshot)
        /// The kept progress is superseded by a complete listing.
        case removeProgress
    }
}

extension RepositoryBatch {
    /// Folds the next batch into this one (a burst of batches shown in one frame): a snapshot
    /// replaces the repositories, an increment adds to them; every other field is the next one's.
    public mutating func absorb(_ next: RepositoryBatch) {
        repositories = next.isSnapshot ? next.repositories : repositories + next.repositories
        isSnapshot = isSnapshot || next.isSnapshot
        loaded = next.loaded
        expectedTotal = next.expectedTotal
        failures = next.failures
        mismatches = next.mismatches
        isFinal = next.isFinal
        etags = next.etags
    }
}
