import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized keeps end-to-end suites from starving the timing tests.
extension TUITests {
    /// The real `git` against the emulator's smart HTTP, in a HOME with no git configuration:
    /// bbtui's credential helper, `setup-git`, `bbtui clone` and the clones from the list.
    @Suite struct GitCloneTests {
        /// The emulator's repositories as `bbtui repos --json` lists them: full name, private,
        /// main branch.
        func repositories(_ account: E2EAccount) async throws -> [(name: String, isPrivate: Bool, branch: String?)] {
            let listed = try await account.run(["repos", "--json"])
            let rows = try #require(
                try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
            return rows.map {
                ($0["full_name"] as? String ?? "", $0["is_private"] as? Bool ?? true, $0["mainbranch"] as? String)
            }
        }

        /// git with the account's environment (its HOME has no git configuration).
        func git(_ account: E2EAccount, _ arguments: [String], in directory: String? = nil) async throws -> Finished {
            try await runProcess(
                "/usr/bin/env", ["git"] + (directory.map { ["-C", $0] } ?? []) + arguments,
                environment: account.environment.merging(["GIT_TERMINAL_PROMPT": "0"]) { $1 })
        }

        func files(under path: String) -> [String] {
            (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
        }

        func requests(_ account: E2EAccount, _ route: String) async throws -> Int {
            (try await account.emulator.stats()["requests"] as? [String: Int] ?? [:])[route] ?? 0
        }

        @Test func aPrivateRepositoryClonesThroughTheHelperAndTheTokenStaysInTheStore() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let chosen = try #require(try await repositories(account).first { $0.isPrivate && $0.branch != nil })
            let work = account.home.path + "/work"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let result = try await runProcess(
                Binary.path, ["clone", chosen.name], environment: account.environment, directory: work)
            #expect(result.status == 0, "\(result.stderr)")
            let slug = String(chosen.name.split(separator: "/")[1])
            let target = work + "/" + slug
            #expect(
                result.stderr
                    == "bbtui: cloning over HTTPS with bbtui's login: no SSH key on the account is usable from here.\nCloning \(chosen.name) into \(target) over HTTPS…\nCloned \(chosen.name).\n"
            )
            // A working clone on the main branch the API reports, its remote without credentials.
            let log = try await git(account, ["log", "--format=%s", chosen.branch!], in: target)
            #expect(log.status == 0 && log.stdout.hasSuffix("Initial commit\n"), "\(log)")
            let readme = try String(contentsOfFile: target + "/README.md", encoding: .utf8)
            #expect(readme.hasPrefix("# "))
            let remote = try await git(account, ["config", "--get", "remote.origin.url"], in: target)
            #expect(remote.stdout == account.emulator.baseURL + "/\(chosen.name).git\n")
            // git asked once without credentials (401), then with the helper's.
            #expect(try await requests(account, "GET /{workspace}/{repo_slug}.git/info/refs") == 2)
            // The token is in the store only: not in the clone, not in a git configuration.
            let token = try #require(try account.store().activeAccount()).token.accessToken
            #expect(!FileManager.default.fileExists(atPath: account.home.path + "/.gitconfig"))
            for file in files(under: account.home.path) where !file.hasPrefix("credentials.sqlite") {
                let data = FileManager.default.contents(atPath: account.home.path + "/" + file) ?? Data()
                #expect(data.range(of: Data(token.utf8)) == nil, "the token is in \(file)")
            }
            // Nothing half-made beside it.
            #expect(try FileManager.default.contentsOfDirectory(atPath: work) == [slug])
            // A target that exists, even empty, is left as it is.
            try FileManager.default.createDirectory(atPath: work + "/empty", withIntermediateDirectories: false)
            let again = try await account.run(["clone", chosen.name, work + "/empty"])
            #expect(again.status == 1)
            #expect(
                again.stderr.contains("bbtui: Not cloned into \(work)/empty: it already exists.\n"), "\(again.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work).sorted() == ["empty", slug].sorted())
        }

