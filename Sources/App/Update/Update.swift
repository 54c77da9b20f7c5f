import BitbucketKit
import Foundation
import TerminalUI

/// The program's logic: `update(&state, action)` changes the state and returns the effects to
/// run. Pure: no I/O, no clock (the time comes in `.clock` actions), so every path is testable.
public enum Update {
    /// How long an informational message stays in the status bar.
    static let messageLifetime: TimeInterval = 6
    /// How long an error message stays.
    static let errorLifetime: TimeInterval = 12

    /// The first state and the effects that start the work: the active account's browser, shown
    /// from its cache while everything is fetched again, or the login screen. `startsWithLogin`
    /// (`bbtui login` with an account stored) adds an account: the browser waits behind the
    /// login screen, and Esc goes back to it.
    public static func start(
        record: AccountRecord?, size: Size, now: Date, environment: Environment, startsWithLogin: Bool = false
    ) -> (AppState, [Effect]) {
        guard let record else {
            return (
                AppState(page: .login(LoginState()), size: size, now: now, environment: environment), [.prepareLogin]
            )
        }
        var browser = BrowserUpdate.browser(for: record)
        if startsWithLogin {
            var state = AppState(page: .login(LoginState()), size: size, now: now, environment: environment)
            state.suspendedBrowser = browser
            return (state, [.prepareLogin])
        }
        let effects = BrowserUpdate.startFetchAll(&browser)
        return (AppState(page: .browser(browser), size: size, now: now, environment: environment), effects)
    }

    /// Applies an action.
    public static func update(_ state: inout AppState, _ action: Action) -> [Effect] {
        switch action {
        case .clock(let now):
            state.now = now
            if let expiry = state.messageExpiresAt, now >= expiry {
                state.message = nil
                state.messageExpiresAt = nil
            }
            return []
        case .tick:
            state.tick &+= 1
            return []
        case .event(let event):
            return handle(event, &state)
        case .loginPrepared, .redirectReceived, .loginSucceeded, .loginFailed, .wroteURL:
            return LoginUpdate.handle(action, &state)
        case .setupNeeded, .consumerSetUp, .apiTokenFailed:
            return SetupUpdate.handle(action, &state)
        case .clonesPlanned, .cloneEvent:
            return CloneUpdate.handle(action, &state)
        case .commandFinished(let title, let outcome):
            let name = Sanitizer.sanitize(title)
            switch outcome {
            case .succeeded(let line):
                say(name + (line.map { ": " + $0 } ?? ": done"), &state, kind: .success)
            case .failed(let status, let line):
                say("\(name) failed (\(status))" + (line.map { ": " + $0 } ?? "."), &state, kind: .error)
            case .refused(let reason):
                say("\(name) did not run: \(reason).", &state, kind: .error)
            }
            return []
        case .copied(let result, let what):
            let show =
                state.login != nil
                ? state.keymap.key(for: .showLoginURL, in: .login) : state.keymap.key(for: .showCopied, in: .browser)
            say(copyMessage(result, what: what, show: show), &state, kind: isSuccess(result) ? .success : .error)
            return []
        case .opened(let error):
            if let error {
                say(error + " " + state.keymap.insteadOfOpening(onLogin: state.login != nil), &state, kind: .error)
            } else {
                say("Opened in your browser.", &state, kind: .success)
            }
            return []
        case .failed(let error):
            if error.needsLogin, state.browser != nil {
                state.overlay = .relogin(reason: error.description)
            } else {
                say(error.screenText(state.keymap), &state, kind: .error)
            }
            return []
        case .retrying(let status, let delay):
            let seconds = max(
                1, Int((Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18).rounded()))
            let why: String
            switch status {
            case 429?: why = "Rate limited by Bitbucket"
            case let code?: why = "Bitbucket answered \(code)"
            case nil: why = "Network error"
            }
            say("\(why); retrying in \(seconds) s…", &state, kind: .warning)
            state.isRetryNotice = true
            return []
        default:
            return BrowserUpdate.handle(action, &state)
        }
    }

