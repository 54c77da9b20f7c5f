import BitbucketKit
import Foundation
import TerminalUI

/// Everything that can happen to the program: terminal events and effect results.
public enum Action: Equatable, Sendable {
    /// A key, paste, resize, mouse report or signal.
    case event(TerminalEvent)
    /// The clock moved (every event carries the time it was handled at).
    case clock(Date)
    /// The spinner steps; only sent while something loads.
    case tick

    // MARK: Login
    case loginPrepared(AuthorizationRequest, listener: LoginState.Listener)
    /// The loopback listener received the browser's redirect (its query string).
    case redirectReceived(String)
    /// The login finished: the stored account (with its cache) and the profile fetched to learn
    /// who it is.
    case loginSucceeded(AccountRecord, user: User, at: Date)
    case loginFailed(AppError)
    /// No consumer is configured: the login screen asks for one (why, and the callback URL).
    case setupNeeded(reason: String, callbackURL: String)
    /// What checking and saving the consumer's Key and Secret came to.
    case consumerSetUp(ConsumerSetup.Outcome)
    /// Bitbucket refused the API token, or it could not be asked (what to do).
    case apiTokenFailed(String)

    // MARK: Browser data
    case userLoaded(Result<User, AppError>, at: Date)
    case emailsLoaded(Result<[Email], AppError>, at: Date)
    case workspacesLoaded(Result<[Workspace], AppError>, at: Date)
    case repositoriesBatch(RepositoryBatch)
    case repositoriesFinished(AppError?, at: Date)
    case workspaceDetailsLoaded(Result<[WorkspaceDetail], AppError>, at: Date)
    case sshKeysLoaded(Result<SSHKeyReport, AppError>, at: Date)
    /// A request is being retried after a 429 or 5xx.
    case retrying(status: Int?, delay: Duration)
    case tokenExpiryChanged(Date)
    /// The hour's repository requests spent by this consumer (after each listing).
    case requestUsage(RequestLedger.Usage)

    // MARK: Accounts and results
    case accountsListed([AccountSummary], activeID: String?)
    /// Another account became active, with its cache (nil: none left, so log in).
    case accountChanged(AccountRecord?)
    case wroteURL(Result<String, AppError>)
    case copied(ClipboardResult, what: String)
    case opened(error: String?)
    case failed(AppError)
    /// The clones asked for, planned: where each goes and over what (refused ones come as
    /// `cloneEvent(.finished(…, .failed))`).
    case clonesPlanned([CloneJob])
    /// A clone started, progressed or ended.
    case cloneEvent(CloneEvent)
    /// A `[[commands]]` entry ended (or never ran).
    case commandFinished(title: String, CommandOutcome)
}

/// What `update` asks the world to do. Values, so tests compare them.
public enum Effect: Equatable, Sendable {
    /// Make a fresh authorization request and start the loopback listener.
    case prepareLogin
    case exchange(code: String, request: AuthorizationRequest)
    /// Check a consumer's Key and Secret with Bitbucket and, if accepted, save them.
    case setUpConsumer(key: String, secret: String)
    /// Log in with an Atlassian API token (checked with `GET /user`, then stored).
    case logInWithAPIToken(email: String, token: String)
    case fetchUser
    case fetchEmails
    case fetchWorkspaces
    case fetchRepositories([Workspace])
    case cancelRepositories
    case fetchWorkspaceDetails([Workspace])
    /// The account's keys, and this machine's (files and agent) to match them against.
    case fetchSSHKeys
    /// Copy through the terminal (OSC 52).
    case copy(String, what: String)
    /// Show a text plainly on the normal screen.
    case showPlainly(String)
    /// Leaves the full screen to show a long text (an error) whole, wrapped by the terminal.
    case showText(String)
    case setMouse(Bool)
    case suspend
    /// Repaint everything (Ctrl-L, after a resume).
    case redraw
    case openURL(String)
    case writeURLFile(String)
    /// Deletes a file bbtui wrote (the login URL, once the login is done).
    case removeFile(String)
    case listAccounts
    case switchAccount(id: String)
    case logout(accountID: String)
    case stopListener
    /// `bbtui demo`: follow the authorize URL as a browser would and take its redirect.
    case approveDemo(String)
    /// Clone these repositories (over SSH when `preferSSH` and no setting forces HTTPS).
    case clone([Repository], preferSSH: Bool)
    /// Stop every clone still running and remove what it wrote.
    case cancelClones
    /// Keep the account's filter history (newest first) in the cache.
    case saveFilterHistory([String])
    /// Run a `[[commands]]` entry on the repository (nil: none selected, and none needed). In
    /// the foreground the program takes the terminal; in the background its result comes back.
    case runCommand(CustomCommand, repository: Repository?)
    case quit
}
