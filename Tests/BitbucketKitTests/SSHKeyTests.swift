import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

/// SSH keys: fingerprints and sizes exactly as `ssh-keygen -lf` prints them, this machine's keys
/// from files and from a real `ssh-agent`, and the account's keys matched against them.
@Suite(.stopsEmulators) struct SSHKeyTests {
    func loggedIn(_ h: KitHarness) async throws -> BitbucketClient {
        let request = AuthorizationRequest.make(configuration: h.configuration)
        let code = try PastedAuthorization.code(from: try await h.approve(request), expectedState: request.state).get()
        return h.client(tokens: StaticTokenSource(try await h.tokenClient().exchange(code: code, for: request)))
    }

    /// `ssh-keygen -lf FILE`: "256 SHA256:… comment (ED25519)".
    func keygen(_ line: String, in directory: String) throws -> (bits: Int, fingerprint: String, type: String) {
        let path = directory + "/key-\(UUID().uuidString).pub"
        try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let result = CleanSpawn.run("/usr/bin/ssh-keygen", ["-lf", path], mergesErrors: true)
        #expect(result.status == 0, "ssh-keygen: \(result.output)")
        let words = result.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        let type = String(words.last ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "()"))
        return (Int(words.first ?? "") ?? -1, String(words.count > 1 ? words[1] : ""), type)
    }

    func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "bbtui-ssh-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func generate(_ type: String, bits: Int? = nil, in directory: String, comment: String) -> String {
        let path = directory + "/id_\(type)_\(bits ?? 0)"
        let result = CleanSpawn.run(
            "/usr/bin/ssh-keygen",
            ["-q", "-t", type] + (bits.map { ["-b", String($0)] } ?? []) + ["-N", "", "-C", comment, "-f", path],
            mergesErrors: true)
        #expect(result.status == 0, "\(result.output)")
        return (try? String(contentsOfFile: path + ".pub", encoding: .utf8))?.trimmingCharacters(
            in: .whitespacesAndNewlines) ?? ""
    }

    @Test func fingerprintsSizesAndTypesAreWhatSshKeygenPrints() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The emulator's keys (Ed25519, RSA 3072, ECDSA, from the seed) and fresh ones.
        let h = try await KitHarness.start { $0.sshKeyCount = 8 }
        let client = try await loggedIn(h)
        let user = try await client.currentUser()
        let accountKeys = try await client.sshKeys(user: user.uuid)
        #expect(accountKeys.count == 8)
        var lines = accountKeys.map(\.key)
        lines += [
            generate("ed25519", in: directory, comment: "me@here"),
            generate("rsa", bits: 2048, in: directory, comment: "rsa key"),
            generate("ecdsa", bits: 384, in: directory, comment: ""),
            generate("ecdsa", bits: 521, in: directory, comment: "big"),
        ]
        for line in lines {
            let key = try #require(SSHPublicKey(line: line), "\(line)")
            let expected = try keygen(line, in: directory)
            #expect(key.fingerprint == expected.fingerprint, "\(line)")
            #expect(key.bits == expected.bits, "\(line)")
            #expect(key.typeName == expected.type, "\(line)")
            #expect(SSHPublicKey(line: key.line) == key)
        }
    }

    @Test(arguments: [
        "", "ssh-ed25519", "ssh-ed25519 not-base64!", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGx0", "ssh-ed25519 AAAA",
        "\u{1B}[2J AAAA",
    ])
    func notAKeyIsNil(_ line: String) {
        #expect(SSHPublicKey(line: line) == nil)
    }

    @Test func keysFromFilesAndARealAgentAreMatchedByFingerprint() async throws {
        let home = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        let h = try await KitHarness.start()
        let client = try await loggedIn(h)
        let accountKeys = try await client.sshKeys(user: try await client.currentUser().uuid)
        // This machine has the account's first key in a file, and an unrelated key in its agent.
        try Data((accountKeys[0].key + " zoe@laptop\n").utf8).write(
            to: URL(fileURLWithPath: home + "/.ssh/id_ed25519.pub"))
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: home + "/.ssh/notes.pub"))
        let unrelated = generate("ed25519", in: home, comment: "agent-only")

        let socket = home + "/agent.sock"
        let agent = CleanSpawn.run("/usr/bin/ssh-agent", ["-a", socket], mergesErrors: true)
        #expect(agent.status == 0, "\(agent.output)")
        let pid = agent.output.components(separatedBy: "SSH_AGENT_PID=").dropFirst().first.flatMap {
            Int32($0.prefix { $0.isNumber })
        }
        defer {
            if let pid { kill(pid, SIGTERM) }
        }
        let added = CleanSpawn.run(
            "/usr/bin/ssh-add", [home + "/id_ed25519_0"], extraEnvironment: ["SSH_AUTH_SOCK=\(socket)"],
            mergesErrors: true)
        #expect(added.status == 0, "\(added.output)")

        let found = LocalKeys.find(home: home, agentSocket: socket)
        #expect(found.notes.isEmpty, "\(found.notes)")
        // The agent holds its key (it can sign); the file has no private key beside it.
        #expect(found.keys.map(\.canSign) == [false, true])
        #expect(found.keys.map(\.source) == ["~/.ssh/id_ed25519.pub", "ssh-agent"])
        #expect(found.keys.last?.key.fingerprint == SSHPublicKey(line: unrelated)?.fingerprint)

        // Only the .pub is there: ssh could not sign with it.
        let halfHere = SSHKeyReport(
            accountKeys: accountKeys, local: found, now: Date(timeIntervalSince1970: 1_795_000_000))
        #expect(halfHere.rows.map(\.isUsableHere) == [false, false, false, false])
        #expect(halfHere.rows[0].lacksPrivateKey == true)
        #expect(halfHere.rows[0].localSource == "~/.ssh/id_ed25519.pub")

        // With its private key beside it, the key is usable here.
        try Data("-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8).write(
            to: URL(fileURLWithPath: home + "/.ssh/id_ed25519"))
        let withPrivate = LocalKeys.find(home: home, agentSocket: socket)
        let report = SSHKeyReport(
            accountKeys: accountKeys, local: withPrivate, now: Date(timeIntervalSince1970: 1_795_000_000))
        #expect(report.rows.map(\.isUsableHere) == [true, false, false, false])
        #expect(report.rows[0].lacksPrivateKey == false)
        #expect(report.rows[0].localSource == "~/.ssh/id_ed25519.pub")
        #expect(report.rows.map(\.isExpired) == [false, false, true, false])
        #expect(report.rows.map(\.isStale) == [false, true, true, false])
        #expect(report.usableCount == 1)

        // An agent that is not there is a note, not a failure; the files still count.
        let gone = LocalKeys.find(home: home, agentSocket: home + "/no-such.sock")
        #expect(gone.keys.count == 1)
        #expect(gone.notes.first?.hasPrefix("ssh-agent is not reachable at SSH_AUTH_SOCK") == true)
    }

    @Test func noLocalKeyMeansNothingIsUsableAndTheKeyToAddIsNamed() {
        let local = LocalKeys.Found(keys: [
            LocalKey(
                key: SSHPublicKey(
                    line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvSj8yD3U2GugmyqiaQnlRcBV1v4F0DyJWw5QZAvPzh me")!,
                source: "~/.ssh/id_ed25519.pub")
        ])
        let report = SSHKeyReport(
            accountKeys: [
                SSHKey(
                    uuid: "{k}",
                    key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0Y2V0eXBlZm9yZXZlcmFuZG5ldmVybW9yZTAxMjM0NTY3")
            ], local: local, now: Date())
        #expect(report.usableCount == 0)
        #expect(report.keyToAdd?.source == "~/.ssh/id_ed25519.pub")
    }
}
