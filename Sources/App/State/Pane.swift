/// The panes, in navigation order (keys 1–5).
public enum Pane: Int, CaseIterable, Equatable, Sendable {
    case profile = 0
    case emails, repositories, workspaces, sshKeys

    /// The pane's name in the navigation.
    public var title: String {
        switch self {
        case .profile: return "Profile"
        case .emails: return "Emails"
        case .repositories: return "Repositories"
        case .workspaces: return "Workspaces"
        case .sshKeys: return "SSH keys"
        }
    }

    /// A shorter title, for tabs on a narrow terminal.
    public var shortTitle: String {
        switch self {
        case .profile: return "Me"
        case .emails: return "Mail"
        case .repositories: return "Repos"
        case .workspaces: return "Spaces"
        case .sshKeys: return "Keys"
        }
    }
}