    private static func handle(_ event: TerminalEvent, _ state: inout AppState) -> [Effect] {
        switch event {
        case .resize(let size):
            state.size = size
            return []
        case .signal(let signal):
            if signal == .suspend { return suspend(&state) }
            state.shouldQuit = true
            switch signal {
            case .interrupt: state.exitStatus = 128 + 2
            case .terminate: state.exitStatus = 128 + 15
            case .hangup: state.exitStatus = 128 + 1
            case .quit: state.exitStatus = 128 + 3
            case .suspend: break
            }
            return [.quit]
        case .resumed:
            return [.redraw]
        case .wake:
            return []
        case .mouse(let mouse):
            return BrowserUpdate.mouse(mouse, &state)
        case .paste(let text):
            if state.overlay != nil { return [] }
            if state.login?.setup != nil { return SetupUpdate.paste(text, &state) }
            if state.login != nil { return LoginUpdate.paste(text, &state) }
            return BrowserUpdate.paste(text, &state)
        case .key(let key):
            if key == .ctrl("c") {
                state.shouldQuit = true
                state.exitStatus = 128 + 2
                return [.quit]
            }
            // Esc and a key pressed quickly arrive as Alt-key; bbtui binds no Alt key, so it is
            // what the person typed: Esc, then the key.
            if case .alt(let character) = key, !isBound(key, state) {
                return handle(.key(.escape), &state)
                    + (state.shouldQuit ? [] : handle(.key(.character(character)), &state))
            }
            if state.overlay != nil { return OverlayUpdate.key(key, &state) }
            if state.login != nil { return LoginUpdate.key(key, &state) }
            return BrowserUpdate.key(key, &state)
        }
    }

    /// True when the context the key goes to binds it.
    private static func isBound(_ key: Key, _ state: AppState) -> Bool {
        let context: KeyContext
        switch state.overlay {
        case .help?: context = .help
        case .confirmLogout?: context = .confirmLogout
        case .accounts?: context = .accounts
        case .relogin?: context = .relogin
        case .cloneLog?: context = .cloneLog
        case nil:
            if let login = state.login {
                context = login.keyContext
            } else if let browser = state.browser {
                context =
                    browser.repositories.isEditingFilter
                    ? .filter : (browser.repositories.detail != nil ? .detail : .browser)
            } else {
                return false
            }
        }
        return state.keymap.command(for: key, in: context, pane: state.browser?.pane) != nil
    }

    /// The commands every screen shares; nil when `command` is not one of them.
    static func shared(_ command: Command, _ state: inout AppState) -> [Effect]? {
        switch command {
        case .quit:
            state.shouldQuit = true
            return [.quit]
        case .help:
            state.overlay = .help(scroll: 0)
            return []
        case .redraw:
            return [.redraw]
        case .suspend:
            return suspend(&state)
        default:
            return nil
        }
    }

    /// Ctrl-Z: stop and give the terminal to the shell, or say why there is none to give it to.
    static func suspend(_ state: inout AppState) -> [Effect] {
        guard state.environment.hasJobControl else {
            say(
                "\(state.keymap.key(for: .suspend, in: .browser)) does nothing here: bbtui leads its own session (as under `ssh -t host bbtui`), so no shell "
                    + "could resume it. Press \(state.keymap.key(for: .quit, in: .browser)) to quit.", &state,
                kind: .warning)
            return []
        }
        return [.suspend]
    }

    // MARK: - Messages

    /// Puts a message in the status bar for a while.
    static func say(_ text: String, _ state: inout AppState, kind: StatusMessage.Kind = .info) {
        state.message = StatusMessage(text, kind: kind)
        state.isRetryNotice = false
        state.messageExpiresAt = state.now.addingTimeInterval(kind == .error ? errorLifetime : messageLifetime)
    }

    static func isSuccess(_ result: ClipboardResult) -> Bool {
        switch result {
        case .osc52, .osc52Passthrough: return true
        case .tooLarge, .unavailable: return false
        }
    }

    /// `show` is the key that shows the text plainly on the screen the person is on.
    static func copyMessage(_ result: ClipboardResult, what: String, show: String) -> String {
        switch result {
        case .osc52:
            return "Sent \(what) to your terminal's clipboard (OSC 52). Nothing arrived? \(show) shows it plainly."
        case .osc52Passthrough(let multiplexer):
            return
                "Sent \(what) to your terminal's clipboard (OSC 52) through \(multiplexer). Nothing arrived? \(show) "
                + "shows it plainly; see the README for \(multiplexer)'s settings."
        case .tooLarge(let bytes):
            return
                "\(what.prefix(1).uppercased() + what.dropFirst()) is too large for OSC 52 (\(bytes) bytes): \(show) "
                + "shows it plainly."
        case .unavailable:
            return "This terminal has no clipboard bbtui can use: \(show) shows the text plainly."
        }
    }
}