        @Test func setupGitMakesGitAskBBTUIAndAFetchAfterExpiryRefreshes() async throws {
            // Every access token expires a second after it is issued.
            let account = try await E2EAccount.loggedIn(["--token-ttl", "1"])
            defer { account.close() }
            let chosen = try #require(try await repositories(account).first { $0.isPrivate && $0.branch != nil })
            let target = account.home.path + "/checkout"
            #expect(try await account.run(["clone", chosen.name, target]).status == 0)
            let setup = try await account.run(["setup-git"])
            #expect(setup.status == 0, "\(setup.stderr)")
            let origin = account.emulator.baseURL
            let config = try String(contentsOfFile: account.home.path + "/.gitconfig", encoding: .utf8)
            #expect(
                config
                    == "[credential \"\(origin)\"]\n\thelper = \n\thelper = !'\(Binary.path)' git-credential\n\tuseHttpPath = true\n"
            )
            // Again: nothing changes.
            #expect(try await account.run(["setup-git"]).status == 0)
            #expect(try String(contentsOfFile: account.home.path + "/.gitconfig", encoding: .utf8) == config)
            let grants = { (try await account.emulator.stats()["grants"] as? [String: Int])?["refresh_token"] ?? 0 }
            let before = try await grants()
            let fetch = try await git(account, ["fetch", "origin"], in: target)
            #expect(fetch.status == 0, "\(fetch.stderr)")
            #expect(try await grants() > before)
            // --undo removes exactly what was added: git no longer has credentials.
            #expect(try await account.run(["setup-git", "--undo"]).status == 0)
            let after = try String(contentsOfFile: account.home.path + "/.gitconfig", encoding: .utf8)
            #expect(!after.contains("helper") && !after.contains("useHttpPath"), "\(after)")
            let refused = try await git(account, ["fetch", "origin"], in: target)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("could not read Username"), "\(refused.stderr)")
        }

        @Test func theHelperAnswersForTheAccountsHostOnlyAndNeverChangesTheStore() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let hostPort = String(account.emulator.baseURL.dropFirst("http://".count))
            let stored = try #require(try account.store().activeAccount())
            func ask(_ operation: String, _ text: String) async throws -> Finished {
                try await account.run(["git-credential", operation], stdin: text)
            }
            let answer = try await ask(
                "get", "protocol=http\nhost=\(hostPort)\npath=acme-platform/x.git\nusername=zoe\n\n")
            #expect(answer.status == 0)
            let current = try #require(try account.store().activeAccount()).token.accessToken
            #expect(answer.stdout == "username=x-token-auth\npassword=\(current)\n")
            // Another host, another scheme, another port: nothing, so git asks its next helper.
            for text in [
                "protocol=https\nhost=github.com\n\n", "protocol=https\nhost=\(hostPort)\n\n",
                "protocol=http\nhost=127.0.0.1:1\n\n", "host=\(hostPort)\n\n",
            ] {
                let foreign = try await ask("get", text)
                #expect(foreign.status == 0 && foreign.stdout.isEmpty && foreign.stderr.isEmpty, "\(text): \(foreign)")
            }
            // store and erase take git's report and change nothing.
            for operation in ["store", "erase"] {
                let result = try await ask(operation, "protocol=http\nhost=\(hostPort)\nusername=x\npassword=y\n\n")
                #expect(result.status == 0 && result.stdout.isEmpty)
            }
            let after = try #require(try account.store().activeAccount())
            #expect(after.token.accessToken == stored.token.accessToken)
            #expect(after.token.refreshToken == stored.token.refreshToken)
            #expect(try account.store().accounts().count == 1)
            #expect(try await ask("fill", "").status == 64)
        }

        @Test func anAPITokenLoginClonesAsItsOwnGitUser() async throws {
            let account = try E2EAccount()
            defer { account.close() }
            account.environment["BITBUCKET_CLIENT_ID"] = nil
            account.environment["BITBUCKET_CLIENT_SECRET"] = nil
            let (email, token) = (account.emulator.endpoints["api_email"]!, account.emulator.endpoints["api_token"]!)
            let login = try await account.run(["login", "--api-token", "--email", email], stdin: token + "\n")
            #expect(login.status == 0, "\(login.stderr)")
            let hostPort = String(account.emulator.baseURL.dropFirst("http://".count))
            let answer = try await account.run(["git-credential", "get"], stdin: "protocol=http\nhost=\(hostPort)\n\n")
            #expect(answer.stdout == "username=x-bitbucket-api-token-auth\npassword=\(token)\n")
            let chosen = try #require(try await repositories(account).first { $0.isPrivate && $0.branch != nil })
            let clone = try await account.run(["clone", "--protocol", "https", chosen.name, account.home.path + "/c"])
            #expect(clone.status == 0, "\(clone.stderr)")
            #expect(FileManager.default.fileExists(atPath: account.home.path + "/c/.git/HEAD"))
        }

        @Test func hostileNamesNeitherInjectNorEscape() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let work = account.home.path + "/hostile"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let planner = ClonePlanner(
                directoryTemplate: work + "/{workspace}/{slug}", workingDirectory: work, home: account.home.path,
                gitHost: GitHost(apiURL: URL(string: account.environment["BBTUI_API_URL"]!)!),
                credentialHelper: ClonePlanner.helperCommand(executable: Binary.path))
            func repository(_ workspace: String, _ slug: String, ssh: String? = nil) -> Repository {
                Repository(
                    uuid: slug, name: slug, slug: slug, fullName: "\(workspace)/\(slug)", workspaceSlug: workspace,
                    cloneSSH: ssh)
            }
            // Names that are paths are refused before git runs.
            for (workspace, slug) in [
                ("acme-platform", ".."), ("..", "x"), ("acme-platform", "../../escape"), ("a/b", "c"),
            ] {
                #expect(throws: CloneRefusal.self) { try planner.job(for: repository(workspace, slug), over: .https) }
            }
            #expect(throws: CloneRefusal.self) {
                try planner.job(
                    for: repository("acme-platform", "x", ssh: "-oProxyCommand=touch${IFS}pwned@h:acme-platform/x.git"),
                    over: .ssh)
            }
            // Names that look like options reach git as data in a URL after `--`.
            let jobs = try [
                "--upload-pack=touch pwned", "-u", "--config=core.sshCommand=touch pwned", "$(touch pwned)",
            ].map { try planner.job(for: repository("--template=evil", $0), over: .https) }
            let outcomes = await Cloner.run(jobs, environment: account.environment) { _ in }
            for (job, outcome) in zip(jobs, outcomes) {
                #expect(outcome == .failed("\(job.fullName): no such repository, or the account cannot see it."))
            }
            // Nothing was written anywhere: no marker, no directory, no template.
            #expect(files(under: work).isEmpty, "\(files(under: work))")
            #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/pwned"))
            #expect(!files(under: account.home.path).contains { $0.hasSuffix("pwned") })
        }

        @Test func sshIsChosenOnlyWhenAKeyOnTheAccountCanSignHere() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let chosen = try #require(try await repositories(account).first { $0.branch != nil })
            let keys = try await account.run(["keys", "--json"])
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(keys.stdout.utf8)) as? [[String: Any]])
            let key = try #require(rows.first { $0["expired"] as? Bool == false }?["key"] as? String)
            let ssh = account.home.path + "/.ssh"
            try FileManager.default.createDirectory(atPath: ssh, withIntermediateDirectories: true)
            try (key + "\n").write(toFile: ssh + "/id_ed25519.pub", atomically: true, encoding: .utf8)
            // ssh as git would run it: a recorder that writes its arguments and refuses.
            let recorder = account.home.path + "/ssh-recorder"
            try
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '\(account.home.path)/ssh-args'\necho 'Permission denied (publickey).' >&2\nexit 255\n"
                .write(toFile: recorder, atomically: true, encoding: .utf8)
            chmod(recorder, 0o755)
            let environment = account.environment.merging(["GIT_SSH_COMMAND": recorder]) { $1 }
            let work = account.home.path + "/work"
            // Only the .pub: ssh could not sign with it, so HTTPS (and the clone works).
            let https = try await runBBTUI(["clone", chosen.name, work + "/a"], environment: environment)
            #expect(https.status == 0, "\(https.stderr)")
            #expect(https.stderr.hasPrefix("bbtui: cloning over HTTPS"), "\(https.stderr)")
            #expect(!FileManager.default.fileExists(atPath: account.home.path + "/ssh-args"))
            // With the private key beside it: SSH, exactly as the API's link says.
            try "not really a key\n".write(toFile: ssh + "/id_ed25519", atomically: true, encoding: .utf8)
            let over = try await runBBTUI(["clone", chosen.name, work + "/b"], environment: environment)
            #expect(over.status == 1)
            #expect(over.stderr.hasPrefix("bbtui: cloning over SSH: ~/.ssh/id_ed25519.pub is on the account."))
            #expect(over.stderr.contains("\(chosen.name): Bitbucket refused this machine's SSH keys"), "\(over.stderr)")
            let arguments = try String(contentsOfFile: account.home.path + "/ssh-args", encoding: .utf8)
            #expect(arguments.hasPrefix("git@ssh.bitbucket.org\n") || arguments.contains("\ngit@ssh.bitbucket.org\n"))
            #expect(arguments.hasSuffix("git-upload-pack '\(chosen.name).git'\n"), "\(arguments)")
            #expect(!FileManager.default.fileExists(atPath: work + "/b"))
            // --protocol forces HTTPS anyway.
            let forced = try await runBBTUI(
                ["clone", "--protocol", "https", chosen.name, work + "/c"], environment: environment)
            #expect(forced.status == 0 && !forced.stderr.contains("cloning over"), "\(forced.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work).sorted() == ["a", "c"])
        }

        @Test func aWorkspaceClonesWhatIsNotThereAndNamesEachFailure() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let names = try await repositories(account).map(\.name).filter { $0.hasPrefix("data-science/") }.sorted()
            #expect(names.count >= 3)
            let root = account.home.path + "/src"
            let environment = account.environment.merging(["BBTUI_CLONE_DIR": root + "/{slug}/checkout"]) { $1 }
            // One target cannot be made (a file where its directory would go).
            let blocked = String(names[0].split(separator: "/")[1])
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try "".write(toFile: root + "/" + blocked, atomically: true, encoding: .utf8)
            let first = try await runBBTUI(["clone", "--workspace", "data-science"], environment: environment)
            #expect(first.status == 2, "\(first.stderr)")
            #expect(
                first.stderr.contains("bbtui: Not cloned into \(root)/\(blocked)/checkout: Not a directory."),
                "\(first.stderr)")
            #expect(first.stderr.hasSuffix("bbtui: \(names.count - 1) of \(names.count) cloned.\n"))
            // Again: what is there is left alone, the failure is named again.
            try FileManager.default.removeItem(atPath: root + "/" + blocked)
            let second = try await runBBTUI(["clone", "--workspace", "data-science"], environment: environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("bbtui: \(names.count - 1) already cloned in place, left alone."))
            #expect(second.stderr.contains("Cloned \(names[0])."))
        }

        /// The directories under `root` that are working clones (`git status` works in them).
        func clones(under root: String, _ account: E2EAccount) async throws -> [String] {
            var found: [String] = []
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
                let status = try await git(account, ["status", "--porcelain"], in: root + "/" + name)
                if status.status == 0 && status.stdout.isEmpty { found.append(name) }
            }
            return found.sorted()
        }

        /// The browser in tmux, logged in, its list loaded, cloning into `HOME/src/{workspace}/{slug}`
        /// from an emulator whose every request waits `latency` ms (so clones are seen running).
        func browsing(latency: Int) async throws -> (account: E2EAccount, tmux: Tmux, root: String) {
            let account = try E2EAccount(["--latency", String(latency)])
            #expect(try await loginByCLI(account.emulator, environment: account.environment).status == 0)
            let root = account.home.path + "/src"
            do {
                let tmux = try account.tmux(
                    width: 120, height: 30, extra: ["BBTUI_CLONE_DIR": root + "/{workspace}/{slug}"])
                try #require(tmux.waitFor("Repositories · 60", timeout: .seconds(30)), "\(tmux.capture())")
                try #require(
                    tmux.waitUntil(.seconds(30)) { !tmux.contains("Loading") && !tmux.contains("refreshing") })
                return (account, tmux, root)
            } catch {
                // The tmux server goes with its object; the emulator and the home go here.
                account.close()
                throw error
            }
        }

        @Test func threeMarkedRowsCloneFromTheListWithProgress() async throws {
            let (account, tmux, root) = try await browsing(latency: 150)
            defer {
                tmux.kill()
                account.close()
            }
            tmux.keys("Space", "Space", "Space")
            try #require(tmux.waitFor("3 marked"), "\(tmux.capture())")
            #expect(tmux.lines.filter { $0.contains("│ ● ") }.count == 3, "\(tmux.capture())")
            tmux.keys("c")
            try #require(tmux.waitFor("Cloning: 0 of 3 done, 3 running"), "\(tmux.capture())")
            try #require(tmux.waitFor("Cloned 3 repositories into \(root)"), "\(tmux.capture())")
            #expect(!tmux.contains("marked"))
            // The log lists each, where it went and over what.
            tmux.keys("C")
            try #require(tmux.waitFor("Clone log"))
            let logged = tmux.lines.filter { $0.contains("cloned ") && $0.contains("(HTTPS)") }
            #expect(logged.count == 3, "\(tmux.capture())")
            tmux.keys("Escape")
            var cloned: [String] = []
            for workspace in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
                cloned += try await clones(under: root + "/" + workspace, account).map { workspace + "/" + $0 }
            }
            #expect(cloned.count == 3, "\(cloned)")
            for name in cloned { #expect(logged.contains { $0.contains(name) }, "\(name) not in \(logged)") }
        }

        @Test func aCloneStoppedByEscOrByQuittingLeavesNothing() async throws {
            let (account, tmux, root) = try await browsing(latency: 1000)
            defer {
                tmux.kill()
                account.close()
            }
            tmux.keys("c")
            try #require(tmux.waitFor("Cloning: 0 of 1 done, 1 running"), "\(tmux.capture())")
            tmux.keys("Escape")
            try #require(tmux.waitFor("1 stopped, nothing left behind"), "\(tmux.capture())")
            #expect(!FileManager.default.fileExists(atPath: root), "\(files(under: root))")
            // Quitting stops it too, and says so once the terminal is back.
            tmux.keys("j", "c")
            try #require(tmux.waitFor("Cloning: 0 of 1 done, 1 running"), "\(tmux.capture())")
            tmux.keys("q")
            try #require(tmux.waitFor("EXITED:0"), "\(tmux.capture())")
            #expect(tmux.contains("bbtui: stopped 1 clone on quitting; nothing was left behind."), "\(tmux.capture())")
            #expect(!FileManager.default.fileExists(atPath: root), "\(files(under: root))")
        }

        @Test func anInterruptedCloneLeavesNothingBehind() async throws {
            // Every git request waits a second: the clone is surely running when the signal comes.
            let account = try E2EAccount(["--latency", "1000"])
            defer { account.close() }
            #expect(try await loginByCLI(account.emulator, environment: account.environment).status == 0)
            let chosen = try #require(try await repositories(account).first { $0.branch != nil })
            let work = account.home.path + "/work"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Binary.path)
            process.arguments = ["clone", chosen.name, work + "/target"]
            process.environment = account.environment
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let pipe = Unchecked(errors)
            let seen = try await onOwnThread { () -> String in
                var text = ""
                while !text.contains("Cloning ") {
                    let data = pipe.value.fileHandleForReading.availableData
                    if data.isEmpty { break }
                    text += String(decoding: data, as: UTF8.self)
                }
                return text
            }
            #expect(seen.contains("Cloning \(chosen.name)"))
            kill(process.processIdentifier, SIGINT)
            let rest = try await onOwnThread { pipe.value.fileHandleForReading.readDataToEndOfFile() }
            let boxed = Unchecked(process)
            try await onOwnThread { boxed.value.waitUntilExit() }
            #expect(process.terminationStatus == 130, "\(seen)\(String(decoding: rest, as: UTF8.self))")
            #expect(
                String(decoding: rest, as: UTF8.self).contains("cancelled; nothing was left behind"),
                "\(seen)\(String(decoding: rest, as: UTF8.self))")
            // Not even the directory it had to make for the target.
            #expect(!FileManager.default.fileExists(atPath: work), "\(files(under: work))")
        }
    }
}
