import BitbucketKit
import Foundation
import TerminalUI

/// How the repository list is ordered.
public enum RepositorySort: Int, CaseIterable, Equatable, Sendable {
    case updated = 0
    case name, size, workspace

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
/// `ordered` (every index into `all`, in the current sort) and `visible` (the filtered part of it)
/// are derived but kept, because recomputing them per frame over 100,000 repositories would cost
/// far more than the frame. The sort runs only when the sort or the data changes; a filter
/// keystroke is one linear pass over `ordered` with a byte search in a single pre-lowered buffer
/// (and a filter that extends the previous one narrows `visible` instead). Arriving batches are
/// sorted on their own and merged.
public struct RepositoriesState: Equatable, Sendable {
    /// Load progress.
    public enum Progress: Equatable, Sendable {
        case idle
        case loading(loaded: Int, total: Int?)
        case done(fetchedAt: Date, isCached: Bool)
        case failed(AppError)
    }

    public private(set) var all: [Repository] = []
    /// How many of `all` each workspace holds (the Workspaces pane reads it every frame).
    public private(set) var countsByWorkspace: [String: Int] = [:]
    /// Every index into `all`, in the current order.
    private var ordered: [Int] = []
    public private(set) var visible: [Int] = []
    /// Lower-cased name, full name, description and language of every repository, one buffer.
    private var search = SearchIndex()
    /// Sort keys, computed once per repository.
    private var sortNames: [String] = []
    private var updatedKeys: [Double] = []
    private var sizeKeys: [Int64] = []
    public var progress: Progress = .idle
    /// A new listing started: its first batch replaces what is shown (cached or older rows).
    public var replacesOnNextBatch = false
    /// When the rows shown came from the cache: their fetch time (nil once fresh rows arrive).
    public var cachedAt: Date?
    /// Workspaces that failed while others loaded.
    public var failures: [String: AppError] = [:]
    /// Workspaces whose count still disagreed with Bitbucket's after every check.
    public var mismatches: [String: CountMismatch] = [:]
    public private(set) var filter = ""
    public var isEditingFilter = false
    public var filterField = TextFieldState(maxLength: 200)
    public private(set) var sort: RepositorySort = .updated
    public private(set) var isReversed = false
    public private(set) var workspaceFilter: String?
    public var list = ListState()
    /// Repositories marked with Space (by uuid), for `c` to clone together.
    public var marked: Set<String> = []
    /// Filters kept with Enter, newest first (the last `FilterHistory.limit`, per account).
    public var filterHistory: [String] = []
    /// Where ↑/↓ are in the history while typing a filter (nil: at what was typed).
    var historyIndex: Int?
    /// What was typed before ↑ recalled an earlier filter, for ↓ to come back to.
    var historyDraft = ""
    /// The row selected before a filter was typed, to go back to when it is cleared.
    var selectionBeforeFilter: String?
    /// The repository open in the detail view, by uuid.
    public var detail: String? {
        didSet { locateDetail() }
    }
    /// Where `detail` is in `all`, found once when it opens, not on every frame.
    private var detailIndex: Int?
    public var detailScroll = 0

    /// True while a listing is running.
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
        guard let detailIndex, detailIndex < all.count, all[detailIndex].uuid == detail else { return nil }
        return all[detailIndex]
    }

    private mutating func locateDetail() {
        detailIndex = detail.flatMap { id in all.firstIndex { $0.uuid == id } }
    }

    /// Workspaces present in the data, sorted.
    public var workspaceSlugs: [String] { countsByWorkspace.keys.sorted() }

    // MARK: - Changing the data

    /// Replaces everything (a fresh listing starts, or the cache is loaded).
    public mutating func replaceAll(_ repositories: [Repository]) {
        let selectedID = selected?.uuid
        all = []
        countsByWorkspace = [:]
        search = SearchIndex()
        sortNames = []
        updatedKeys = []
        sizeKeys = []
        addKeys(repositories)
        ordered = all.indices.sorted(by: order())
        locateDetail()
        refilter(keeping: selectedID)
    }

    /// Adds a batch, keeping the selection on the same repository: the new rows are sorted on
    /// their own and merged into `ordered` and `visible`, linear in the list.
    public mutating func append(_ repositories: [Repository]) {
        guard !repositories.isEmpty else { return }
        let selectedID = selected?.uuid
        let start = all.count
        addKeys(repositories)
        let before = order()
        let fresh = Array(start..<all.count).sorted(by: before)
        ordered = RepositoriesState.merge(ordered, fresh, by: before)
        let needle = Array(SearchIndex.key(filter).utf8)
        visible = RepositoriesState.merge(visible, fresh.filter { matches($0, needle: needle) }, by: before)
        restoreSelection(selectedID)
    }

