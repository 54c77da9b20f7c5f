import BitbucketKit
import Foundation
import TerminalUI

/// Who the browser is showing, as the header needs it.
public struct AccountSummary: Equatable, Sendable {
    public var id: String
    public var username: String
    public var displayName: String
    public var tokenExpiresAt: Date
    /// Where the credentials live, for the header.
    public var storePath: String
    /// Logged in with an Atlassian API token (no expiry to count down, never refreshed).
    public var usesAPIToken = false

    /// Creates a summary.
    public init(id: String, username: String, displayName: String, tokenExpiresAt: Date, storePath: String) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.tokenExpiresAt = tokenExpiresAt
        self.storePath = storePath
    }
}

/// Facts about where bbtui runs, decided once at start.
public struct Environment: Equatable, Sendable {
    /// Over SSH (SSH_CONNECTION or SSH_TTY set).
    public var isSSH: Bool
    /// A local graphical display exists (DISPLAY or WAYLAND_DISPLAY).
    public var hasDisplay: Bool
    /// The host name, for the `ssh -L` hint.
    public var hostName: String
    /// `bbtui demo`: the emulator's approval can be fetched with curl.
    public var isDemo: Bool
    /// UTF-8 terminal.
    public var isUnicode: Bool
    /// A shell can take the terminal back when bbtui stops (Ctrl-Z): bbtui runs in a process group
    /// of its own, as a job-control shell starts it. False when it is in its session's group (it
    /// leads the session, as under `ssh -t host bbtui`, or a shell without job control started it):
    /// nothing would ever resume it.
    public var hasJobControl: Bool
    /// The keys: bbtui's, or the config file's.
    public var keymap: Keymap

    /// Creates an environment description.
    public init(
        isSSH: Bool = false, hasDisplay: Bool = false, hostName: String = "localhost", isDemo: Bool = false,
        isUnicode: Bool = true, hasJobControl: Bool = true, keymap: Keymap = .standard
    ) {
        self.keymap = keymap
        self.isSSH = isSSH
        self.hasDisplay = hasDisplay
        self.hostName = hostName
        self.isDemo = isDemo
        self.isUnicode = isUnicode
        self.hasJobControl = hasJobControl
    }

    /// Whether `o` may open a local browser, or why not.
    /// (The screen adds what to use instead, in its own keys: `keymap.insteadOfOpening`.)
    public var browserRefusal: String? {
        if isSSH { return "This is an SSH session: a browser here would open on the remote machine." }
        if !hasDisplay { return "No graphical display here (DISPLAY is not set)." }
        return nil
    }
}

/// The whole program's state: one value, changed only by `update`.
public struct AppState: Equatable, Sendable {
    /// Which page is up: the login screen or the browser (not a `TerminalUI.Screen`).
    public enum Page: Equatable, Sendable {
        case login(LoginState)
        case browser(BrowserState)
    }

    public var page: Page
    public var size: Size
    /// The clock as of the last event; views read it, so they stay pure.
    public var now: Date
    public var environment: Environment
    /// A message in the status bar, shown until `messageExpiresAt`.
    public var message: StatusMessage?
    /// The message is a "retrying in N s…" notice, to be replaced when the fetch ends.
    public var isRetryNotice = false
    public var messageExpiresAt: Date?
    public var overlay: Overlay?
    /// The spinner's step, advanced only while something loads.
    public var tick = 0
    public var isMouseEnabled = false
    /// What was last sent to the clipboard, for `p` to show plainly when the clipboard failed.
    public var lastCopied: String?
    public var shouldQuit = false
    /// The process's exit status when it quits: 0 for `q`, 128 + n after signal n (130 for
    /// Ctrl-C, which arrives as a key in raw mode, as the shell would have it).
    public var exitStatus: Int32 = 0
    /// The browser to return to after a re-login (dead refresh token), kept intact.
    public var suspendedBrowser: BrowserState?
    /// The clones started from the list, running and done.
    public var clones = CloneBoard()

    /// Creates a state.
    public init(page: Page, size: Size, now: Date, environment: Environment) {
        self.page = page
        self.size = size
        self.now = now
        self.environment = environment
    }

    /// The browser state, when the browser is up.
    public var browser: BrowserState? {
        if case .browser(let browser) = page { return browser }
        return nil
    }

    /// The login state, when the login screen is up.
    public var login: LoginState? {
        if case .login(let login) = page { return login }
        return nil
    }

