import BitbucketKit
import Foundation
import Testing

/// A signal that arrives while a refresh is between Bitbucket's answer and the store never
/// loses the session: the process stores the new pair, then exits with the signal's status.
/// The emulator holds the token endpoint's answer after it has replaced the refresh token, so
/// every signal below lands exactly inside that window.
@Suite struct SignalTests {
    /// An emulator whose tokens always need a refresh (they live 30 s, less than the 60 s bbtui
    /// refreshes ahead of expiry), whose rotated refresh tokens die at once (unless `grace` says
    /// otherwise), and which holds each refresh answer (once told to, after the login) until the
    /// test releases it: the signal lands inside the window however loaded the machine is.
    func start(grace: String = "0") throws -> (EmulatorProcess, TemporaryDirectory, [String: String]) {
        let home = TemporaryDirectory()
        let emulator = try EmulatorProcess([
            "--token-ttl", "30", "--refresh-grace", grace,
        ])
        return (emulator, home, emulator.environment(home: home.path))
    }

    /// The refresh grants the emulator has issued so far.
    func refreshes(_ emulator: EmulatorProcess) async throws -> Int {
        (try await emulator.stats()["grants"] as? [String: Int])?["refresh_token"] ?? 0
    }

    /// Waits until the emulator has issued one more refresh grant than `after` (its answer is
    /// now on its way, and the refresh token it replaced is dead).
    func waitForRefresh(_ emulator: EmulatorProcess, after: Int) async throws {
        let url = emulator.baseURL + "/_emulator/wait?grant=refresh_token&count=\(after + 1)&timeout_ms=15000"
        let response = try await plainTransport.send(HTTPRequest(url: URL(string: url)!))
        #expect(response.status == 200, "the refresh never reached the emulator")
    }

    func launch(_ arguments: [String], environment: [String: String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = arguments
        process.environment = environment
        let errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    /// Waits for the process to end on a thread of its own (blocking the concurrency pool's two
    /// threads would hold up every other test's timers), with what it wrote to stderr.
    func finish(_ process: Process, _ errors: Pipe? = nil) async -> String {
        await withCheckedContinuation { continuation in
            Thread {
                let stderr = errors?.fileHandleForReading.readDataToEndOfFile() ?? Data()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: stderr, as: UTF8.self))
            }.start()
        }
    }

    func store(_ home: TemporaryDirectory) throws -> TokenStore {
        try TokenStore(paths: StorePaths(configDirectory: home.path, cacheDirectory: home.path + "/cache"))
    }

    @Test(arguments: [SIGHUP, SIGTERM, SIGINT, SIGQUIT])
    func aSignalDuringARefreshWaitsForItsCommitThenExitsWithItsStatus(signal: Int32) async throws {
        let (emulator, home, environment) = try start()
        defer {
            emulator.stop()
            home.remove()
        }
        #expect(try await loginByCLI(emulator, environment: environment).status == 0)
        let baseline = try await refreshes(emulator)
        try await emulator.post("/_emulator/hold")
        let before = try #require(try store(home).activeAccount())

        let (process, errors) = try launch(["whoami"], environment: environment)
        try await waitForRefresh(emulator, after: baseline)
        #expect(process.isRunning, "the refresh ended before the signal could be sent")
        kill(process.processIdentifier, signal)
        // A second signal does not cut the wait short.
        kill(process.processIdentifier, signal)
        try await emulator.post("/_emulator/release")
        let stderr = await finish(process, errors)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 128 + signal, "\(stderr)")

