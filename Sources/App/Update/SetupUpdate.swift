import BitbucketKit
import Foundation
import TerminalUI

/// The setup screen's part of `update`: the consumer's Key and Secret, typed or pasted, checked
/// with Bitbucket and saved; then the login URL is made, with no restart.
enum SetupUpdate {
    static func key(_ key: Key, _ state: inout AppState) -> [Effect] {
        guard var login = state.login, var form = login.setup else { return [] }
        defer {
            login.setup = form
            state.page = .login(login)
        }
        if let field = form.focus {
            switch Keymap.command(for: key, in: .setupField) {
            case .back?:
                form.focus = nil
            case .switchField?:
                form.focus = field == .key ? .secret : .key
            case .submit?:
                if field == .key {
                    form.focus = .secret
                } else {
                    return submit(&form)
                }
            case .redraw?:
                return [.redraw]
            default:
                edit(key, &form)
            }
            return []
        }
        guard let command = Keymap.command(for: key, in: .setup) else {
            if case .character = key {
                // Any other character starts typing, in the Key first.
                form.focus = form.key.isEmpty || !form.secret.isEmpty ? .key : .secret
                edit(key, &form)
            }
            return []
        }
        if let effects = Update.shared(command, &state) { return effects }
        switch command {
        case .focusField:
            form.focus = form.key.isEmpty ? .key : .secret
        case .copyLoginURL:
            state.lastCopied = form.callbackURL
            return [.copy(form.callbackURL, what: "the callback URL")]
        case .showLoginURL:
            return [.showPlainly(form.callbackURL)]
        default:
            break
        }
        return []
    }

    /// A paste goes to the field being typed in (the Key when none is): a Key or Secret is one
    /// word, so the spaces and line breaks around a copy are dropped.
    static func paste(_ pasted: String, _ state: inout AppState) -> [Effect] {
        guard var login = state.login, var form = login.setup else { return [] }
        let text = pasted.trimmingCharacters(in: .whitespacesAndNewlines)
        let field = form.focus ?? (form.key.isEmpty ? .key : .secret)
        switch field {
        case .key: form.key.set(text)
        case .secret: form.secret.set(text)
        }
        form.focus = field
        form.problem = nil
        login.setup = form
        state.page = .login(login)
        return []
    }

    static func handle(_ action: Action, _ state: inout AppState) -> [Effect] {
        guard var login = state.login else { return [] }
        switch action {
        case .setupNeeded(let reason, let callbackURL):
            login.setup = login.setup ?? SetupForm(reason: reason, callbackURL: callbackURL)
            login.problem = nil
            state.page = .login(login)
        case .consumerSetUp(let outcome):
            guard var form = login.setup else { return [] }
            form.isChecking = false
            switch outcome {
            case .saved(let path, _):
                // The consumer is saved: the login URL is made now, on this same screen.
                state.page = .login(LoginState())
                Update.say(
                    "Key and Secret accepted, and saved in \(Sanitizer.sanitize(path)) (mode 0600).", &state,
                    kind: .success)
                return [.prepareLogin]
            case .unusable(let problem):
                form.problem = problem.prefix(1).uppercased() + problem.dropFirst() + "."
            case .refused(let message):
                form.problem = message
                form.focus = .secret
            case .failed(let message):
                form.problem = message
            }
            login.setup = form
            state.page = .login(login)
        default:
            break
        }
        return []
    }

    private static func submit(_ form: inout SetupForm) -> [Effect] {
        guard !form.isChecking else { return [] }
        let (key, secret) = (form.key.text.trimmingCharacters(in: .whitespaces), form.secret.text)
        if let problem = ConsumerSetup.problem(with: key, named: "Key")
            ?? ConsumerSetup.problem(
                with: secret, named: "Secret")
        {
            form.problem = problem.prefix(1).uppercased() + problem.dropFirst() + "."
            return []
        }
        form.isChecking = true
        form.problem = nil
        return [.setUpConsumer(key: key, secret: secret)]
    }

    /// Typing edits the field; a change clears the last problem.
    private static func edit(_ key: Key, _ form: inout SetupForm) {
        switch form.focus {
        case .key?:
            let before = form.key.text
            form.key.handle(key)
            if form.key.text != before { form.problem = nil }
        case .secret?:
            let before = form.secret.text
            form.secret.handle(key)
            if form.secret.text != before { form.problem = nil }
        case nil:
            break
        }
    }
}
