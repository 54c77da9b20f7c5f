import TerminalUI

/// Keys while an overlay is up, read through each overlay's own keymap context.
enum OverlayUpdate {
    static func key(_ key: Key, _ state: inout AppState) -> [Effect] {
        guard let overlay = state.overlay else { return [] }
        if key == .character("Q") {
            state.shouldQuit = true
            return [.quit]
        }
        switch overlay {
        case .cloneLog:
            return CloneUpdate.key(key, &state)
        case .help(let scroll):
            switch state.keymap.command(for: key, in: .help) {
            case .back?: state.overlay = nil
            case .down?:
                state.overlay = .help(
                    scroll: min(scroll + 1, AppView.helpOverlay(state).maxScroll(in: Rect(size: state.size))))
            case .up?: state.overlay = .help(scroll: max(0, scroll - 1))
            case .pageDown?:
                state.overlay = .help(
                    scroll: min(
                        scroll + helpPage(state), AppView.helpOverlay(state).maxScroll(in: Rect(size: state.size))))
            case .pageUp?: state.overlay = .help(scroll: max(0, scroll - helpPage(state)))
            case .top?: state.overlay = .help(scroll: 0)
            case .bottom?:
                state.overlay = .help(scroll: AppView.helpOverlay(state).maxScroll(in: Rect(size: state.size)))
            default: break
            }
            return []
        case .confirmLogout(let id, _):
            switch state.keymap.command(for: key, in: .confirmLogout) {
            case .confirm?:
                state.overlay = nil
                return [.cancelRepositories, .logout(accountID: id)]
            case .back?:
                state.overlay = nil
            default: break
            }
            return []
        case .accounts(var accounts):
            let count = accounts.accounts.count
            switch state.keymap.command(for: key, in: .accounts) {
            case .back?:
                state.overlay = nil
            case .down?:
                accounts.list.move(by: 1, count: count, visible: count)
                state.overlay = .accounts(accounts)
            case .up?:
                accounts.list.move(by: -1, count: count, visible: count)
                state.overlay = .accounts(accounts)
            case .open?:
                state.overlay = nil
                if let index = accounts.list.selected, index < count, accounts.accounts[index].id != accounts.activeID {
                    return [.cancelRepositories, .switchAccount(id: accounts.accounts[index].id)]
                }
            case .addAccount?:
                state.overlay = nil
                state.suspendedBrowser = state.browser
                state.page = .login(LoginState())
                return [.prepareLogin]
            case .logout?:
                if let index = accounts.list.selected, index < count {
                    state.overlay = .confirmLogout(
                        accountID: accounts.accounts[index].id, name: accounts.accounts[index].username)
                }
            default: break
            }
            return []
        case .relogin:
            switch state.keymap.command(for: key, in: .relogin) {
            case .submit?:
                state.overlay = nil
                state.suspendedBrowser = state.browser
                state.page = .login(LoginState())
                return [.cancelRepositories, .prepareLogin]
            case .quit?:
                state.shouldQuit = true
                return [.quit]
            default:
                return []
            }
        }
    }

    /// A page of help: the screen's height less the overlay's frame.
    private static func helpPage(_ state: AppState) -> Int {
        max(1, state.size.height - 4)
    }
}
