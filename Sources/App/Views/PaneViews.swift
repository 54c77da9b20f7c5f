import BitbucketKit
import Foundation
import TerminalUI

/// The three panes and the repository detail. Every string from the network is sanitised here,
/// at the last step before the screen.
enum PaneViews {
    /// From this list width on, the repositories table shows a description column.
    static let descriptionColumnFrom = 110

    // MARK: - Shared

    /// A pane title with its freshness: "Emails · 3 · cached 2 h ago".
    static func title<Value>(_ name: String, _ loadable: Loadable<Value>, count: Int?, now: Date) -> String {
        var parts = [name]
        if let count { parts.append(String(count)) }
        if let snapshot = loadable.snapshot, snapshot.isCached || loadable.error != nil {
            parts.append((snapshot.isCached ? "cached " : "from ") + Format.age(snapshot.fetchedAt, now: now))
        }
        if loadable.isLoading, loadable.snapshot != nil { parts.append("refreshing") }
        return parts.joined(separator: " · ")
    }

    /// Wrapped lines of an error with its next step, in red.
    @discardableResult
    static func drawError(
        _ error: AppError, keymap: Keymap, in area: Rect, startingAt y: Int, into screen: inout Screen
    ) -> Int {
        var row = y
        for line in TextLayout.wrap(
            Sanitizer.sanitize(error.screenText(keymap), newlines: .keep), width: max(1, area.width))
        where row < area.maxY {
            screen.put(line, x: area.x, y: row, width: area.width, style: Style(foreground: .red, attributes: .bold))
            row += 1
        }
        return row
    }

    static func drawLoading(_ text: String, state: AppState, in area: Rect, into screen: inout Screen) {
        guard !area.isEmpty else { return }
        screen.put(
            Spinner.frame(state.tick, unicode: state.environment.isUnicode) + " " + text, x: area.x, y: area.y,
            width: area.width, style: .dim)
    }

    // MARK: - Profile

