import Foundation

/// What a person enters in Bitbucket to make the OAuth consumer bbtui logs in with: the steps
/// both `bbtui setup` and the setup screen show, with the callback URL exactly as bbtui listens.
public enum ConsumerSetup {
    /// A permission to tick, and what it feeds.
    public struct Permission: Sendable, Equatable {
        public let name: String
        public let feeds: String
    }

    /// The permissions bbtui needs, in the order Bitbucket's form lists them.
    public static let permissions = [
        Permission(name: "Account: Read", feeds: "your profile, and who logged in"),
        Permission(name: "Account: Email", feeds: "the Emails pane"),
        Permission(name: "Workspace membership: Read", feeds: "the Workspaces pane and the workspace list"),
        Permission(name: "Repositories: Read", feeds: "the Repositories pane, and cloning over HTTPS"),
    ]

    /// The second step, before its URL.
    public static let callbackStep = "Name: bbtui. Callback URL, exactly"

    /// The numbered steps, one string each.
    public static func steps(callbackURL: URL) -> [String] {
        [
            "In Bitbucket: Workspace settings → OAuth consumers → Add consumer (https://bitbucket.org/{workspace}/workspace/settings/api).",
            callbackStep + ": " + callbackURL.absoluteString,
            "Tick \"This is a private consumer\", and these permissions: "
                + permissions.map { "\($0.name) (\($0.feeds))" }.joined(separator: "; ") + ".",
            "Save, then copy the consumer's Key and Secret here.",
        ]
    }

    /// Why a Key or Secret as typed cannot be right, or nil.
    public static func problem(with value: String, named name: String) -> String? {
        if value.isEmpty { return "the \(name) is empty" }
        if value.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            return "the \(name) has a space in it (a Key or Secret never does): copy it again"
        }
        if !ConfigFile.canHold(value) { return "the \(name) has a quote, backslash or control character in it" }
        return nil
    }

    /// What checking and saving a Key and Secret came to.
    public enum Outcome: Sendable, Equatable {
        /// Bitbucket accepted the pair and it is saved in the config file at `path`; the login
        /// can use `configuration` at once.
        case saved(path: String, configuration: OAuthConfiguration)
        /// The pair as typed cannot be right (nothing was asked or saved).
        case unusable(String)
        /// Bitbucket refused the pair (nothing was saved).
        case refused(String)
        /// Bitbucket could not be asked, or the file could not be written (nothing was saved).
        case failed(String)
    }

    /// Checks `key` and `secret` with Bitbucket (no user, no side effect) and, only if it accepts
    /// them, saves them in the config file. The one path of `bbtui setup` and the setup screen.
    public static func setUp(key: String, secret: String, settings: Settings, sessions: SessionFactory) async -> Outcome
    {
        for (value, name) in [(key, "Key"), (secret, "Secret")] {
            if let problem = problem(with: value, named: name) { return .unusable(problem) }
        }
        var checked = settings
        checked.values["BITBUCKET_CLIENT_ID"] = key
        checked.values["BITBUCKET_CLIENT_SECRET"] = secret
        let configuration: OAuthConfiguration
        do { configuration = try checked.oauthConfiguration() } catch { return .failed(error.description) }
        switch await sessions.checkConsumer(configuration) {
        case .accepted:
            break
        case .refused(let detail):
            return .refused(
                "Bitbucket refused this Key and Secret (\(detail)). Copy both again from the consumer (Workspace settings → OAuth consumers → bbtui → Key, Secret)."
            )
        case .failed(let error):
            return .failed(
                "Could not check the Key and Secret with \(configuration.tokenURL.host ?? "the token endpoint"): \(error)"
            )
        }
        do {
            try ConfigFile.update(
                settings.paths,
                with: [(key: "BITBUCKET_CLIENT_ID", value: key), (key: "BITBUCKET_CLIENT_SECRET", value: secret)])
        } catch {
            return .failed("Bitbucket accepted the Key and Secret, but they could not be saved: \(error)")
        }
        return .saved(path: settings.paths.configFile, configuration: configuration)
    }
}
