import BitbucketKit
import Foundation
import TerminalUI

/// Draws the whole state into a screen. Pure: the same state gives the same screen.
public enum AppView {
    /// Renders `state` into a fresh screen of its size.
    public static func render(_ state: AppState, glyphs: Glyphs = .unicode) -> Screen {
        var screen = Screen(size: state.size, glyphs: glyphs)
        render(state, into: &screen)
        return screen
    }

    /// Renders `state` into `screen`.
    public static func render(_ state: AppState, into screen: inout Screen) {
        screen.clear()
        let layout = Layout(size: state.size)
        if layout.isTooSmall {
            drawTooSmall(state.size, keymap: state.keymap, into: &screen)
            return
        }
        switch state.page {
        case .login(let login):
            LoginView.render(login, state: state, into: &screen)
        case .browser(let browser):
            BrowserView.render(browser, state: state, layout: layout, into: &screen)
        }
        if let overlay = state.overlay {
            screen.cursor = nil
            drawOverlay(overlay, state: state, into: &screen)
        }
    }

    static func drawTooSmall(_ size: Size, keymap: Keymap, into screen: inout Screen) {
        let text =
            "Terminal too small: \(size.width)×\(size.height), bbtui needs \(Layout.minimumSize.width)×\(Layout.minimumSize.height). Enlarge it, or press \(keymap.key(for: .quit, in: .browser)) to quit."
        for (row, line) in TextLayout.wrap(text, width: max(1, size.width)).prefix(size.height).enumerated() {
            screen.put(line, x: 0, y: row)
        }
    }

    static func drawOverlay(_ overlay: Overlay, state: AppState, into screen: inout Screen) {
        let area = screen.bounds
        switch overlay {
        case .help(let scroll):
            helpOverlay(state).render(into: &screen, area: area, scroll: scroll)
        case .confirmLogout(_, let name):
            Dialog(
                title: "Log out?",
                message:
                    "Delete the tokens of \(Sanitizer.sanitize(name)) from this machine? Access stays granted in Bitbucket until you revoke it there (Personal settings → OAuth).",
                buttons: state.keymap.buttons(.confirmLogout), selectedButton: 1
            )
            .render(into: &screen, area: area)
        case .relogin(let reason):
            Dialog(
                title: "Session ended",
                message: Sanitizer.sanitize(reason, newlines: .keep)
                    + "\n\nAfter logging in again you come back to this screen.",
                buttons: state.keymap.buttons(.relogin)
            )
            .render(into: &screen, area: area)
        case .accounts(let accounts):
            drawAccounts(accounts, keymap: state.keymap, into: &screen, area: area)
        case .cloneLog:
            drawCloneLog(state, into: &screen, area: area)
        }
    }

    /// The clone log: one row per clone, newest last, with its progress or how it ended.
    static func drawCloneLog(_ state: AppState, into screen: inout Screen, area: Rect) {
        let unicode = state.environment.isUnicode
        let lines = state.clones.entries.map { entry -> (String, Style) in
            let name = Sanitizer.sanitize(entry.fullName)
            let place = entry.target.isEmpty ? "" : " → " + Sanitizer.sanitize(entry.target)
            let over = entry.cloneProtocol.map { " (\($0.rawValue.uppercased()))" } ?? ""
            switch entry.status {
            case .queued:
                return ("  queued   \(name)\(place)", .dim)
            case .running(let progress):
                let step =
                    progress.map { $0.phase.lowercased() + ($0.percent.map { " \($0)%" } ?? "") } ?? "starting"
                return ("  cloning  \(name)\(over): \(Sanitizer.sanitize(step))", .bold)
            case .finished(.cloned):
                return ((unicode ? "✓ " : "+ ") + "cloned   \(name)\(over)\(place)", Style(foreground: .green))
            case .finished(.cancelled):
                return ("- stopped  \(name): nothing left behind", .dim)
            case .finished(.failed(let message)):
                return ((unicode ? "✗ " : "x ") + "failed   " + Sanitizer.sanitize(message), Style(foreground: .red))
            }
        }
        let footer = state.keymap.hints(.cloneLog).map { $0.key + " " + $0.label }.joined(separator: " · ")
        // Between the header and the status line, which goes on counting the clones.
        let box = Rect(x: area.x, y: area.y + 1, width: area.width, height: max(0, area.height - 2))
        screen.fill(box)
        let inner = Box(title: "Clone log").render(into: &screen, area: box).inset(left: 1, right: 1)
        guard inner.height >= 2 else { return }
        let rows = inner.height - 1
        if lines.isEmpty {
            screen.put(
                "No clones yet: \(state.keymap.key(for: .clone, in: .browser)) in the repository list clones the selected one.",
                x: inner.x, y: inner.y, width: inner.width, style: .dim)
        }
        let first = min(state.clones.scroll, max(0, lines.count - rows))
        for (offset, line) in lines.dropFirst(first).prefix(rows).enumerated() {
            screen.put(line.0, x: inner.x, y: inner.y + offset, width: inner.width, style: line.1)
        }
        screen.put(footer, x: inner.x, y: inner.maxY - 1, width: inner.width, style: .dim)
    }

