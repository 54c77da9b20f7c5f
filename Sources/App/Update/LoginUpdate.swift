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
            var browser = BrowserUpdate.browser(for: record)
            if var previous = state.suspendedBrowser, previous.account.id == browser.account.id {
                // Back to exactly where the person was, with the new token.
                previous.account = browser.account
                browser = previous
            }
            state.suspendedBrowser = nil
            state.overlay = nil
            // The profile was just fetched to learn who logged in: everything else is fetched.
            let effects = [.stopListener] + BrowserUpdate.startFetchAll(&browser).filter { $0 != .fetchUser }
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

    static func paste(_ text: String, _ state: inout AppState) -> [Effect] {
        modify(&state) { login in
            login.field.paste(text)
            login.isFieldFocused = true
            if login.field.wasTruncated {
                login.problem = "That paste was longer than any code or redirect URL; it was cut."
            }
        }
        return []
    }

    static func key(_ key: Key, _ state: inout AppState) -> [Effect] {
        guard var login = state.login else { return [] }
        if login.isFieldFocused {
            switch Keymap.command(for: key, in: .loginField) {
            case .back?:
                login.isFieldFocused = false
            case .submit?:
                state.page = .login(login)
                return submit(&state)
            case .redraw?:
                return [.redraw]
            default:
                login.field.handle(key)
            }
            state.page = .login(login)
            return []
        }
        guard let command = Keymap.command(for: key, in: .login, isDemo: state.environment.isDemo) else {
            if case .character = key {
                // Any other character starts typing in the field.
                login.isFieldFocused = true
                login.field.handle(key)
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
                Update.say(refusal, &state, kind: .warning)
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
