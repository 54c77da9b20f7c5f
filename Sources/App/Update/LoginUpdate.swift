import BitbucketKit
import Foundation
import TerminalUI

/// The login screen's part of `update`.
enum LoginUpdate {
    static func handle(_ action: Action, _ state: inout AppState) -> [Effect] {
        switch action {
        case .loginPrepared(let request, let listener):
            let now = state.now
            modify(&state) { login in
                login.request = request
                login.requestMadeAt = now
                login.listener = listener
                if login.phase == .preparing { login.phase = .waiting }
            }
            return []
        case .redirectReceived(let query):
            return exchange("?" + query, &state)
        case .loginSucceeded(let record, let user, let at):
            // The URL written with `w` is spent: it goes with the login screen.
            let written = state.login?.writtenPath
            var browser = BrowserUpdate.browser(for: record)
            if var previous = state.suspendedBrowser, previous.account.id == browser.account.id {
                // Back to exactly where the person was, with the new token.
                previous.account = browser.account
                browser = previous
            }
            state.suspendedBrowser = nil
            state.overlay = nil
            // The profile was just fetched to learn who logged in: everything else is fetched.
            let effects =
                [.stopListener] + (written.map { [.removeFile($0)] } ?? [])
                + BrowserUpdate.startFetchAll(&browser).filter { $0 != .fetchUser }
            browser.user = .loaded(Snapshot(user, fetchedAt: at))
            state.page = .browser(browser)
            Update.say("Logged in as \(Sanitizer.sanitize(browser.account.displayName)).", &state, kind: .success)
            return effects
        case .loginFailed(let error):
            var effects: [Effect] = []
            let now = state.now
            modify(&state) { login in
                login.phase = .waiting
                var text = error.description
                if case .oauth(.codeRejected) = error {
                    // The code is spent or expired, but the request stays good for a while: the
                    // same URL can be approved again, so a pasted redirect from it still fits.
                    if let made = login.requestMadeAt, now.timeIntervalSince(made) < LoginState.requestLifetime {
                        text +=
                            " The URL above is still good: approve it again in the browser and paste the new address."
                    } else {
                        text +=
                            " The login URL was over ten minutes old, so a fresh one was made above: approve that one."
                        login.phase = .preparing
                        effects = [.prepareLogin]
                    }
                }
                login.problem = text
                login.replacesOnPaste = true
                login.awaitsRest = false
            }
            return effects
        case .wroteURL(let result):
            switch result {
            case .success(let path):
                modify(&state) { $0.writtenPath = path }
                Update.say("Wrote the URL to \(path) (readable only by you).", &state, kind: .success)
            case .failure(let error):
                Update.say("Could not write the URL: \(error.description)", &state, kind: .error)
            }
            return []
        default:
            return []
        }
    }

    static func paste(_ pasted: String, _ state: inout AppState) -> [Effect] {
        // A wrapped copy's line breaks are not part of what it copied (the one-line field would
        // turn them into spaces).
        let text = PastedAuthorization.joiningWrappedLines(pasted)
        modify(&state) { login in
            if replaces(with: text, login) {
                login.field.set(text)
            } else {
                login.field.paste(text)
            }
            login.replacesOnPaste = false
            login.awaitsRest = false
            login.problem = nil
            login.showsStart = true
            login.isFieldFocused = true
            if login.field.wasTruncated {
                login.problem = "That paste was longer than any code or redirect URL; it was cut."
            }
        }
        return []
    }

    /// Whether a paste replaces the field's text: after a failed submit, or when the field holds
    /// a whole answer already (an earlier paste); never when it holds the start of an address
    /// whose rest this paste may be.
    static func replaces(with pasted: String, _ login: LoginState) -> Bool {
        guard !login.field.isEmpty else { return false }
        let state = login.request?.state ?? ""
        if login.awaitsRest { return isWholeAnswer(pasted, state: state) }
        return login.replacesOnPaste || isWholeAnswer(login.field.text, state: state)
    }