        // The pair Bitbucket issued is the one stored, and the session goes on: the old refresh
        // token is already dead (no grace), so only the stored new one can work.
        let after = try #require(try store(home).activeAccount())
        #expect(after.token.refreshToken != before.token.refreshToken)
        #expect(after.refreshStartedAt == nil)
        let next = try await runBBTUI(["whoami"], environment: environment)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try await emulator.stats()["refresh_token_reuses"] as? Int == 0)
    }

    @Test func aSIGKILLWithinTheGraceLosesNothing() async throws {
        let (emulator, home, environment) = try start(grace: "600")
        defer {
            emulator.stop()
            home.remove()
        }
        #expect(try await loginByCLI(emulator, environment: environment).status == 0)
        let baseline = try await refreshes(emulator)
        try await emulator.post("/_emulator/hold")
        let (process, _) = try launch(["whoami"], environment: environment)
        try await waitForRefresh(emulator, after: baseline)
        kill(process.processIdentifier, SIGKILL)
        _ = await finish(process)
        try await emulator.post("/_emulator/release")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try store(home).activeAccount()?.refreshStartedAt != nil)

        // The stored refresh token was replaced a moment ago: Bitbucket still takes it.
        let next = try await runBBTUI(["whoami"], environment: environment)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try await emulator.stats()["refresh_token_reuses"] as? Int == 1)
        #expect(try store(home).activeAccount()?.refreshStartedAt == nil)
    }

    @Test func aSIGKILLPastTheGraceIsExplainedNotJustLogInAgain() async throws {
        let (emulator, home, environment) = try start()
        defer {
            emulator.stop()
            home.remove()
        }
        #expect(try await loginByCLI(emulator, environment: environment).status == 0)
        let baseline = try await refreshes(emulator)
        try await emulator.post("/_emulator/hold")
        let (process, _) = try launch(["whoami"], environment: environment)
        try await waitForRefresh(emulator, after: baseline)
        kill(process.processIdentifier, SIGKILL)
        _ = await finish(process)
        try await emulator.post("/_emulator/release")
        let startedAt = try #require(try store(home).activeAccount()?.refreshStartedAt)

        let next = try await runBBTUI(["whoami"], environment: environment)
        #expect(next.status == 3)
        #expect(
            next.stderr.contains("A token refresh started at \(Format.timestamp(startedAt)) was interrupted"),
            "\(next.stderr)")
        #expect(next.stderr.contains("Bitbucket has since replaced the refresh token"))
        #expect(next.stderr.contains("bbtui login"))
    }

    @Test func theTUIWaitsForTheCommitAfterSIGTERM() async throws {
        let (emulator, home, environment) = try start()
        defer {
            emulator.stop()
            home.remove()
        }
        #expect(try await loginByCLI(emulator, environment: environment).status == 0)
        let baseline = try await refreshes(emulator)
        try await emulator.post("/_emulator/hold")
        let tmux = try Tmux(
            width: 100, height: 30, command: "'\(Binary.path)'", environment: environment, directory: home.path)
        defer { tmux.kill() }
        try await waitForRefresh(emulator, after: baseline)
        let pid = try #require(tmux.programPID)
        kill(pid, SIGTERM)
        try await emulator.post("/_emulator/release")
        #expect(tmux.waitFor("EXITED:143"), "\(tmux.capture())")
        let account = try #require(try store(home).activeAccount())
        #expect(account.refreshStartedAt == nil)
        let next = try await runBBTUI(["whoami"], environment: environment)
        #expect(next.status == 0, "\(next.stderr)")
    }

    @Test func tokensAsLongAsRealOnesTravelEveryPath() async throws {
        let home = TemporaryDirectory()
        let emulator = try EmulatorProcess()
        defer {
            emulator.stop()
            home.remove()
        }
        let environment = emulator.environment(home: home.path)
        #expect(try await loginByCLI(emulator, environment: environment).status == 0)
        let baseline = try await refreshes(emulator)
        try await emulator.post("/_emulator/hold")
        let stored = try #require(try store(home).activeAccount())
        #expect(stored.token.accessToken.count == 2_600)

        let token = try await runBBTUI(["token"], environment: environment)
        #expect(token.status == 0)
        #expect(token.stdout == stored.token.accessToken + "\n")
        let status = try await runBBTUI(["status", "--json", "--check"], environment: environment)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(!status.stdout.contains(stored.token.accessToken))
        let whoami = try await runBBTUI(["whoami"], environment: environment)
        #expect(whoami.status == 0, "\(whoami.stderr)")
    }

    /// Long lines reach `login --no-tui` whole: a pasted line of 3,000 characters (as long as a
    /// real token) is read and judged as one line, and the next line still logs in.
    @Test func aLineAsLongAsARealTokenIsReadWholeByLoginNoTUI() async throws {
        let home = TemporaryDirectory()
        let emulator = try EmulatorProcess()
        defer {
            emulator.stop()
            home.remove()
        }
        let environment = emulator.environment(home: home.path)
        let (process, input, _, errors, url) = try startLoginByCLI(environment: environment)
        let location = try await emulator.approve(url)
        let long = String(repeating: "A1b2C3d4", count: 375) // 3,000 characters, no spaces
        input.fileHandleForWriting.write(Data((long + "\n" + location + "\n").utf8))
        try input.fileHandleForWriting.close()
        let stderr = await finish(process, errors)
        #expect(process.terminationStatus == 0, "\(stderr)")
        // One line, one verdict: the long line was refused once, not in pieces.
        #expect(stderr.components(separatedBy: "does not look like a code").count == 2, "\(stderr)")
        #expect(stderr.contains("Logged in as"))
    }
}
