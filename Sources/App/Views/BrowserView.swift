import BitbucketKit
import Foundation
import TerminalUI

/// The account browser: header, navigation (sidebar or tabs), the pane, the status bar.
enum BrowserView {
    static func render(_ browser: BrowserState, state: AppState, layout: Layout, into screen: inout Screen) {
        drawHeader(browser, state: state, area: layout.header, into: &screen)
        if let sidebar = layout.sidebar { drawSidebar(browser, keymap: state.keymap, area: sidebar, into: &screen) }
        if let tabs = layout.tabs { drawTabs(browser, area: tabs, into: &screen) }
        switch browser.pane {
        case .profile: PaneViews.profile(browser, state: state, area: layout.main, into: &screen)
        case .emails: PaneViews.emails(browser, state: state, area: layout.main, into: &screen)
        case .workspaces: AccountPaneViews.workspaces(browser, state: state, area: layout.main, into: &screen)
        case .sshKeys: AccountPaneViews.sshKeys(browser, state: state, area: layout.main, into: &screen)
        case .repositories:
            if let repository = browser.repositories.detailRepository {
                PaneViews.detail(repository, browser: browser, state: state, area: layout.main, into: &screen)
            } else {
                PaneViews.repositories(browser, state: state, layout: layout, into: &screen)
            }
        }
        var trailing = ""
        if browser.pane == .repositories, browser.repositories.detail == nil,
            let selected = browser.repositories.list.selected
        {
            trailing = "\(selected + 1)/\(browser.repositories.visible.count)"
        }
        let context: KeyContext
        if browser.repositories.isEditingFilter {
            context = .filter
        } else if browser.repositories.detail != nil, browser.pane == .repositories {
            context = .detail
        } else {
            context = .browser
        }
        let hints = state.keymap.hints(context, pane: browser.pane)
        AppView.drawStatus(state, hints: hints, trailing: trailing, area: layout.status, into: &screen)
    }

    static func drawHeader(_ browser: BrowserState, state: AppState, area: Rect, into screen: inout Screen) {
        screen.fill(area, style: .reverse)
        let account = browser.account
        let name = Sanitizer.sanitize(account.displayName) + " (" + Sanitizer.sanitize(account.username) + ")"
        let countdown = Format.countdown(to: account.tokenExpiresAt, now: state.now)
        // An expired access token is renewed with the refresh token on the next request.
        let token =
            account.usesAPIToken
            ? "API token" : countdown == "expired" ? "token renews on next request" : "token " + countdown
        let text = " bbtui │ \(name) │ \(token) │ \(Sanitizer.sanitize(account.storePath))"
        screen.put(text, x: area.x, y: area.y, width: area.width, style: Style(attributes: [.reverse, .bold]))
    }

    static func counts(_ browser: BrowserState) -> [Pane: String] {
        var counts: [Pane: String] = [:]
        if let emails = browser.emails.value { counts[.emails] = String(emails.count) }
        if let details = browser.workspaceDetails.value { counts[.workspaces] = String(details.count) }
        if let report = browser.sshKeys.value { counts[.sshKeys] = String(report.rows.count) }
        if !browser.repositories.all.isEmpty || browser.repositories.progress != .idle {
            counts[.repositories] = String(browser.repositories.all.count)
        }
        return counts
    }

    static func drawSidebar(_ browser: BrowserState, keymap: Keymap, area: Rect, into screen: inout Screen) {
        let inner = Box(title: "Navigate").render(into: &screen, area: area)
        let counts = counts(browser)
        for pane in Pane.allCases {
            let y = inner.y + pane.rawValue
            guard y < inner.maxY else { break }
            let isCurrent = pane == browser.pane
            let style: Style = isCurrent ? Style(attributes: [.reverse, .bold]) : .plain
            screen.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style)
            let count = counts[pane].map { $0 + " " } ?? ""
            let countWidth = DisplayWidth.of(count)
            let title = pane == .repositories && inner.width < 22 + countWidth ? "Repos" : pane.title
            screen.put(
                " \(pane.rawValue + 1) \(title)", x: inner.x, y: y, width: max(0, inner.width - countWidth),
                style: style)
            screen.put(count, x: inner.x, y: y, width: inner.width, style: style, alignment: .right)
        }
        let entries = keymap.legend(.browser)
        let keyWidth = entries.map { DisplayWidth.of($0.keys) }.max() ?? 0
        let legend = [""] + entries.map { TextLayout.pad($0.keys, to: keyWidth) + "  " + $0.label }
        for (offset, text) in legend.enumerated() {
            let y = inner.y + Pane.allCases.count + offset
            guard y < inner.maxY else { break }
            screen.put(" " + text, x: inner.x, y: y, width: inner.width, style: .dim)
        }
    }

    static func drawTabs(_ browser: BrowserState, area: Rect, into screen: inout Screen) {
        let counts = counts(browser)
        // Five panes on a narrow terminal: full titles with counts, then without counts, then
        // short titles, whichever fits first, so every pane's key stays visible.
        func labels(_ style: Int) -> [String] {
            Pane.allCases.map { pane in
                let title: String
                switch (pane, style) {
                case (.repositories, _): title = "Repos"
                case (_, 2): title = pane.shortTitle
                default: title = pane.title
                }
                let count = style == 0 ? counts[pane].map { " \($0)" } ?? "" : ""
                return " \(pane.rawValue + 1) \(title)\(count) "
            }
        }
        let chosen =
            (0...2).lazy.map(labels).first { $0.reduce(0) { $0 + DisplayWidth.of($1) } <= area.width } ?? labels(2)
        var x = area.x
        for (pane, label) in zip(Pane.allCases, chosen) {
            let style: Style = pane == browser.pane ? Style(attributes: [.reverse, .bold]) : .dim
            x = screen.put(label, x: x, y: area.y, style: style, clip: area)
        }
    }
}
