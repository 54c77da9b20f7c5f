import BitbucketKit
import Foundation
import TerminalUI

/// The account browser.
public struct BrowserState: Equatable, Sendable {
    public var account: AccountSummary
    public var pane: Pane = .repositories
    public var user: Loadable<User> = .idle
    public var emails: Loadable<[Email]> = .idle
    public var workspaces: Loadable<[Workspace]> = .idle
    public var repositories = RepositoriesState()
    /// Each workspace's name, role and projects (the Workspaces pane).
    public var workspaceDetails: Loadable<[WorkspaceDetail]> = .idle
    public var workspaceList = ListState()
    /// The account's SSH keys against this machine's (the SSH keys pane).
    public var sshKeys: Loadable<SSHKeyReport> = .idle
    public var keyList = ListState()
    /// Bitbucket's hourly request limit, as spent by this consumer (nil until a listing ran).
    public var requestUsage: RequestLedger.Usage?
    public var emailList = ListState()
    public var profileScroll = 0

    /// Creates a browser for an account.
    public init(account: AccountSummary) {
        self.account = account
    }

    /// True when every pane has been fetched (or is being fetched) in this run, not only read
    /// from the cache.
    public var isFresh: Bool {
        func fresh<T>(_ loadable: Loadable<T>) -> Bool {
            switch loadable {
            case .idle: return false
            case .loaded(let snapshot): return !snapshot.isCached
            case .loading, .failed: return true
            }
        }
        let repositoriesFresh: Bool
        switch repositories.progress {
        case .idle: repositoriesFresh = false
        case .done(_, let isCached): repositoriesFresh = !isCached
        case .loading, .failed: repositoriesFresh = true
        }
        return fresh(user) && fresh(emails) && fresh(workspaces) && repositoriesFresh
    }

    /// True while any pane loads.
    public var isBusy: Bool {
        user.isLoading || emails.isLoading || workspaces.isLoading || repositories.isLoading
    }

    /// Emails, primary first, then confirmed, then by address.
    public var sortedEmails: [Email] {
        (emails.value ?? []).sorted {
            if $0.isPrimary != $1.isPrimary { return $0.isPrimary }
            if $0.isConfirmed != $1.isConfirmed { return $0.isConfirmed }
            return $0.address < $1.address
        }
    }
}
