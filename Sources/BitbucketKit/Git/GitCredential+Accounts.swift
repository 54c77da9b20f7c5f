extension GitCredential {
    /// The account to answer `query` with: one whose git host it names; with several, the one
    /// whose workspaces (as cached) include the path's, else the active one, else the first.
    public static func account(
        for query: Query, among accounts: [StoredAccount], workspaces: (StoredAccount) -> [String]?
    ) -> StoredAccount? {
        let candidates = accounts.filter {
            GitHost(apiURL: $0.configuration.apiURL).matches(protocol: query.scheme, host: query.host)
        }
        guard candidates.count > 1 else { return candidates.first }
        if let workspace = query.workspace,
            let seeing = candidates.first(where: { workspaces($0)?.contains(workspace) == true })
        {
            return seeing
        }
        return candidates.first(where: \.isActive) ?? candidates.first
    }
}
