import BitbucketKit
import Foundation
import TerminalUI

/// The three panes.
public enum Pane: Int, CaseIterable, Equatable, Sendable {
    case profile = 0, emails, repositories

    /// The pane's name in the navigation.
    public var title: String {
        switch self {
        case .profile: return "Profile"
        case .emails: return "Emails"
        case .repositories: return "Repositories"
        }
    }
}

/// The account browser.
public struct BrowserState: Equatable, Sendable {
    public var account: AccountSummary
    public var pane: Pane = .repositories
    public var user: Loadable<User> = .idle
    public var emails: Loadable<[Email]> = .idle
    public var workspaces: Loadable<[Workspace]> = .idle
    public var repositories = RepositoriesState()
    public var emailList = ListState()
    public var profileScroll = 0

    /// Creates a browser for an account.
    public init(account: AccountSummary) {
        self.account = account
    }

    /// True while any pane loads.
    public var isBusy: Bool {
        user.isLoading || emails.isLoading || workspaces.isLoading || repositories.isLoading
    }

    /// Emails, primary first, then confirmed, then by address.
    public var sortedEmails: [Email] {
        (emails.value ?? []).sorted {
            if $0.isPrimary != $1.isPrimary { return $0.isPrimary }
            if $0.isConfirmed != $1.isConfirmed { return $0.isConfirmed }
            return $0.address < $1.address
        }
    }
}

/// How the repository list is ordered.
public enum RepositorySort: Int, CaseIterable, Equatable, Sendable {
    case updated = 0, name, size, workspace

    /// The name shown in the pane.
    public var title: String {
        switch self {
        case .updated: return "updated"
        case .name: return "name"
        case .size: return "size"
        case .workspace: return "workspace"
        }
    }
}

/// The repositories pane: everything loaded, and the filtered, sorted view of it.
///
/// `visible` (indices into `all`) is derived but kept, because recomputing it per frame over
/// 100,000 repositories would cost far more than the frame; it is rebuilt only when the data,
/// the filter or the sort changes. A filter that extends the previous one narrows `visible`
/// instead of scanning everything again.
public struct RepositoriesState: Equatable, Sendable {
    /// Load progress.
    public enum Progress: Equatable, Sendable {
        case idle
        case loading(loaded: Int, total: Int?)
        case done(fetchedAt: Date, isCached: Bool)
        case failed(AppError)
    }

    public private(set) var all: [Repository] = []
    /// Lower-cased name, full name, description and language of each repository, for filtering.
    private(set) var searchText: [String] = []
    /// Lower-cased names, for sorting without allocating per comparison.
    private var sortNames: [String] = []
    public private(set) var visible: [Int] = []
    public var progress: Progress = .idle
    /// A new listing started: its first batch replaces what is shown (cached or older rows).
    public var replacesOnNextBatch = false
    /// When the rows shown came from the cache: their fetch time (nil once fresh rows arrive).
    public var cachedAt: Date?
    /// Workspaces that failed while others loaded.
    public var failures: [String: AppError] = [:]
    public private(set) var filter = ""
    public var isEditingFilter = false
    public var filterField = TextFieldState(maxLength: 200)
    public private(set) var sort: RepositorySort = .updated
    public private(set) var isReversed = false
    public private(set) var workspaceFilter: String?
    public var list = ListState()
    /// The repository open in the detail view, by uuid.
    public var detail: String?
    public var detailScroll = 0
    /// When the last fetch started, to tell loaded rows from stale ones.
    public var isLoading: Bool {
        if case .loading = progress { return true }
        return false
    }

    /// Creates an empty state.
    public init() {}

    /// The repository at a visible row.
    public func repository(atVisibleRow row: Int) -> Repository? {
        guard row >= 0, row < visible.count else { return nil }
        return all[visible[row]]
    }

    /// The selected repository.
    public var selected: Repository? { list.selected.flatMap(repository(atVisibleRow:)) }

    /// The repository open in the detail view.
    public var detailRepository: Repository? {
        guard let detail else { return nil }
        return all.first { $0.uuid == detail }
    }

    /// Workspaces present in the data, sorted.
    public var workspaceSlugs: [String] { Array(Set(all.map(\.workspaceSlug))).sorted() }

    // MARK: - Changing the data

    /// Replaces everything (a fresh listing starts, or the cache is loaded).
    public mutating func replaceAll(_ repositories: [Repository]) {
        let selectedID = selected?.uuid
        all = repositories
        searchText = repositories.map(RepositoriesState.searchKey)
        sortNames = repositories.map { $0.name.lowercased() }
        rebuild(keeping: selectedID)
    }

