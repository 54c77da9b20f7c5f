import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

/// git's side: the host the credentials go to, the credential-helper protocol, where a clone
/// goes and the command that makes it, git's progress and failures in words.
@Suite struct GitTests {
    static let bitbucket = URL(string: "https://api.bitbucket.org/2.0")!
    static let emulator = URL(string: "http://127.0.0.1:45139/2.0")!

    @Test func theGitHostIsBitbucketsForItsAPIAndTheEmulatorsOwnOrigin() {
        #expect(GitHost(apiURL: Self.bitbucket).origin == "https://bitbucket.org")
        #expect(GitHost(apiURL: Self.emulator).origin == "http://127.0.0.1:45139")
        #expect(GitHost(apiURL: URL(string: "http://[::1]:8080/2.0")!).origin == "http://[::1]:8080")
        #expect(
            GitHost(apiURL: Self.bitbucket).cloneURL(workspace: "acme", slug: "a b/../c")
                == "https://bitbucket.org/acme/a%20b%2F..%2Fc.git")
    }

    @Test func onlyTheAccountsHostAndSchemeMatch() {
        let host = GitHost(apiURL: Self.bitbucket)
        #expect(host.matches(protocol: "https", host: "bitbucket.org"))
        #expect(host.matches(protocol: "https", host: "bitbucket.org:443"))
        #expect(host.matches(protocol: "HTTPS", host: "BitBucket.org"))
        #expect(!host.matches(protocol: "http", host: "bitbucket.org"))
        #expect(!host.matches(protocol: "https", host: "bitbucket.org:8443"))
        #expect(!host.matches(protocol: "https", host: "api.bitbucket.org"))
        #expect(!host.matches(protocol: "https", host: "bitbucket.org.evil.example"))
        #expect(!host.matches(protocol: "https", host: "github.com"))
        #expect(!host.matches(protocol: nil, host: "bitbucket.org"))
        let local = GitHost(apiURL: Self.emulator)
        #expect(local.matches(protocol: "http", host: "127.0.0.1:45139"))
        #expect(!local.matches(protocol: "http", host: "127.0.0.1"))
        #expect(!local.matches(protocol: "http", host: "127.0.0.1:45140"))
        #expect(!local.matches(protocol: "https", host: "127.0.0.1:45139"))
    }

    @Test func gitsQueryIsReadUpToTheBlankLine() {
        let query = GitCredential.parse(
            "protocol=https\r\nhost=bitbucket.org\npath=data%20x/repo.git\nusername=zoe\nhost=other\nwwwauth[]=Basic realm=\"Bitbucket.org HTTP\"\n\nprotocol=http\n"
        )
        #expect(
            query.fields == [
                "protocol": "https", "host": "bitbucket.org", "path": "data%20x/repo.git", "username": "zoe",
                "wwwauth[]": "Basic realm=\"Bitbucket.org HTTP\"",
            ])
        #expect(query.workspace == "data x")
        // A client that sends the URL whole.
        let whole = GitCredential.parse("url=https://zoe@bitbucket.org:443/acme/api.git\n\n")
        #expect(whole.scheme == "https" && whole.host == "bitbucket.org:443" && whole.path == "acme/api.git")
        #expect(whole.workspace == "acme")
        #expect(GitCredential.parse("protocol=https\nhost=bitbucket.org\n").workspace == nil)
    }

    func account(_ id: String, api: URL, active: Bool, token: Token? = nil) -> StoredAccount {
        StoredAccount(
            id: id, username: id, displayName: id, isActive: active,
            configuration: OAuthConfiguration(
                clientID: "k", clientSecret: "s", authorizeURL: OAuthConfiguration.bitbucketAuthorizeURL,
                tokenURL: OAuthConfiguration.bitbucketTokenURL, apiURL: api),
            token: token ?? Token(accessToken: "t-\(id)", refreshToken: "r", expiresAt: .distantFuture, scopes: []))
    }

    @Test func theAccountThatSeesTheWorkspaceAnswersElseTheActiveOne() {
        let accounts = [
            account("zoe", api: Self.bitbucket, active: true), account("work", api: Self.bitbucket, active: false),
            account("local", api: Self.emulator, active: false),
        ]
        let workspaces = ["zoe": ["zoe-angstrom"], "work": ["acme"]]
        func pick(_ text: String) -> String? {
            GitCredential.account(for: GitCredential.parse(text), among: accounts) { workspaces[$0.id] }?.id
        }
        #expect(pick("protocol=https\nhost=bitbucket.org\npath=acme/api.git\n") == "work")
        #expect(pick("protocol=https\nhost=bitbucket.org\npath=zoe-angstrom/api.git\n") == "zoe")
        #expect(pick("protocol=https\nhost=bitbucket.org\npath=unknown/api.git\n") == "zoe")
        #expect(pick("protocol=https\nhost=bitbucket.org\n") == "zoe")
        #expect(pick("protocol=http\nhost=127.0.0.1:45139\npath=acme/api.git\n") == "local")
        #expect(pick("protocol=https\nhost=github.com\n") == nil)
        #expect(pick("protocol=http\nhost=bitbucket.org\n") == nil)
    }

    @Test func theAnswerNamesTheUserForTheKindOfToken() {
        let oauth = Token(accessToken: "abc=", refreshToken: "r", expiresAt: .distantFuture, scopes: [])
        #expect(GitCredential.answer(token: oauth) == "username=x-token-auth\npassword=abc=\n")
        let api = Token.apiToken("ATATT3x", email: "zoe@example.com")
        #expect(GitCredential.answer(token: api) == "username=x-bitbucket-api-token-auth\npassword=ATATT3x\n")
        let broken = Token(accessToken: "abc\nhost=evil", refreshToken: "r", expiresAt: .distantFuture, scopes: [])
        #expect(GitCredential.answer(token: broken) == nil)
    }

    func planner(_ template: String? = nil, helper: String? = "!'/opt/bb tui/bbtui' git-credential") -> ClonePlanner {
        ClonePlanner(
            directoryTemplate: template, workingDirectory: "/work/here", home: "/home/zoe",
            gitHost: GitHost(apiURL: Self.bitbucket), credentialHelper: helper)
    }

    @Test func theTargetComesFromCloneDir() throws {
        #expect(try planner().target(workspace: "acme", slug: "api") == "/work/here/api")
        #expect(try planner("~/src").target(workspace: "acme", slug: "api") == "/home/zoe/src/api")
        #expect(
            try planner("~/src/{workspace}/{slug}").target(workspace: "acme", slug: "api") == "/home/zoe/src/acme/api")
        #expect(
            try planner("code/./{slug}-{workspace}/").target(workspace: "acme", slug: "api")
                == "/work/here/code/api-acme")
        #expect(try planner("/srv/../srv/git").target(workspace: "acme", slug: "api") == "/srv/git/api")
        // A value that reads like a placeholder stays what it is.
        #expect(try planner("/srv/{workspace}/{slug}").target(workspace: "{slug}", slug: "x") == "/srv/{slug}/x")
        // A leading dash is a name like any other: the path is absolute, so git never reads it as an option.
        #expect(
            try planner().target(workspace: "acme", slug: "--upload-pack=touch pwned")
                == "/work/here/--upload-pack=touch pwned")
    }

    @Test(arguments: [
        "", ".", "..", "../etc", "a/b", "/", "a\\b", "tab\there", "new\nline", "esc\u{1B}[2J", "c1\u{9B}x",
    ])
    func aNameThatIsNotOneDirectoryIsRefused(_ slug: String) {
        #expect(throws: CloneRefusal.self) { try planner().target(workspace: "acme", slug: slug) }
        #expect(throws: CloneRefusal.self) { try planner().target(workspace: slug, slug: "api") }
    }

    @Test func noNameEscapesTheCloneDirectory() {
        var random = SeededGenerator(seed: 23)
        let alphabet: [Character] = ["a", ".", "/", "-", "{", "}", "\\", "\0", "~", " ", "é", "\u{1B}", "\n"]
        for _ in 0..<5_000 {
            let slug = String(
                (0..<Int.random(in: 0...8, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            let workspace = String(
                (0..<Int.random(in: 0...4, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            guard let target = try? planner("/srv/{workspace}/{slug}").target(workspace: workspace, slug: slug) else {
                continue
            }
            #expect(target == "/srv/\(workspace)/\(slug)", "\(workspace.debugDescription) \(slug.debugDescription)")
        }
    }

    func repository(_ slug: String = "api", workspace: String = "acme", ssh: String? = nil) -> Repository {
        Repository(
            uuid: "{1}", name: slug, slug: slug, fullName: "\(workspace)/\(slug)", workspaceSlug: workspace,
            cloneHTTPS: "https://evil.example/\(workspace)/\(slug).git",
            cloneSSH: ssh ?? "git@ssh.bitbucket.org:\(workspace)/\(slug).git")
    }

    @Test func gitsArgumentsAllowOneTransportAndEndTheOptions() throws {
        let https = try planner().job(for: repository(), over: .https)
        // The HTTPS URL is built from the account's host, never from the link the network sent.
        #expect(https.url == "https://bitbucket.org/acme/api.git")
        #expect(
            https.arguments == [
                "git", "-c", "protocol.allow=never", "-c", "protocol.https.allow=always",
                "-c", "credential.https://bitbucket.org.helper=",
                "-c", "credential.https://bitbucket.org.helper=!'/opt/bb tui/bbtui' git-credential",
                "-c", "credential.https://bitbucket.org.useHttpPath=true",
                "clone", "--progress", "--", "https://bitbucket.org/acme/api.git",
            ])
        let ssh = try planner().job(for: repository(), over: .ssh)
        #expect(
            ssh.arguments == [
                "git", "-c", "protocol.allow=never", "-c", "protocol.ssh.allow=always", "clone", "--progress", "--",
                "git@ssh.bitbucket.org:acme/api.git",
            ])
        let hostile = try planner().job(for: repository("--upload-pack=touch pwned"), over: .https)
        #expect(hostile.arguments.suffix(2) == ["--", "https://bitbucket.org/acme/--upload-pack%3Dtouch%20pwned.git"])
        #expect(ClonePlanner.helperCommand(executable: "/a'b/bbtui") == "!'/a'\\''b/bbtui' git-credential")
    }

    @Test(arguments: [
        "ext::sh -c touch% pwned", "-oProxyCommand=touch pwned@host:acme/api.git", "git@-oProxyCommand=x:acme/api.git",
        "git@ssh.bitbucket.org:other/api.git", "git@ssh.bitbucket.org:acme/../api.git", "git@host name:acme/api.git",
        "ssh://git@ssh.bitbucket.org:22/acme/api.git", "file:///etc/acme/api.git", "git@ssh.bitbucket.org:acme/api",
    ])
    func anSSHLinkNotInBitbucketsFormIsRefused(_ link: String) {
        #expect(throws: CloneRefusal.self) { try planner().job(for: repository(ssh: link), over: .ssh) }
    }

    @Test func sshLinksInBitbucketsFormAreUsedAsSent() throws {
        for link in [
            "git@ssh.bitbucket.org:acme/api.git", "git@bitbucket.org:acme/api.git",
            "ssh://git@ssh.bitbucket.org/acme/api.git",
        ] {
            #expect(try planner().job(for: repository(ssh: link), over: .ssh).url == link)
        }
    }

    @Test func gitsProgressLinesAreRead() {
        #expect(
            CloneProgress.parse("Receiving objects:  45% (9/20)")
                == CloneProgress(phase: "Receiving objects", percent: 45))
        #expect(
            CloneProgress.parse("remote: Counting objects: 100% (3/3), done.")
                == CloneProgress(phase: "Counting objects", percent: 100))
        #expect(
            CloneProgress.parse("Resolving deltas: 100% (2/2), done.")
                == CloneProgress(phase: "Resolving deltas", percent: 100))
        #expect(
            CloneProgress.parse("remote: Enumerating objects: 5, done.")
                == CloneProgress(phase: "Enumerating objects", percent: nil))
        #expect(CloneProgress.parse("Cloning into '/tmp/x'...") == nil)
        #expect(CloneProgress.parse("fatal: Authentication failed for 'https://bitbucket.org/a/b.git/'") == nil)
        #expect(CloneProgress.parse("warning: You appear to have cloned an empty repository.") == nil)
    }

    @Test func gitsFailuresAreSaidInWords() {
        let job = CloneJob(fullName: "acme/api", url: "u", cloneProtocol: .https, target: "/t", arguments: [])
        func say(_ line: String, status: Int32 = 128 << 8) -> String {
            CloneProcess.describe([line], job: job, status: status)
        }
        #expect(say("fatal: unable to access 'http://x/': The requested URL returned error: 403").contains("HTTP 403"))
        #expect(
            say("fatal: Authentication failed for 'https://bitbucket.org/acme/api.git/'").contains(
                "refused the credentials"))
        #expect(
            say("fatal: could not read Username for 'https://bitbucket.org': terminal prompts disabled").contains(
                "refused the credentials"))
        #expect(
            say("fatal: repository 'https://bitbucket.org/acme/api.git/' not found")
                == "acme/api: no such repository, or the account cannot see it.")
        #expect(say("git@ssh.bitbucket.org: Permission denied (publickey).").contains("SSH keys"))
        #expect(say("Host key verification failed.").contains("host key"))
        #expect(
            say("fatal: unable to access 'https://bitbucket.org/a/': Could not resolve host: bitbucket.org").hasPrefix(
                "acme/api: the network failed: fatal: unable to access"))
        #expect(
            say("fatal: something else entirely", status: 128 << 8)
                == "acme/api: git failed (exit 128): fatal: something else entirely")
        #expect(CloneProcess.describe([], job: job, status: 15) == "acme/api: git failed (killed by signal 15).")
    }
}
