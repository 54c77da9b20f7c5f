import BitbucketKit
import Foundation
import TerminalUI

/// The login screen: three numbered steps, the URL on rows of its own from column 0 (never
/// boxed or padded, so a terminal's selection copies it), and the paste field.
enum LoginView {
    static func render(_ login: LoginState, state: AppState, into screen: inout Screen) {
        let width = state.size.width
        let height = state.size.height
        screen.fill(Rect(x: 0, y: 0, width: width, height: 1), style: .reverse)
        screen.put(" bbtui · log in to Bitbucket Cloud", x: 0, y: 0, width: width, style: Style(attributes: [.reverse, .bold]))
        var y = 2
        func line(_ text: String, style: Style = .plain, indent: Int = 0) {
            for piece in TextLayout.wrap(text, width: max(1, width - indent)) where y < height - 1 {
                screen.put(piece, x: indent, y: y, width: width - indent, style: style)
                y += 1
            }
        }

        guard let request = login.request else {
            line("Preparing the login URL…", style: .dim)
            drawField(login, state: state, y: &y, into: &screen)
            AppView.drawStatus(state, hints: Keymap.hints(Keymap.login), trailing: "", area: Rect(x: 0, y: height - 1, width: width, height: 1), into: &screen)
            return
        }
        line("1. Open this URL in any browser, on any machine, and approve access:", style: .bold)
        // The URL itself: plain rows from column 0, cut at the edge, nothing else on them.
        let url = Sanitizer.sanitize(request.url.absoluteString)
        var characters = Substring(url)
        while !characters.isEmpty, y < height - 1 {
            let piece = characters.prefix(max(1, width))
            screen.put(piece, x: 0, y: y, style: Style(foreground: .cyan))
            characters = characters.dropFirst(piece.count)
            y += 1
        }
        line("y copy · p show on one line · o open here · w write to a file", style: .dim, indent: 3)
        y += y < height - 1 ? 1 : 0

        line("2. Bitbucket then sends the browser to the callback address, carrying a code.", style: .bold)
        switch login.listener {
        case .listening(let port):
            line("bbtui is listening on 127.0.0.1:\(port): with a browser on this machine, that is all.", style: .dim, indent: 3)
            if state.environment.isSSH {
                line("Browser on your own computer? Connect with: ssh -L \(port):127.0.0.1:\(port) \(Sanitizer.sanitize(state.environment.hostName))", style: .dim, indent: 3)
            }
        case .unavailable(let reason):
            line(Sanitizer.sanitize(reason), style: .dim, indent: 3)
        case .off:
            break
        }
        if state.environment.isDemo {
            line("No browser at all? In another shell: curl -sI '<the URL above>' — its Location line is the redirect; paste it below.", style: Style(foreground: .yellow), indent: 3)
        }
        y += y < height - 1 ? 1 : 0
        line("3. Paste the code, or the whole address of that page, and press Enter:", style: .bold)
        drawField(login, state: state, y: &y, into: &screen)
        if login.phase == .exchanging {
            line(Spinner.frame(state.tick, unicode: state.environment.isUnicode) + " Exchanging the code for tokens…", style: Style(foreground: .yellow))
        } else if let problem = login.problem {
            line(Sanitizer.sanitize(problem), style: Style(foreground: .red, attributes: .bold))
        }
        if let path = login.writtenPath {
            line("The URL is in \(Sanitizer.sanitize(path)) (mode 600).", style: .dim)
        }
        var hints = Keymap.hints(Keymap.login)
        if login.isFieldFocused { hints = [KeyHint("Enter", "submit"), KeyHint("Esc", "leave field"), KeyHint("Ctrl-U", "clear")] }
        AppView.drawStatus(state, hints: hints, trailing: "", area: Rect(x: 0, y: height - 1, width: width, height: 1), into: &screen)
    }

    private static func drawField(_ login: LoginState, state: AppState, y: inout Int, into screen: inout Screen) {
        guard y < state.size.height - 1 else { return }
        screen.put("> ", x: 0, y: y, style: .bold)
        var field = login.field
        TextField(placeholder: login.isFieldFocused ? "" : "paste here (or press i to type)", isFocused: login.isFieldFocused && state.overlay == nil)
            .render(into: &screen, area: Rect(x: 2, y: y, width: max(0, state.size.width - 3), height: 1), state: &field)
        y += 1
    }
}