    /// Sets the filter text; narrows incrementally when it extends the previous one.
    public mutating func setFilter(_ text: String) {
        let previous = Array(SearchIndex.key(filter).utf8)
        if previous.isEmpty, !text.isEmpty { selectionBeforeFilter = selected?.uuid }
        let selectedID = text.isEmpty ? (selectionBeforeFilter ?? selected?.uuid) : selected?.uuid
        filter = text
        let needle = Array(SearchIndex.key(text).utf8)
        // Byte prefixes of the compared form: what matches the longer needle matches its start.
        if !previous.isEmpty, needle.starts(with: previous) {
            visible = visible.filter { matches($0, needle: needle) }
            restoreSelection(selectedID)
        } else {
            refilter(keeping: selectedID)
        }
        // A changed filter jumps to its first match (the best one, in the current sort); a
        // cleared filter goes back to the row that was selected.
        if !needle.isEmpty, needle != previous {
            list.selected = visible.isEmpty ? nil : 0
            list.offset = 0
        } else if needle.isEmpty, let before = selectionBeforeFilter {
            if let row = visible.firstIndex(where: { all[$0].uuid == before }) { list.selected = row }
            selectionBeforeFilter = nil
        }
    }

    /// Cycles the sort key (`s`).
    public mutating func cycleSort() {
        sort = RepositorySort(rawValue: (sort.rawValue + 1) % RepositorySort.allCases.count) ?? .updated
        resort()
    }

    /// Reverses the order (`S`).
    public mutating func toggleReverse() {
        isReversed.toggle()
        // Every order here is total, so reversing is exact.
        let selectedID = selected?.uuid
        ordered.reverse()
        visible.reverse()
        restoreSelection(selectedID)
    }

    /// Cycles the workspace filter: all, then each workspace in turn.
    /// Shows one workspace (nil: all).
    public mutating func showWorkspace(_ slug: String?) {
        workspaceFilter = slug
        refilter(keeping: selected?.uuid)
    }

    public mutating func cycleWorkspace() {
        let slugs = workspaceSlugs
        if let current = workspaceFilter, let index = slugs.firstIndex(of: current) {
            workspaceFilter = index + 1 < slugs.count ? slugs[index + 1] : nil
        } else {
            workspaceFilter = slugs.first
        }
        refilter(keeping: selected?.uuid)
    }

    private mutating func addKeys(_ repositories: [Repository]) {
        all += repositories
        for repository in repositories {
            countsByWorkspace[repository.workspaceSlug, default: 0] += 1
            search.append(
                repository.name + "\u{1F}" + repository.fullName + "\u{1F}" + repository.description + "\u{1F}"
                    + repository.language)
            // Most names are lower case already: share the name's storage then.
            let lowered = repository.name.lowercased()
            sortNames.append(lowered == repository.name ? repository.name : lowered)
            updatedKeys.append(repository.updatedOn?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude)
            sizeKeys.append(repository.size ?? 0)
        }
    }

    private mutating func resort() {
        let selectedID = selected?.uuid
        ordered = all.indices.sorted(by: order())
        refilter(keeping: selectedID)
    }

    private mutating func refilter(keeping selectedID: String?) {
        let needle = Array(SearchIndex.key(filter).utf8)
        visible = needle.isEmpty && workspaceFilter == nil ? ordered : ordered.filter { matches($0, needle: needle) }
        restoreSelection(selectedID)
    }

    private func matches(_ index: Int, needle: [UInt8]) -> Bool {
        if let workspaceFilter, all[index].workspaceSlug != workspaceFilter { return false }
        return needle.isEmpty || search.contains(needle, at: index)
    }

    /// The current order as a strict "comes before" on indices into `all`, total (ties broken
    /// by index) so rebuilds, merges and reversal all agree.
    private func order() -> (Int, Int) -> Bool {
        let names = sortNames
        let updated = updatedKeys
        let sizes = sizeKeys
        let repos = all
        let ascending: (Int, Int) -> Bool
        switch sort {
        case .updated:
            // Most recent first is the natural order here; reversed gives oldest first.
            ascending = { a, b in updated[a] != updated[b] ? updated[a] > updated[b] : a < b }
        case .name:
            ascending = { a, b in names[a] != names[b] ? names[a] < names[b] : a < b }
        case .size:
            ascending = { a, b in sizes[a] != sizes[b] ? sizes[a] > sizes[b] : a < b }
        case .workspace:
            ascending = { a, b in
                if repos[a].workspaceSlug != repos[b].workspaceSlug {
                    return repos[a].workspaceSlug < repos[b].workspaceSlug
                }
                return names[a] != names[b] ? names[a] < names[b] : a < b
            }
        }
        return isReversed ? { ascending($1, $0) } : ascending
    }