    /// The help for the screen under the overlay, from the keymap.
    static func helpOverlay(_ state: AppState) -> HelpOverlay {
        let contexts: [KeyContext] =
            state.login?.setup != nil
            ? [.setup, .setupField] : state.login != nil ? [.login, .loginField] : [.browser, .detail, .filter]
        let close = state.keymap.ownTable(.help).first { $0.command == .back }.map { "\($0.keys[0]) closes" }
        return HelpOverlay(
            title: "Keys",
            sections: state.keymap.helpSections(contexts, hasJobControl: state.environment.hasJobControl),
            closeHint: close)
    }

    static func drawAccounts(_ overlay: AccountsOverlay, keymap: Keymap, into screen: inout Screen, area: Rect) {
        let lines = overlay.accounts.map { account -> String in
            let marker = account.id == overlay.activeID ? "● " : "  "
            return marker + Sanitizer.sanitize(account.displayName) + " (" + Sanitizer.sanitize(account.username) + ")"
        }
        let footer = keymap.hints(.accounts).map { $0.key + " " + $0.label }.joined(separator: " · ")
        let width = min(area.width, max(DisplayWidth.of(footer), lines.map { DisplayWidth.of($0) }.max() ?? 0) + 4)
        let box = area.centered(width: width, height: min(area.height, lines.count + 4))
        screen.fill(box)
        let inner = Box(title: "Accounts").render(into: &screen, area: box).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        var state = overlay.list
        Table(columns: [TableColumn("", width: .fill(1))], showsHeader: false)
            .render(
                into: &screen, area: Rect(x: inner.x, y: inner.y, width: inner.width, height: max(0, inner.height - 2)),
                count: lines.count, state: &state, row: { [lines[$0]] })
        if lines.isEmpty { screen.put("No accounts yet.", x: inner.x, y: inner.y, width: inner.width, style: .dim) }
        screen.put(footer, x: inner.x, y: inner.maxY - 1, width: inner.width, style: .dim)
    }

    /// The most rows a status message may take; longer ones end in an ellipsis.
    static let maxMessageRows = 4

    /// The status bar for any screen. A message too long for the bar is wrapped onto the rows
    /// just above it (over the content, for the message's lifetime), never cut at the edge.
    static func drawStatus(_ state: AppState, hints: [KeyHint], trailing: String, area: Rect, into screen: inout Screen)
    {
        // Without a message, running clones say how far they are.
        guard let raw = state.message ?? state.clones.summary.map({ StatusMessage($0) }) else {
            StatusBar(hints: hints, message: nil, trailing: trailing).render(into: &screen, area: area)
            return
        }
        let text = Sanitizer.sanitize(raw.text)
        let room = max(1, area.width - 2 - (trailing.isEmpty ? 0 : min(area.width / 3, DisplayWidth.of(trailing) + 1)))
        var lines = TextLayout.wrap(text, width: room)
        if lines.count > maxMessageRows {
            lines = Array(lines.prefix(maxMessageRows))
            lines[maxMessageRows - 1] = TextLayout.truncate(
                lines[maxMessageRows - 1] + " " + screen.glyphs.ellipsis, to: room, ellipsis: screen.glyphs.ellipsis)
        }
        let extra = min(lines.count - 1, max(0, area.y))
        for (offset, line) in lines.prefix(extra).enumerated() {
            let row = Rect(x: area.x, y: area.y - extra + offset, width: area.width, height: 1)
            StatusBar(hints: [], message: StatusMessage(line, kind: raw.kind)).render(into: &screen, area: row)
        }
        StatusBar(hints: hints, message: StatusMessage(lines.last ?? "", kind: raw.kind), trailing: trailing).render(
            into: &screen, area: area)
    }
}
