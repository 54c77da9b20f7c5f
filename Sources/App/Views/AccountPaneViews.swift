import BitbucketKit
import Foundation
import TerminalUI

/// The Workspaces and SSH keys panes.
enum AccountPaneViews {
    // MARK: - Workspaces

    static func workspaces(_ browser: BrowserState, state: AppState, area: Rect, into screen: inout Screen) {
        let details = browser.workspaceDetails.value ?? []
        let inner = Box(
            title: PaneViews.title(
                "Workspaces", browser.workspaceDetails, count: browser.workspaceDetails.value?.count, now: state.now)
        ).render(into: &screen, area: area).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        var top = inner.y
        if let error = browser.workspaceDetails.error {
            top = PaneViews.drawError(error, keymap: state.keymap, in: inner, startingAt: top, into: &screen) + 1
        }
        guard browser.workspaceDetails.value != nil else {
            if browser.workspaceDetails.isLoading || browser.workspaceDetails == .idle {
                PaneViews.drawLoading(
                    "Loading workspaces…", state: state,
                    in: Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top), into: &screen)
            }
            return
        }
        if details.isEmpty {
            screen.put("You belong to no workspace.", x: inner.x, y: top, width: inner.width, style: .dim)
            return
        }
        // Repository counts come from the listing, once it is whole.
        let counts = browser.repositories.countsByWorkspace
        let countsAreWhole =
            !browser.repositories.isLoading && browser.repositories.failures.isEmpty
            && browser.repositories.mismatches.isEmpty && !browser.repositories.all.isEmpty
        let narrow = inner.width < 70
        let table = Table(columns: [
            TableColumn("Name", width: .fill(2)),
            TableColumn("Slug", width: .fill(2)),
            TableColumn("Role", width: .fixed(narrow ? 6 : 13)),
            TableColumn("Repos", width: .fixed(6), alignment: .right),
            TableColumn("Projects", width: .fill(3)),
        ])
        var list = browser.workspaceList
        table.render(
            into: &screen, area: Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top),
            count: details.count, state: &list,
            row: { index in
                let detail = details[index]
                let role = detail.workspace.isAdministrator ? (narrow ? "admin" : "administrator") : "member"
                let repos =
                    countsAreWhole
                    ? String(counts[detail.workspace.slug] ?? 0) : counts[detail.workspace.slug].map { "\($0)…" } ?? "…"
                let projects: String
                if let problem = detail.problem {
                    projects = "could not be read: " + Sanitizer.sanitize(problem)
                } else {
                    projects = (detail.projects ?? []).map { Sanitizer.sanitize($0) }.joined(separator: ", ")
                }
                return [
                    Sanitizer.sanitize(detail.workspace.title), Sanitizer.sanitize(detail.workspace.slug), role, repos,
                    projects.isEmpty ? "—" : projects,
                ]
            }, style: { details[$0].problem == nil ? .plain : Style(foreground: .red) })
    }

    // MARK: - SSH keys

    static func sshKeys(_ browser: BrowserState, state: AppState, area: Rect, into screen: inout Screen) {
        let inner = Box(
            title: PaneViews.title(
                "SSH keys", browser.sshKeys, count: browser.sshKeys.value?.rows.count, now: state.now)
        ).render(into: &screen, area: area).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        var top = inner.y
        if let error = browser.sshKeys.error {
            top =
                PaneViews.drawError(
                    AppError(keyError: error), keymap: state.keymap, in: inner, startingAt: top, into: &screen) + 1
        }
        guard let report = browser.sshKeys.value else {
            if browser.sshKeys.isLoading || browser.sshKeys == .idle {
                PaneViews.drawLoading(
                    "Loading the account's SSH keys and this machine's…", state: state,
                    in: Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top), into: &screen)
            }
            return
        }
        // The verdict first, in words.
        let host = state.environment.hostName
        let (verdict, style) = verdictText(
            report, host: host, unicode: state.environment.isUnicode, keymap: state.keymap)
        for line in TextLayout.wrap(verdict, width: max(1, inner.width)).prefix(6) where top < inner.maxY {
            screen.put(line, x: inner.x, y: top, width: inner.width, style: style)
            top += 1
        }
        for note in report.notes.prefix(1) where top < inner.maxY {
            screen.put(Sanitizer.sanitize(note), x: inner.x, y: top, width: inner.width, style: .dim)
            top += 1
        }
        top += 1
        guard !report.rows.isEmpty, top < inner.maxY else { return }
        // A fingerprint is only useful whole (SHA256: and 43 characters): it gets its width
        // first, and narrower panes drop the type, then the dates.
        let width = inner.width
        var columns = [TableColumn("Label", width: .fill(2))]
        if width >= 90 { columns.append(TableColumn("Type", width: .fixed(width >= 120 ? 12 : 7))) }
        columns.append(TableColumn("Fingerprint", width: width >= 90 ? .fixed(50) : .fill(4)))
        if width >= 150 {
            columns.append(TableColumn("Comment", width: .fill(2)))
            columns.append(TableColumn("Created", width: .fixed(10)))
        }
        if width >= 60 {
            columns.append(TableColumn("Last used", width: .fixed(width >= 120 ? 13 : 10)))
            columns.append(TableColumn("Expires", width: .fixed(10)))
        }
        columns.append(TableColumn("Here", width: .fill(width >= 60 ? 2 : 1)))
        let yes = state.environment.isUnicode ? "✓ " : "yes "
        var list = browser.keyList
        Table(columns: columns).render(
            into: &screen, area: Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top),
            count: report.rows.count, state: &list,
            row: { index in
                let row = report.rows[index]
                let label = row.key.label.isEmpty ? row.key.comment : row.key.label
                var cells = [Sanitizer.sanitize(label.isEmpty ? "—" : label)]
                if width >= 90 {
                    cells.append(
                        [row.typeName, width >= 120 ? row.bits.map(String.init) : nil].compactMap { $0 }.joined(
                            separator: " "))
                }
                cells.append(row.fingerprint ?? "unreadable key")
                if width >= 150 {
                    cells.append(Sanitizer.sanitize(row.key.label.isEmpty ? "" : row.key.comment))
                    cells.append(Format.day(row.key.createdOn))
                }
                if width >= 60 {
                    var lastUsed = row.key.lastUsed.map { Format.age($0, now: state.now) } ?? "never"
                    if row.isStale { lastUsed += " old" }
                    cells.append(lastUsed)
                    cells.append(row.isExpired ? "expired" : row.key.expiresOn.map { Format.day($0) } ?? "—")
                }
                cells.append(
                    Sanitizer.sanitize(
                        row.isUsableHere
                            ? yes + (row.localSource ?? "")
                            : row.lacksPrivateKey == true && !row.isExpired
                                ? "no private key" : row.localSource != nil || row.isExpired ? "expired" : ""))
                return cells
            },
            style: { index in
                let row = report.rows[index]
                if row.isUsableHere { return Style(foreground: .green) }
                if row.isExpired || row.isStale { return .dim }
                return .plain
            })
    }

    /// "✓ 1 of 4 keys is usable from host (~/.ssh/id_ed25519.pub)" or what to add where.
    static func verdictText(
        _ report: SSHKeyReport, host: String, unicode: Bool, keymap: Keymap = .standard
    ) -> (String, Style) {
        let usable = report.rows.filter(\.isUsableHere)
        if !usable.isEmpty {
            let sources = Set(usable.compactMap(\.localSource)).sorted().joined(separator: ", ")
            let mark = unicode ? "✓ " : ""
            return (
                "\(mark)\(usable.count) of \(report.rows.count) keys \(usable.count == 1 ? "is" : "are") usable from \(Sanitizer.sanitize(host)) (\(Sanitizer.sanitize(sources))): git clone over SSH will work.",
                Style(foreground: .green, attributes: .bold)
            )
        }
        let mark = unicode ? "✗ " : ""
        let why =
            report.rows.isEmpty
            ? "the account has no SSH key"
            : "none of the account's \(report.rows.count) keys is on \(Sanitizer.sanitize(host))"
        if let key = report.keyToAdd {
            return (
                "\(mark)Cloning over SSH from this machine will fail: \(why). Add \(key.key.fingerprint) (\(Sanitizer.sanitize(key.source))) in Personal settings → SSH keys (\(keymap.key(for: .copyLocalKey, in: .browser)) copies it, \(keymap.key(for: .showLocalKey, in: .browser)) shows it).",
                Style(foreground: .red, attributes: .bold)
            )
        }
        return (
            "\(mark)Cloning over SSH from this machine will fail: \(why), and this machine has no SSH key (~/.ssh/*.pub, ssh-agent). Create one with ssh-keygen -t ed25519, then add it in Personal settings → SSH keys.",
            Style(foreground: .red, attributes: .bold)
        )
    }
}

extension AppError {
    /// The SSH keys pane's own wording for a missing scope and a refusal.
    init(keyError error: AppError) {
        switch error {
        case .api(.missingScopes(let required, let granted)):
            self = .configuration(
                "The OAuth consumer lacks the \(required.joined(separator: ", ")) scope needed to read SSH keys (granted: \(granted.isEmpty ? "none" : granted.joined(separator: ", "))). In Bitbucket, edit the consumer, tick Account: Read, then log in again."
            )
        case .api(.http(403, let message)):
            self = .configuration(
                "Bitbucket refused to show this account's SSH keys (403\(message.isEmpty ? "" : ": " + message)). Keys may be managed by your organisation's admin; ask them, or check Personal settings → SSH keys in a browser."
            )
        default:
            self = error
        }
    }
}