    private static func merge(_ left: [Int], _ right: [Int], by before: (Int, Int) -> Bool) -> [Int] {
        guard !right.isEmpty else { return left }
        var merged: [Int] = []
        merged.reserveCapacity(left.count + right.count)
        var i = 0
        var j = 0
        while i < left.count, j < right.count {
            if before(right[j], left[i]) {
                merged.append(right[j])
                j += 1
            } else {
                merged.append(left[i])
                i += 1
            }
        }
        merged += left[i...]
        merged += right[j...]
        return merged
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
        } else if list.selected! >= visible.count {
            list.selected = 0
            list.offset = 0
        }
    }
}

/// Lower-cased search text of many items in one byte buffer, searched with memchr and memcmp: no string
/// per item, no Unicode-aware comparison per keystroke.
struct SearchIndex: Equatable, Sendable {
    private var bytes: [UInt8] = []
    private var starts: [Int] = [0]

    mutating func append(_ text: String) {
        bytes += SearchIndex.key(text).utf8
        starts.append(bytes.count)
    }

    /// The form both the text and the filter are compared in: lower case, and canonically
    /// composed, so `u` + U+0308 finds `ü` and the other way round (bytes of two canonically
    /// equivalent spellings differ). Plain ASCII, nearly every name, skips the composition.
    static func key(_ text: String) -> String {
        var lowered = text.lowercased()
        // One pass over the bytes (a `utf8.allSatisfy` costs six times as much); most keys end here.
        let isASCII = lowered.withUTF8 { bytes in
            var any: UInt8 = 0
            for byte in bytes { any |= byte }
            return any < 0x80
        }
        if isASCII { return lowered }
        // Composing is slow (Foundation): only text that may hold a decomposed sequence pays it.
        guard lowered.unicodeScalars.contains(where: mayCompose) else { return lowered }
        return lowered.precomposedStringWithCanonicalMapping
    }

    /// Whether NFC could change text holding this scalar: combining marks, Hangul jamo, and the
    /// few singletons (Ω, K and Å signs, CJK compatibility ideographs). The property lookup is
    /// made only in ranges where combining marks live.
    static func mayCompose(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case ..<0x300: return false
        case 0x300...0x36F, 0x1100...0x11FF, 0x20D0...0x20FF, 0x2126, 0x212A, 0x212B, 0x302A...0x302F,
            0x3099...0x309A, 0xA960...0xA97F, 0xD7B0...0xD7FF, 0xF900...0xFAFF, 0xFE20...0xFE2F, 0x2F800...0x2FA1F:
            return true
        case 0x370...0x1DFF, 0xA66F...0xABFF, 0x10000...0x1E94F:
            return scalar.properties.canonicalCombiningClass != .notReordered
        default: return false
        }
    }

    func contains(_ needle: [UInt8], at index: Int) -> Bool {
        let start = starts[index]
        let length = starts[index + 1] - start
        guard needle.count <= length else { return false }
        guard let first = needle.first else { return true }
        return bytes.withUnsafeBufferPointer { haystack in
            needle.withUnsafeBufferPointer { pattern in
                let base = haystack.baseAddress!
                var position = start
                let last = start + length - pattern.count
                // memchr finds candidates for the first byte; memcmp checks the rest.
                while position <= last {
                    guard let hit = memchr(base + position, Int32(first), last - position + 1) else { return false }
                    let offset = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + offset, pattern.baseAddress!, pattern.count) == 0 { return true }
                    position = offset + 1
                }
                return false
            }
        }
    }

}

/// The filters a person kept: newest first, each once, at most `limit`.
public enum FilterHistory {
    public static let limit = 100

    /// `history` with `filter` in front (moved there if it was already in it).
    public static func adding(_ filter: String, to history: [String]) -> [String] {
        let text = filter.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return history }
        return Array(([text] + history.filter { $0 != text }).prefix(limit))
    }
}

extension RepositoriesState {
    // MARK: - Filter history

    /// The field's text after the person typed, pasted or cleared: it filters at once and leaves
    /// the history, so ↓ no longer returns to an older draft.
    mutating func type(_ text: String) {
        historyIndex = nil
        setFilter(text)
    }

    /// Keeps the current filter in the history; returns the new history when it changed.
    mutating func keepFilter() -> [String]? {
        historyIndex = nil
        let kept = FilterHistory.adding(filter, to: filterHistory)
        guard kept != filterHistory else { return nil }
        filterHistory = kept
        return kept
    }

    /// ↑ (`older`) goes back through the kept filters and stops at the oldest; ↓ comes forward,
    /// then back to what was typed before the first ↑.
    mutating func recallFilter(older: Bool) {
        let next: Int?
        if older {
            guard !filterHistory.isEmpty else { return }
            next = min((historyIndex ?? -1) + 1, filterHistory.count - 1)
        } else {
            guard let current = historyIndex else { return }
            next = current > 0 ? current - 1 : nil
        }
        guard next != historyIndex else { return }
        if historyIndex == nil { historyDraft = filterField.text }
        historyIndex = next
        let text = next.map { filterHistory[$0] } ?? historyDraft
        filterField.set(text)
        setFilter(text)
    }
}
