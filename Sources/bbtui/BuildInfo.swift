/// What this binary was built from. `scripts/install.sh` writes the commit here before it builds
/// and puts the file back afterwards; any other build says it is a development build.
enum BuildInfo {
    static let version = "0.1.0"
    static let commit: String? = nil

    /// `0.1.0 (commit 1a2b3c4)`, as `bbtui --version` prints it.
    static var versionLine: String {
        version + " (" + (commit.map { "commit \($0)" } ?? "development build: commit not recorded") + ")"
    }
}