    /// True while anything loads, so the spinner needs ticks.
    public var isBusy: Bool {
        switch page {
        case .login(let login): return login.phase == .exchanging
        case .browser(let browser): return browser.isBusy
        }
    }
}

/// What floats above the screen.
public enum Overlay: Equatable, Sendable {
    case help(scroll: Int)
    case confirmLogout(accountID: String, name: String)
    case accounts(AccountsOverlay)
    /// The session died; Enter logs in again and returns here.
    case relogin(reason: String)
    /// The clone log (`C`).
    case cloneLog
}

/// The accounts switcher.
public struct AccountsOverlay: Equatable, Sendable {
    public var accounts: [AccountSummary]
    public var activeID: String?
    public var list = ListState()

    /// Creates the overlay.
    public init(accounts: [AccountSummary], activeID: String?) {
        self.accounts = accounts
        self.activeID = activeID
        list = ListState(selected: accounts.isEmpty ? nil : 0)
    }
}

/// The setup part of the login screen: what to enter in Bitbucket, then the consumer's Key and
/// Secret, checked and saved before the login URL is made.
public struct SetupForm: Equatable, Sendable {
    public enum Field: Equatable, Sendable { case key, secret }
    /// What the two fields are: a consumer's Key and Secret, or an email and an API token.
    public enum Kind: Equatable, Sendable { case consumer, apiToken }

    public var kind: Kind = .consumer
    /// An API token form opened from the consumer setup goes back to it (its reason and URL).
    public var consumerReason: String?
    public var consumerCallbackURL: String?
    /// Why no login URL can be made yet.
    public var reason: String
    /// The callback URL to register, exactly as the listener listens.
    public var callbackURL: String
    public var key = TextFieldState(maxLength: 256)
    public var secret = TextFieldState(maxLength: 256)
    /// The field being typed in, or nil outside the fields.
    public var focus: Field?
    /// Bitbucket is being asked.
    public var isChecking = false
    /// The last check's answer, with what to do.
    public var problem: String?

    public init(reason: String, callbackURL: String, kind: Kind = .consumer) {
        self.reason = reason
        self.callbackURL = callbackURL
        self.kind = kind
    }

    /// The two fields' names.
    public var fieldNames: (String, String) { kind == .consumer ? ("Key", "Secret") : ("Email", "API token") }
}

/// The login screen.
public struct LoginState: Equatable, Sendable {
    /// What the login is doing.
    public enum Phase: Equatable, Sendable {
        /// Preparing the authorization URL.
        case preparing
        /// Waiting for the person to approve and paste (or for the listener).
        case waiting
        /// Exchanging the code for tokens.
        case exchanging
    }

    /// The loopback listener's state.
    public enum Listener: Equatable, Sendable {
        case off
        case listening(port: Int)
        case unavailable(String)
    }

    public var phase: Phase = .preparing
    public var request: AuthorizationRequest?
    /// When `request` was made: it is kept, through any number of failed pastes, until its code
    /// is spent or it is `LoginState.requestLifetime` old.
    public var requestMadeAt: Date?
    public var field = TextFieldState(maxLength: PastedAuthorization.maxLength)
    public var isFieldFocused = false
    public var listener: Listener = .off
    /// The last problem, with what to do. It stays until the field changes.
    public var problem: String?
    /// The last submit failed: the next paste replaces the field's text instead of adding to it
    /// (after a cut-off address, a paste that is not a whole answer is its rest, and is added).
    public var replacesOnPaste = false
    /// The last submit failed because the address was cut off: more of it may follow.
    public var awaitsRest = false
    /// The field shows the start of its text (just pasted: what will be sent), not the cursor.
    public var showsStart = false
    /// Where `w` wrote the URL.
    public var writtenPath: String?
    /// No consumer is configured: the screen asks for its Key and Secret instead of a code.
    public var setup: SetupForm?

    /// Where this screen's keys are read.
    public var keyContext: KeyContext {
        if let setup { return setup.focus == nil ? .setup : .setupField }
        return isFieldFocused ? .loginField : .login
    }

    /// How long one authorization request (its state and PKCE verifier) is kept.
    public static let requestLifetime: TimeInterval = 600

    /// Creates a login state.
    public init() {}
}

extension AppState {
    /// The keys in use (the environment's: bbtui's own, or the config file's).
    public var keymap: Keymap { environment.keymap }
}