    /// Adds a batch, keeping the selection on the same repository. The new rows are sorted on
    /// their own and merged into `visible`: linear in the list, not a full re-sort per batch.
    public mutating func append(_ repositories: [Repository]) {
        guard !repositories.isEmpty else { return }
        let selectedID = selected?.uuid
        let start = all.count
        all += repositories
        searchText += repositories.map(RepositoriesState.searchKey)
        sortNames += repositories.map { $0.name.lowercased() }
        let needle = filter.lowercased()
        let before = order()
        let fresh = (start..<all.count).filter { matches($0, needle: needle) }.sorted(by: before)
        var merged: [Int] = []
        merged.reserveCapacity(visible.count + fresh.count)
        var i = 0
        var j = 0
        while i < visible.count, j < fresh.count {
            if before(fresh[j], visible[i]) {
                merged.append(fresh[j])
                j += 1
            } else {
                merged.append(visible[i])
                i += 1
            }
        }
        merged += visible[i...]
        merged += fresh[j...]
        visible = merged
        restoreSelection(selectedID)
    }

    /// Sets the filter text; narrows incrementally when it extends the previous one.
    public mutating func setFilter(_ text: String) {
        let needle = text.lowercased()
        let previous = filter.lowercased()
        let selectedID = selected?.uuid
        filter = text
        if !previous.isEmpty, needle.hasPrefix(previous) {
            visible = visible.filter { searchText[$0].contains(needle) }
            restoreSelection(selectedID)
        } else {
            rebuild(keeping: selectedID)
        }
    }

    /// Cycles the sort key (`s`).
    public mutating func cycleSort() {
        sort = RepositorySort(rawValue: (sort.rawValue + 1) % RepositorySort.allCases.count) ?? .updated
        rebuild(keeping: selected?.uuid)
    }

    /// Reverses the order (`S`).
    public mutating func toggleReverse() {
        isReversed.toggle()
        rebuild(keeping: selected?.uuid)
    }

    /// Cycles the workspace filter: all, then each workspace in turn.
    public mutating func cycleWorkspace() {
        let slugs = workspaceSlugs
        if let current = workspaceFilter, let index = slugs.firstIndex(of: current) {
            workspaceFilter = index + 1 < slugs.count ? slugs[index + 1] : nil
        } else {
            workspaceFilter = slugs.first
        }
        rebuild(keeping: selected?.uuid)
    }

    private mutating func rebuild(keeping selectedID: String?) {
        let needle = filter.lowercased()
        visible = all.indices.filter { matches($0, needle: needle) }.sorted(by: order())
        restoreSelection(selectedID)
    }

    private func matches(_ index: Int, needle: String) -> Bool {
        if let workspaceFilter, all[index].workspaceSlug != workspaceFilter { return false }
        return needle.isEmpty || searchText[index].contains(needle)
    }

    /// The current order as a strict "comes before" on indices into `all` (ties broken by
    /// index, so the order is total and stable across rebuilds).
    private func order() -> (Int, Int) -> Bool {
        let repos = all
        let names = sortNames
        let ascending: (Int, Int) -> Bool
        switch sort {
        case .updated:
            // Most recent first is the natural order here; reversed gives oldest first.
            ascending = { a, b in
                let x = repos[a].updatedOn ?? .distantPast
                let y = repos[b].updatedOn ?? .distantPast
                return x != y ? x > y : a < b
            }
        case .name:
            ascending = { a, b in names[a] != names[b] ? names[a] < names[b] : a < b }
        case .size:
            ascending = { a, b in
                let x = repos[a].size ?? 0
                let y = repos[b].size ?? 0
                return x != y ? x > y : a < b
            }
        case .workspace:
            ascending = { a, b in
                if repos[a].workspaceSlug != repos[b].workspaceSlug { return repos[a].workspaceSlug < repos[b].workspaceSlug }
                return names[a] != names[b] ? names[a] < names[b] : a < b
            }
        }
        return isReversed ? { ascending($1, $0) } : ascending
    }

    private mutating func restoreSelection(_ selectedID: String?) {
        // At the top, stay at the top: rows arriving above must not push the selection down.
        if list.selected == 0 || list.selected == nil {
            list.selected = visible.isEmpty ? nil : 0
            list.offset = 0
            return
        }
        if let selectedID, let row = visible.firstIndex(where: { all[$0].uuid == selectedID }) {
            list.selected = row
        } else if visible.isEmpty {
            list.selected = nil
        } else if list.selected == nil || list.selected! >= visible.count {
            list.selected = 0
            list.offset = 0
        }
    }

    static func searchKey(_ repository: Repository) -> String {
        (repository.name + "\u{1F}" + repository.fullName + "\u{1F}" + repository.description + "\u{1F}" + repository.language).lowercased()
    }
}
