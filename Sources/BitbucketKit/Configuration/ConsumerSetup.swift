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
        Permission(name: "Repositories: Read", feeds: "the Repositories pane (and cloning over HTTPS)"),
    ]

    /// The numbered steps, one string each.
    public static func steps(callbackURL: URL) -> [String] {
        [
            "In Bitbucket: Workspace settings → OAuth consumers → Add consumer (https://bitbucket.org/{workspace}/workspace/settings/api).",
            "Name: bbtui. Callback URL, exactly: \(callbackURL.absoluteString)",
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
}
