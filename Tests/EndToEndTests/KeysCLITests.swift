import BitbucketKit
import Foundation
import Testing

/// `bbtui keys` and `bbtui workspaces` against the emulator, with a temporary HOME (never the
/// real ~/.ssh) and no agent unless the test starts one.
@Suite struct KeysCLITests {
    func keys(_ environment: [String: String], json: Bool = false) async throws -> Finished {
        try await runBBTUI(["keys"] + (json ? ["--json"] : []), environment: environment)
    }

    func accountKeys(_ environment: [String: String]) async throws -> [[String: Any]] {
        let result = try await keys(environment, json: true)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    @Test func keysSaysWhetherCloningOverSSHWorksFromHereAndExitsAccordingly() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        let environment = account.environment
        let home = account.home

        // No key on this machine at all.
        var result = try await keys(environment)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "cloning over SSH from this machine will fail: none of the account's 4 SSH keys is on"))
        #expect(result.stderr.contains("this machine has no SSH key. Create one with `ssh-keygen -t ed25519`"))
        let rows = try await accountKeys(environment)
        #expect(rows.count == 4)
        #expect(rows.map { $0["usable_here"] as? Bool } == [false, false, false, false])
        #expect(rows.map { $0["expired"] as? Bool } == [false, false, true, false])
        #expect(rows.map { $0["unused_for_a_year"] as? Bool } == [false, true, true, false])
        #expect(rows.map { $0["type"] as? String } == ["ED25519", "RSA", "ECDSA", "ED25519"])
        #expect(rows.map { $0["bits"] as? Int } == [256, 3072, 256, 256])

        // An unrelated key: the message names its fingerprint, to add in Bitbucket.
        try FileManager.default.createDirectory(atPath: home.path + "/.ssh", withIntermediateDirectories: true)
        let unrelated = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvSj8yD3U2GugmyqiaQnlRcBV1v4F0DyJWw5QZAvPzh me@here"
        try Data((unrelated + "\n").utf8).write(to: URL(fileURLWithPath: home.path + "/.ssh/id_ed25519.pub"))
        result = try await keys(environment)
        #expect(result.status == 4)
        #expect(
            result.stderr.contains(
                "Add \(SSHPublicKey(line: unrelated)!.fingerprint) (~/.ssh/id_ed25519.pub) in Bitbucket under Personal settings → SSH keys"
            ), "\(result.stderr)")

        // The account's first key, but only its .pub: ssh could not sign with it, exit 4.
        let first = try #require(rows.first?["key"] as? String)
        try Data((first + " zoe@laptop\n").utf8).write(to: URL(fileURLWithPath: home.path + "/.ssh/id_ed25519.pub"))
        result = try await keys(environment)
        #expect(result.status == 4)
        #expect(result.stdout.contains("no (no private key beside ~/.ssh/id_ed25519.pub)"), "\(result.stdout)")
        #expect(
            result.stderr.contains(
                "~/.ssh/id_ed25519.pub is on the account, but its private key is not beside it and ssh-agent does not hold it"
            ), "\(result.stderr)")
        // With the private key beside it: usable, exit 0.
        try Data("-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8).write(
            to: URL(fileURLWithPath: home.path + "/.ssh/id_ed25519"))
        result = try await keys(environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("1 of the account's 4 SSH keys is usable from"))
        #expect(result.stdout.contains("yes (~/.ssh/id_ed25519.pub)"))
        #expect(try await accountKeys(environment).map { $0["usable_here"] as? Bool } == [true, false, false, false])
        let json = try await keys(environment, json: true)
        #expect(json.status == 0)
        #expect(json.stderr.isEmpty)
    }

    @Test func anAccountWithoutKeysAndHostileLabelsEachSayTheirOwnThing() async throws {
        let home = TemporaryDirectory()
        defer { home.remove() }
        let none = try EmulatorProcess(["--ssh-keys", "0"])
        defer { none.stop() }
        var environment = none.environment(home: home.path)
        #expect(try await loginByCLI(none, environment: environment).status == 0)
        var result = try await runBBTUI(["keys"], environment: environment)
        #expect(result.status == 4)
        #expect(result.stderr.contains("the account has no SSH key"))

        let home3 = TemporaryDirectory()
        defer { home3.remove() }
        let hostile = try EmulatorProcess(["--hostile"])
        defer { hostile.stop() }
        environment = hostile.environment(home: home3.path)
        #expect(try await loginByCLI(hostile, environment: environment).status == 0)
        for command in [["keys"], ["keys", "--json"], ["workspaces"], ["workspaces", "--json"]] {
            let result = try await runBBTUI(command, environment: environment)
            for output in [result.stdout, result.stderr] {
                #expect(
                    !output.unicodeScalars.contains {
                        $0.value == 0x1B || $0.value == 0x07 || (0x80...0x9F).contains($0.value)
                            || (0x202A...0x202E).contains($0.value)
                    }, "\(command) wrote a raw control")
            }
        }
    }

    @Test func workspacesListsRoleRepositoriesAndProjects() async throws {
        let account = try await E2EAccount.loggedIn(["--repos", "250"])
        defer { account.close() }
        let environment = account.environment
        let result = try await runBBTUI(["workspaces", "--json"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(
            rows.map { $0["slug"] as? String } == ["acme-platform", "data-science", "mobile-guild", "zoe-angstrom"])
        #expect(rows.map { $0["name"] as? String } == ["ACME Platform", nil, "Mobile Guild 📱", "Zoë Ångström-李"])
        #expect(rows.compactMap { $0["repositories"] as? Int }.reduce(0, +) == 250)
        #expect(
            rows.allSatisfy {
                ($0["role"] as? String) == (($0["administrator"] as? Bool) == true ? "administrator" : "member")
            })
        #expect(rows.allSatisfy { !(($0["projects"] as? [String]) ?? []).isEmpty })
        let table = try await runBBTUI(["workspaces"], environment: environment)
        #expect(table.stdout.hasPrefix("SLUG"))
        #expect(table.stdout.contains("zoe-angstrom"))
    }
}