    static func profile(_ browser: BrowserState, state: AppState, area: Rect, into screen: inout Screen) {
        let inner = Box(title: title("Profile", browser.user, count: nil, now: state.now)).render(
            into: &screen, area: area
        ).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        var top = inner.y
        if let error = browser.user.error {
            top = drawError(error, keymap: state.keymap, in: inner, startingAt: top, into: &screen) + 1
        }
        guard let user = browser.user.value else {
            if browser.user.isLoading || browser.user == .idle {
                drawLoading(
                    "Loading your profile…", state: state,
                    in: Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top), into: &screen)
            }
            return
        }
        let twoFactor = user.hasTwoFactorAuthentication.map { $0 ? "enabled" : "disabled" } ?? "not reported"
        let created = user.createdOn.map { Format.day($0) + " (" + Format.age($0, now: state.now) + ")" } ?? "—"
        let scopes = user.grantedScopes.isEmpty ? "none reported" : user.grantedScopes.joined(separator: ", ")
        let rows: [(String, String)] = [
            ("Name", user.displayName), ("Nickname", user.nickname ?? "—"), ("Username", user.username ?? "—"),
            ("Account ID", user.accountID ?? "—"), ("UUID", user.uuid), ("Status", user.accountStatus ?? "—"),
            ("Created", created), ("Location", user.location ?? "—"), ("Website", user.website ?? "—"),
            ("Two-step", twoFactor), ("Staff", user.isStaff.map { $0 ? "yes" : "no" } ?? "—"),
            ("Scopes", scopes), ("Profile", user.webURL ?? "—"), ("Avatar", user.avatarURL ?? "—"),
        ]
        let keyWidth = 12
        var lines: [(String, String)] = []
        for (key, value) in rows {
            let wrapped = TextLayout.wrap(Sanitizer.sanitize(value), width: max(1, inner.width - keyWidth))
            for (index, piece) in wrapped.enumerated() { lines.append((index == 0 ? key : "", piece)) }
        }
        let visible = inner.maxY - top
        let first = min(browser.profileScroll, max(0, lines.count - visible))
        for (offset, line) in lines.dropFirst(first).prefix(max(0, visible)).enumerated() {
            screen.put(line.0, x: inner.x, y: top + offset, width: keyWidth, style: .bold)
            screen.put(line.1, x: inner.x + keyWidth, y: top + offset, width: inner.width - keyWidth)
        }
    }

    // MARK: - Emails

    static func emails(_ browser: BrowserState, state: AppState, area: Rect, into screen: inout Screen) {
        let emails = browser.sortedEmails
        let inner = Box(title: title("Emails", browser.emails, count: browser.emails.value?.count, now: state.now))
            .render(into: &screen, area: area).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        var top = inner.y
        if let error = browser.emails.error {
            top = drawError(error, keymap: state.keymap, in: inner, startingAt: top, into: &screen) + 1
        }
        guard browser.emails.value != nil else {
            if browser.emails.isLoading || browser.emails == .idle {
                drawLoading(
                    "Loading email addresses…", state: state,
                    in: Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top), into: &screen)
            }
            return
        }
        if emails.isEmpty {
            screen.put("No email addresses.", x: inner.x, y: top, width: inner.width, style: .dim)
            return
        }
        let narrow = inner.width < 50
        let table = Table(columns: [
            TableColumn("Address", width: .fill(1)),
            TableColumn(narrow ? "Main" : "Primary", width: .fixed(narrow ? 4 : 7)),
            TableColumn(narrow ? "Conf" : "Confirmed", width: .fixed(narrow ? 4 : 11)),
        ])
        var list = browser.emailList
        let yes = state.environment.isUnicode ? "✓" : "yes"
        table.render(
            into: &screen, area: Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top),
            count: emails.count, state: &list,
            row: { index in
                let email = emails[index]
                return [
                    Sanitizer.sanitize(email.address), email.isPrimary ? yes : "",
                    email.isConfirmed ? yes : (narrow ? "no" : "unconfirmed"),
                ]
            }, style: { emails[$0].isConfirmed ? .plain : .dim })
    }

    // MARK: - Repositories

    static func repositories(_ browser: BrowserState, state: AppState, layout: Layout, into screen: inout Screen) {
        let repositories = browser.repositories
        var heading = ["Repositories", String(repositories.all.count)]
        if !repositories.marked.isEmpty { heading.append("\(repositories.marked.count) marked") }
        if let cachedAt = repositories.cachedAt {
            heading.append("cached " + Format.age(cachedAt, now: state.now))
            if repositories.isLoading { heading.append("refreshing") }
        }
        let inner = Box(title: heading.joined(separator: " · ")).render(into: &screen, area: layout.main).inset(
            left: 1, right: 1)
        guard !inner.isEmpty else { return }
        drawInfoLine(repositories, state: state, area: inner.row(0), into: &screen)
        let listArea = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
        if repositories.visible.isEmpty {
            if case .failed(let error) = repositories.progress {
                drawError(error, keymap: state.keymap, in: listArea, startingAt: listArea.y, into: &screen)
            } else if repositories.isLoading || repositories.progress == .idle {
                drawLoading("Loading repositories…", state: state, in: listArea, into: &screen)
            } else if !repositories.filter.isEmpty || repositories.workspaceFilter != nil {
                screen.put(
                    "No repository matches. \(state.keymap.key(for: .clearFilter, in: .filter)) clears the filter.",
                    x: listArea.x, y: listArea.y, width: listArea.width, style: .dim)
            } else {
                screen.put(
                    "No repositories in your workspaces.", x: listArea.x, y: listArea.y, width: listArea.width,
                    style: .dim)
            }
            return
        }
        let wide = listArea.width >= 56
        // On a wide terminal the spare width goes to the description: names and workspaces are
        // short, and stretching them only spreads the row out.
        let withDescription = listArea.width >= PaneViews.descriptionColumnFrom
        let columns: [TableColumn]
        if withDescription {
            columns = [
                TableColumn("Name", width: .fixed(28)), TableColumn("Workspace", width: .fixed(18)),
                TableColumn("Access", width: .fixed(7)),
                TableColumn("Language", width: .fixed(10)), TableColumn("Updated", width: .fixed(9)),
                TableColumn("Size", width: .fixed(8), alignment: .right),
                TableColumn("Description", width: .fill(1)),
            ]
        } else if wide {
            columns = [
                TableColumn("Name", width: .fill(3)), TableColumn("Workspace", width: .fill(2)),
                TableColumn("Access", width: .fixed(7)),
                TableColumn("Language", width: .fixed(listArea.width >= 90 ? 10 : 8)),
                TableColumn("Updated", width: .fixed(9)), TableColumn("Size", width: .fixed(8), alignment: .right),
            ]
        } else {
            columns = [
                TableColumn("Name", width: .fill(1)), TableColumn("Updated", width: .fixed(9)),
                TableColumn("Size", width: .fixed(8), alignment: .right),
            ]
        }
        var list = repositories.list
        let all = repositories.all
        let visible = repositories.visible
        let now = state.now
        let marked = repositories.marked
        let mark = state.environment.isUnicode ? "● " : "* "
        Table(columns: columns).render(
            into: &screen, area: listArea, count: visible.count, state: &list,
            row: { row in
                let repository = all[visible[row]]
                let updated = Format.age(repository.updatedOn, now: now)
                // With rows marked, every name gets a two-column gutter: marked or not.
                let name =
                    marked.isEmpty
                    ? Sanitizer.sanitize(repository.name)
                    : (marked.contains(repository.uuid) ? mark : "  ") + Sanitizer.sanitize(repository.name)
                if wide {
                    var cells = [
                        name,
                        Sanitizer.sanitize(repository.workspaceName ?? repository.workspaceSlug),
                        repository.isPrivate ? "private" : "public",
                        Sanitizer.sanitize(repository.language.isEmpty ? "—" : repository.language),
                        updated, Format.size(repository.size),
                    ]
                    if withDescription { cells.append(Sanitizer.sanitize(repository.description)) }
                    return cells
                }
                return [name, updated, Format.size(repository.size)]
            })
    }

    static func drawInfoLine(_ repositories: RepositoriesState, state: AppState, area: Rect, into screen: inout Screen)
    {
        let arrow =
            repositories.isReversed
            ? (state.environment.isUnicode ? "↑" : "^") : (state.environment.isUnicode ? "↓" : "v")
        let scope = repositories.workspaceFilter.map { "in " + Sanitizer.sanitize($0) } ?? "all workspaces"
        var right = "\(repositories.sort.title) \(arrow) · \(scope)"
        // What this consumer spent of Bitbucket's 1,000 repository requests an hour.
        if let usage = state.browser?.requestUsage, usage.used > 0 {
            right = "\(usage.used)/\(usage.limit) req/h · " + right
        }
        let rightWidth = min(area.width / 2, DisplayWidth.of(right))
        screen.put(right, x: area.maxX - rightWidth, y: area.y, width: rightWidth, style: .dim, alignment: .right)
        let leftArea = Rect(x: area.x, y: area.y, width: max(0, area.width - rightWidth - 1), height: 1)
        if repositories.isEditingFilter {
            screen.put("/", x: leftArea.x, y: leftArea.y, style: .bold)
            var field = repositories.filterField
            TextField(placeholder: "type to filter", isFocused: state.overlay == nil)
                .render(
                    into: &screen,
                    area: Rect(x: leftArea.x + 1, y: leftArea.y, width: max(0, leftArea.width - 1), height: 1),
                    state: &field)
            return
        }
        var left: String
        var style = Style.dim
        switch repositories.progress {
        case .loading(let loaded, let total):
            left =
                Spinner.frame(state.tick, unicode: state.environment.isUnicode) + " loaded \(loaded)"
                + (total.map { " of \($0)" } ?? "")
            style = Style(foreground: .yellow)
        case .failed(let error) where !repositories.all.isEmpty:
            // One row here; the key shows the whole text.
            left =
                "refresh failed (\(state.keymap.key(for: .showError, in: .browser)) shows all): "
                + Sanitizer.sanitize(error.screenText(state.keymap))
            style = Style(foreground: .red)
        default:
            left = ""
        }
        if !repositories.failures.isEmpty {
            let names = repositories.failures.keys.sorted().map { Sanitizer.sanitize($0) }.joined(separator: ", ")
            left += (left.isEmpty ? "" : " · ") + "failed: \(names)"
            style = Style(foreground: .red)
        }
        if !repositories.mismatches.isEmpty {
            let listed = repositories.mismatches.values.reduce(0) { $0 + $1.listed }
            let reported = repositories.mismatches.values.reduce(0) { $0 + $1.reported }
            let names = repositories.mismatches.keys.sorted().map { Sanitizer.sanitize($0) }.joined(separator: ", ")
            let cause =
                repositories.mismatches.values.contains(where: \.keptChanging)
                ? "changed while listed" : "count differs"
            left += (left.isEmpty ? "" : " · ") + "partial: \(names) \(cause), \(listed) of \(reported)"
            style = Style(foreground: .red)
        }
        if !repositories.filter.isEmpty {
            left +=
                (left.isEmpty ? "" : " · ") + "filter: " + Sanitizer.sanitize(repositories.filter)
                + " (\(repositories.visible.count))"
            if style == .dim { style = Style(foreground: .cyan) }
        }
        screen.put(left, x: leftArea.x, y: leftArea.y, width: leftArea.width, style: style)
    }

    // MARK: - Detail

    static func detail(
        _ repository: Repository, browser: BrowserState, state: AppState, area: Rect, into screen: inout Screen
    ) {
        let inner = Box(title: Sanitizer.sanitize(repository.fullName)).render(into: &screen, area: area).inset(
            left: 1, right: 1)
        guard !inner.isEmpty else { return }
        let keyWidth = min(14, inner.width / 3)
        let valueWidth = max(1, inner.width - keyWidth)
        var lines: [(String, String, Style)] = []
        // The URL each wrapped line of a link belongs to, by line index.
        var linkTargets: [Int: String] = [:]
        func add(_ key: String, _ value: String?, style: Style = .plain, isLink: Bool = false) {
            let text = Sanitizer.sanitize(value.flatMap { $0.isEmpty ? nil : $0 } ?? "—")
            for (index, piece) in TextLayout.wrap(text, width: valueWidth).enumerated() {
                lines.append((index == 0 ? key : "", piece, style))
                if isLink { linkTargets[lines.count - 1] = value }
            }
        }
        add("Name", repository.name)
        add("Visibility", repository.isPrivate ? "private" : "public")
        add("Language", repository.language)
        add("Size", repository.size.map { Format.size($0) + " (\($0) bytes)" })
        add("Created", repository.createdOn.map { Format.day($0) + " (" + Format.age($0, now: state.now) + ")" })
        add("Updated", repository.updatedOn.map { Format.day($0) + " (" + Format.age($0, now: state.now) + ")" })
        add("Main branch", repository.mainBranch ?? "none (empty repository)")
        add(
            "Project",
            [repository.projectName, repository.projectKey.map { "(\($0))" }].compactMap { $0 }.joined(separator: " "))
        add(
            "Workspace",
            repository.workspaceName.map { "\($0) (\(repository.workspaceSlug))" } ?? repository.workspaceSlug)
        add("Fork of", repository.parentFullName ?? "not a fork")
        add("Fork policy", repository.forkPolicy.map { $0.replacingOccurrences(of: "_", with: " ") })
        add("Issues", repository.hasIssues.map { $0 ? "on" : "off" })
        add("Wiki", repository.hasWiki.map { $0 ? "on" : "off" })
        add("SSH clone", repository.cloneSSH, style: Style(foreground: .cyan))
        add("HTTPS clone", repository.cloneHTTPS, style: Style(foreground: .cyan), isLink: true)
        add("Web", repository.webURL, style: Style(foreground: .cyan), isLink: true)
        add("Website", repository.website)
        lines.append(("", "", .plain))
        lines.append(("Description", "", .plain))
        let description = Sanitizer.sanitize(repository.description, newlines: .keep)
        for piece in TextLayout.wrap(description.isEmpty ? "(none)" : description, width: inner.width) {
            lines.append(("", piece, .plain))
        }
        let first = min(browser.repositories.detailScroll, max(0, lines.count - inner.height))
        for (offset, line) in lines.dropFirst(first).prefix(inner.height).enumerated() {
            let y = inner.y + offset
            if line.0 == "Description" {
                screen.put("Description", x: inner.x, y: y, width: inner.width, style: .bold)
            } else if line.0.isEmpty && offset + first > lines.firstIndex(where: { $0.0 == "Description" }) ?? Int.max {
                screen.put(line.1, x: inner.x, y: y, width: inner.width)
            } else {
                screen.put(line.0, x: inner.x, y: y, width: keyWidth, style: .bold)
                screen.putLink(
                    line.1, url: linkTargets[offset + first], x: inner.x + keyWidth, y: y, width: valueWidth,
                    style: line.2)
            }
        }
    }
}