    /// A code, or a redirect that carries its state (ours or another attempt's).
    static func isWholeAnswer(_ text: String, state: String) -> Bool {
        switch PastedAuthorization.code(from: text, expectedState: state) {
        case .success, .failure(.stateMismatch), .failure(.denied), .failure(.providerError): return true
        default: return false
        }
    }

    static func key(_ key: Key, _ state: inout AppState) -> [Effect] {
        guard var login = state.login else { return [] }
        if login.setup != nil { return SetupUpdate.key(key, &state) }
        if login.isFieldFocused {
            switch state.keymap.command(for: key, in: .loginField) {
            case .back?:
                login.isFieldFocused = false
            case .submit?:
                state.page = .login(login)
                return submit(&state)
            case .redraw?:
                return [.redraw]
            default:
                edit(key, &login)
            }
            state.page = .login(login)
            return []
        }
        guard let command = state.keymap.command(for: key, in: .login, isDemo: state.environment.isDemo) else {
            if case .character = key {
                // Any other character starts typing in the field.
                login.isFieldFocused = true
                edit(key, &login)
                state.page = .login(login)
            }
            return []
        }
        if let effects = Update.shared(command, &state) { return effects }
        let url = login.request?.url.absoluteString
        switch command {
        case .focusField:
            login.isFieldFocused = true
            state.page = .login(login)
        case .useAPIToken:
            login.setup = SetupUpdate.apiTokenForm(from: nil)
            state.page = .login(login)
        case .submit:
            return submit(&state)
        case .back:
            if var previous = state.suspendedBrowser {
                state.suspendedBrowser = nil
                // A browser that never fetched (bbtui login with an account stored) starts now.
                let fetches = previous.isFresh ? [] : BrowserUpdate.startFetchAll(&previous)
                state.page = .browser(previous)
                return [.stopListener] + fetches
            }
        case .copyLoginURL:
            if let url {
                state.lastCopied = url
                return [.copy(url, what: "the login URL")]
            }
        case .showLoginURL:
            if let url { return [.showPlainly(url)] }
        case .openLoginURL:
            guard let url else { return [] }
            if let refusal = state.environment.browserRefusal {
                Update.say(refusal + " " + state.keymap.insteadOfOpening(onLogin: true), &state, kind: .warning)
                return []
            }
            return [.openURL(url)]
        case .writeLoginURL:
            if let url { return [.writeURLFile(url)] }
        case .approveDemo:
            if let url, login.phase == .waiting { return [.approveDemo(url)] }
        default:
            break
        }
        return []
    }

    /// Typing edits the text (it never replaces it); a change clears the last problem.
    private static func edit(_ key: Key, _ login: inout LoginState) {
        let before = login.field.text
        login.field.handle(key)
        login.showsStart = false
        guard login.field.text != before else { return }
        login.problem = nil
        login.replacesOnPaste = false
    }

    static func submit(_ state: inout AppState) -> [Effect] {
        exchange(state.login?.field.text ?? "", &state)
    }

    /// Reads a code from a paste or a redirect and starts the exchange, or says what is wrong.
    static func exchange(_ input: String, _ state: inout AppState) -> [Effect] {
        guard var login = state.login, let request = login.request, login.phase == .waiting else { return [] }
        switch PastedAuthorization.code(from: input, expectedState: request.state) {
        case .success(let code):
            login.phase = .exchanging
            login.problem = nil
            state.page = .login(login)
            return [.exchange(code: code, request: request)]
        case .failure(let problem):
            login.problem = problem.description
            login.awaitsRest = problem == .cutOff
            login.replacesOnPaste = problem != .cutOff
            state.page = .login(login)
            return []
        }
    }

    private static func modify(_ state: inout AppState, _ body: (inout LoginState) -> Void) {
        guard var login = state.login else { return }
        body(&login)
        state.page = .login(login)
    }
}
