import BitbucketKit
import Foundation
import TerminalUI

/// The setup screen's part of `update`: the consumer's Key and Secret, typed or pasted, checked
/// with Bitbucket and saved; then the login URL is made, with no restart.
enum SetupUpdate {
    static func key(_ key: Key, _ state: inout AppState) -> [Effect] {
        guard var login = state.login, var form = login.setup else { return [] }
        var keepsForm = true
        defer {
            login.setup = keepsForm ? form : nil
            state.page = .login(login)
        }
        if let field = form.focus {
            switch state.keymap.command(for: key, in: .setupField) {
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
        guard let command = state.keymap.command(for: key, in: .setup) else {
            if case .character = key {
                // Any other character starts typing, in the Key first.
                form.focus = form.key.isEmpty || !form.secret.isEmpty ? .key : .secret
                edit(key, &form)
            }
            return []
        }
        if let effects = Update.shared(command, &state) { return effects }
        switch command {
        case .useAPIToken:
            if form.kind == .consumer {
                form = apiTokenForm(from: form)
            } else if let reason = form.consumerReason, let url = form.consumerCallbackURL {
                form = SetupForm(reason: reason, callbackURL: url)
            } else {
                // Back to the OAuth login, whose URL is still good.
                keepsForm = false
                return []
            }
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
        case .apiTokenFailed(let message):
            guard var form = login.setup else { return [] }
            form.isChecking = false
            form.problem = message
            form.focus = .secret
            login.setup = form
            state.page = .login(login)
        default:
            break
        }
        return []
    }

    /// The API token form; from the consumer setup, it remembers how to go back.
    static func apiTokenForm(from consumer: SetupForm?) -> SetupForm {
        var form = SetupForm(reason: "", callbackURL: OAuthError.apiTokenPage, kind: .apiToken)
        form.consumerReason = consumer?.reason
        form.consumerCallbackURL = consumer?.callbackURL
        return form
    }

    private static func submit(_ form: inout SetupForm) -> [Effect] {
        guard !form.isChecking else { return [] }
        let (first, second) = (form.key.text.trimmingCharacters(in: .whitespaces), form.secret.text)
        let names = form.fieldNames
        var problem = ConsumerSetup.problem(with: first, named: names.0)
        if problem == nil, form.kind == .apiToken, !first.contains("@") {
            problem = "the email is not an email address"
        }
        problem = problem ?? ConsumerSetup.problem(with: second, named: names.1)
        if let problem {
            form.problem = problem.prefix(1).uppercased() + problem.dropFirst() + "."
            return []
        }
        form.isChecking = true
        form.problem = nil
        return form.kind == .consumer
            ? [.setUpConsumer(key: first, secret: second)] : [.logInWithAPIToken(email: first, token: second)]
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
