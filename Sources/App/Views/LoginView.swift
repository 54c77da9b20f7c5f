import BitbucketKit
import Foundation
import TerminalUI

/// The login screen: three numbered steps, the URL on rows of its own from column 0 (never
/// boxed or padded, so a terminal's selection copies it), and the paste field.
///
/// On a short terminal the explanations give way first: the URL and the field always show.
enum LoginView {
    /// One row of the screen before placement.
    struct Row {
        var text: String
        var style: Style = .plain
        var indent = 0
        /// May be dropped when the terminal is too short.
        var isOptional = false
        var isField = false
        /// The URL this row shows (part of), for a terminal hyperlink.
        var link: String?
    }

    static func render(_ login: LoginState, state: AppState, into screen: inout Screen) {
        let width = state.size.width
        let height = state.size.height
        screen.fill(Rect(x: 0, y: 0, width: width, height: 1), style: .reverse)
        screen.put(
            " bbtui · log in to Bitbucket Cloud", x: 0, y: 0, width: width, style: Style(attributes: [.reverse, .bold]))
        if let form = login.setup {
            renderSetup(form, state: state, into: &screen)
            return
        }

        var top: [Row] = []
        var bottom: [Row] = []
        func wrapped(_ text: String, style: Style = .plain, indent: Int = 0, optional: Bool = false) -> [Row] {
            LoginView.wrapped(text, width: width, style: style, indent: indent, optional: optional)
        }

        if let request = login.request {
            top += urlSteps(request, login, state: state)
            bottom += wrapped(
                "3. Paste the code or the whole redirect URL, then \(state.keymap.key(for: .submit, in: .loginField)):",
                style: .bold, optional: true)
        } else if let problem = login.problem {
            // No URL can be made (a bad endpoint setting; a missing consumer opens the setup
            // screen instead): the reason says what to fix; no field and no URL keys.
            top += wrapped("bbtui cannot make a login URL yet:", style: .bold)
            top += wrapped(Sanitizer.sanitize(problem), style: Style(foreground: .red, attributes: .bold))
        } else {
            top += wrapped("Preparing the login URL…", style: .dim)
        }
        let hasURL = login.request != nil
        if hasURL || login.problem == nil { bottom.append(Row(text: "", isField: true)) }
        if login.phase == .exchanging {
            bottom += wrapped(
                Spinner.frame(state.tick, unicode: state.environment.isUnicode) + " Exchanging the code for tokens…",
                style: Style(foreground: .yellow))
        } else if let problem = login.problem, hasURL {
            bottom += wrapped(Sanitizer.sanitize(problem), style: Style(foreground: .red, attributes: .bold))
        }
        if let path = login.writtenPath {
            bottom += wrapped("The URL is in \(Sanitizer.sanitize(path)) (mode 600).", style: .dim)
        }

        fit(&top, &bottom, height: height)
        var y = 2
        for row in top + bottom where y < height - 1 {
            if row.isField {
                drawField(login, state: state, y: y, into: &screen)
            } else {
                screen.putLink(
                    row.text, url: row.link, x: row.indent, y: y, width: width - row.indent, style: row.style)
            }
            y += 1
        }
        let hints = state.keymap.hints(login.isFieldFocused ? .loginField : .login, isDemo: state.environment.isDemo)
            .filter { hasURL || login.problem == nil || $0.isPinned }
        AppView.drawStatus(
            state, hints: hints, trailing: "", area: Rect(x: 0, y: height - 1, width: width, height: 1), into: &screen)
    }

    /// Rows 2 ..< height-1 are available: optional rows go from the end of the top part, then
    /// of the bottom part, until everything fits.
    private static func fit(_ top: inout [Row], _ bottom: inout [Row], height: Int) {
        let available = max(0, height - 3)
        while top.count + bottom.count > available, let index = top.lastIndex(where: \.isOptional) {
            top.remove(at: index)
        }
        while top.count + bottom.count > available, let index = bottom.lastIndex(where: \.isOptional) {
            bottom.remove(at: index)
        }
    }

