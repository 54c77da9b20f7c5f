import BitbucketKit
import Foundation

/// A value that arrives asynchronously, and what the screen knows about it meanwhile.
///
/// Never an `isLoading` flag beside an optional: each case says exactly what can be shown.
public enum Loadable<Value: Equatable & Sendable>: Equatable, Sendable {
    /// Not asked for yet.
    case idle
    /// Being fetched; `stale` is what was shown before (cached or previous), if anything.
    case loading(stale: Snapshot<Value>?)
    /// Fetched (or read from the cache when `isCached`).
    case loaded(Snapshot<Value>)
    /// The last fetch failed; `stale` is still shown, marked as such.
    case failed(AppError, stale: Snapshot<Value>?)

    /// What can be shown now, fresh or stale.
    public var snapshot: Snapshot<Value>? {
        switch self {
        case .idle: return nil
        case .loading(let stale): return stale
        case .loaded(let snapshot): return snapshot
        case .failed(_, let stale): return stale
        }
    }

    /// The value that can be shown now.
    public var value: Value? { snapshot?.value }

    /// True while a fetch is running.
    public var isLoading: Bool {
        if case .loading = self { return true }
        return false
    }

    /// The error of the last fetch, if it failed.
    public var error: AppError? {
        if case .failed(let error, _) = self { return error }
        return nil
    }

    /// The state when a new fetch starts: whatever is shown stays.
    public var reloading: Loadable { .loading(stale: snapshot) }

    /// The state when a fetch fails: whatever is shown stays, marked stale.
    public func failing(_ error: AppError) -> Loadable { .failed(error, stale: snapshot) }
}

/// A value with when it was fetched and whether it came from the cache.
public struct Snapshot<Value: Equatable & Sendable>: Equatable, Sendable {
    public var value: Value
    public var fetchedAt: Date
    public var isCached: Bool

    /// Creates a snapshot.
    public init(_ value: Value, fetchedAt: Date, isCached: Bool = false) {
        self.value = value
        self.fetchedAt = fetchedAt
        self.isCached = isCached
    }
}

/// Any failure the app shows (BitbucketKit's `ServiceError`), with the full-screen app's wording.
public typealias AppError = ServiceError

extension ServiceError {
    /// The message with the full-screen app's next step.
    public func screenText(_ keymap: Keymap) -> String {
        if needsLogin || !isTransient { return description }
        let refresh = keymap.key(for: .refreshPane, in: .browser)
        return description + (isRetryableLater ? " Press \(refresh) in a few minutes." : " Press \(refresh) to retry.")
    }
}
