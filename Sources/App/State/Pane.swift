/// The three panes.
public enum Pane: Int, CaseIterable, Equatable, Sendable {
    case profile = 0, emails, repositories

    /// The pane's name in the navigation.
    public var title: String {
        switch self {
        case .profile: return "Profile"
        case .emails: return "Emails"
        case .repositories: return "Repositories"
        }
    }
}