    /// Rows of `text` wrapped at word boundaries.
    private static func wrapped(
        _ text: String, width: Int, style: Style = .plain, indent: Int = 0, optional: Bool = false
    ) -> [Row] {
        TextLayout.wrap(text, width: max(1, width - indent)).map {
            Row(text: $0, style: style, indent: indent, isOptional: optional)
        }
    }

    /// Steps 1 and 2: the URL on rows of its own, the keys for it, and where the browser goes next.
    private static func urlSteps(_ request: AuthorizationRequest, _ login: LoginState, state: AppState) -> [Row] {
        let width = state.size.width
        var rows = wrapped(
            "1. Open this URL in any browser, on any machine, and approve:", width: width, style: .bold, optional: true)
        // The URL itself: plain rows from column 0, cut at the edge, nothing else on them.
        var rest = Substring(Sanitizer.sanitize(request.url.absoluteString))
        while !rest.isEmpty {
            let piece = rest.prefix(max(1, width))
            rows.append(Row(text: String(piece), style: Style(foreground: .cyan), link: request.url.absoluteString))
            rest = rest.dropFirst(piece.count)
        }
        rows += wrapped(
            state.keymap.legend(.login).map { $0.keys + " " + $0.label }.joined(separator: " · "), width: width,
            style: .dim,
            indent: 3, optional: true)
        rows.append(Row(text: "", isOptional: true))
        rows += wrapped(
            "2. Bitbucket then sends the browser to the callback address, carrying a code.", width: width,
            style: .bold, optional: true)
        rows += listenerRows(login.listener, state: state)
        if state.environment.isDemo {
            let approve = state.keymap.key(for: .approveDemo, in: .login)
            let text =
                state.environment.isSSH
                ? "This is the demo, and its Bitbucket runs on this machine, where your browser cannot reach it. Press \(approve) to approve as the demo user; no browser is needed."
                : "This is the demo: press \(approve) to approve as the demo user, no browser needed (or open the URL, or curl -sI it and paste its Location)."
            rows += wrapped(text, width: width, style: Style(foreground: .yellow), indent: 3, optional: true)
        }
        rows.append(Row(text: "", isOptional: true))
        return rows
    }

    /// What the callback listener means here: all that is needed, a forward over SSH, or why not.
    private static func listenerRows(_ listener: LoginState.Listener, state: AppState) -> [Row] {
        let width = state.size.width
        switch listener {
        case .listening(let port):
            var rows = wrapped(
                "bbtui is listening on 127.0.0.1:\(port): with a browser on this machine, that is all.", width: width,
                style: .dim, indent: 3, optional: true)
            // The demo's Bitbucket runs on this machine too: a forward would not help there.
            if state.environment.isSSH, !state.environment.isDemo {
                // The command on a row of its own, never broken; HOST is however the person
                // reaches this machine, which may not be the name it gives itself.
                rows += wrapped(
                    "Browser on your own computer? Reconnect with this, HOST being how you reach this machine "
                        + "(it calls itself \(Sanitizer.sanitize(state.environment.hostName))):",
                    width: width, style: .dim, indent: 3, optional: true)
                rows.append(
                    Row(text: "ssh -L \(port):127.0.0.1:\(port) HOST", style: .dim, indent: 3, isOptional: true))
            }
            return rows
        case .unavailable(let reason):
            return wrapped(
                Sanitizer.sanitize(reason) + " Paste the code or the redirect URL below instead.", width: width,
                style: .dim, indent: 3, optional: true)
        case .off:
            return []
        }
    }

    // MARK: - Setup

    /// The setup screen: the steps with the callback URL on a row of its own, then the Key and
    /// the Secret (masked), and what the last check said.
    private static func renderSetup(_ form: SetupForm, state: AppState, into screen: inout Screen) {
        let width = state.size.width
        let height = state.size.height
        func wrapped(_ text: String, style: Style = .plain, indent: Int = 0, optional: Bool = false) -> [Row] {
            LoginView.wrapped(text, width: width, style: style, indent: indent, optional: optional)
        }
        let copy = state.keymap.key(for: .copyLoginURL, in: .setup)
        let other = state.keymap.key(for: .useAPIToken, in: .setup)
        var top: [Row]
        if form.kind == .consumer {
            top = wrapped("First, an OAuth consumer for bbtui (once):", style: .bold)
            let reason = form.reason.split(separator: ". ", maxSplits: 1).first.map(String.init) ?? form.reason
            top += wrapped("Not configured yet: " + Sanitizer.sanitize(reason) + ".", style: .dim, optional: true)
            let url = form.callbackURL
            let steps = ConsumerSetup.steps(callbackURL: URL(string: url) ?? OAuthConfiguration.defaultRedirectURI)
            for (number, step) in steps.enumerated() {
                if number == 1 {
                    top += wrapped("2. " + ConsumerSetup.callbackStep + " (\(copy) copies it):", optional: true)
                    top.append(Row(text: url, style: .bold, link: url))
                } else {
                    top += wrapped("\(number + 1). " + step, optional: true)
                }
            }
            top += wrapped("Or press \(other) to use an Atlassian API token instead.", style: .dim, optional: true)
        } else {
            top = wrapped("Log in with an Atlassian API token:", style: .bold)
            top += wrapped("1. Make one at (\(copy) copies the address):", optional: true)
            top.append(Row(text: form.callbackURL, style: .bold, link: form.callbackURL))
            top += wrapped(
                "2. \"Create API token with scopes\", app Bitbucket, with "
                    + "read:user:bitbucket, read:workspace:bitbucket, read:repository:bitbucket, read:ssh-key:bitbucket.",
                optional: true)
            top += wrapped(
                "3. Enter your Atlassian account's email and the token. It is never refreshed: when it expires, make a new one. (\(other): back to OAuth.)",
                optional: true)
        }
        var bottom: [Row] = [Row(text: "")]
        let names = form.fieldNames
        bottom.append(Row(text: names.0, isField: true))
        bottom.append(Row(text: names.1, isField: true))
        if form.isChecking {
            bottom += wrapped(
                Spinner.frame(state.tick, unicode: state.environment.isUnicode)
                    + " Checking the \(names.0) and \(names.1) with Bitbucket…", style: Style(foreground: .yellow))
        } else if let problem = form.problem {
            bottom += wrapped(Sanitizer.sanitize(problem), style: Style(foreground: .red, attributes: .bold))
        } else {
            bottom += wrapped(
                state.keymap.key(for: .submit, in: .setupField)
                    + (form.kind == .consumer
                        ? " on the Secret checks both with Bitbucket (no login, no change), then saves them."
                        : " on the token checks it with Bitbucket (one GET /user), then opens your account."),
                style: .dim,
                optional: true)
        }
        fit(&top, &bottom, height: height)
        var y = 2
        for row in top + bottom where y < height - 1 {
            if row.isField {
                let isKey = row.text == names.0
                let labelWidth = max(names.0.count, names.1.count) + 1
                screen.put(row.text, x: 0, y: y, style: .bold)
                var field = isKey ? form.key : form.secret
                let focused = form.focus == (isKey ? .key : .secret) && state.overlay == nil
                TextField(
                    placeholder: focused
                        ? "" : "paste here, or press \(state.keymap.key(for: .focusField, in: .setup))",
                    isFocused: focused, isMasked: !isKey
                )
                .render(
                    into: &screen, area: Rect(x: labelWidth, y: y, width: max(0, width - labelWidth - 1), height: 1),
                    state: &field)
            } else {
                screen.putLink(
                    row.text, url: row.link, x: row.indent, y: y, width: width - row.indent, style: row.style)
            }
            y += 1
        }
        AppView.drawStatus(
            state, hints: state.keymap.hints(form.focus == nil ? .setup : .setupField), trailing: "",
            area: Rect(x: 0, y: height - 1, width: width, height: 1), into: &screen)
    }

    private static func drawField(_ login: LoginState, state: AppState, y: Int, into screen: inout Screen) {
        screen.put("> ", x: 0, y: y, style: .bold)
        var field = login.field
        TextField(
            placeholder: login.isFieldFocused
                ? "" : "paste here (or press \(state.keymap.key(for: .focusField, in: .login)) to type)",
            isFocused: login.isFieldFocused && state.overlay == nil,
            showsStart: login.showsStart
        )
        .render(into: &screen, area: Rect(x: 2, y: y, width: max(0, state.size.width - 3), height: 1), state: &field)
    }
}
